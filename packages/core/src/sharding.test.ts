import { describe, expect, it } from 'vitest';
import { hasErrorCode } from './errors.js';
import { checkSharding, parseShardParams, shardsOf } from './sharding.js';

function fieldOf(check: () => unknown): string | undefined {
  try {
    check();
  } catch (error) {
    if (hasErrorCode(error, 'CARILLON_INVALID_ARGUMENT')) return String(error.details.field);
    throw error;
  }
  return undefined;
}

describe('parseShardParams', () => {
  it('reads the text form by index, with gaps as null', () => {
    expect(parseShardParams('0=Beijing, 2=Guang=zhou')).toEqual(['Beijing', null, 'Guang=zhou']);
    expect(parseShardParams('')).toEqual([]);
    expect(parseShardParams(['a', null])).toEqual(['a', null]);
  });

  it('refuses items that are not index=param, and an index twice', () => {
    expect(fieldOf(() => parseShardParams('Beijing'))).toBe('shardParams');
    expect(fieldOf(() => parseShardParams('x=Beijing'))).toBe('shardParams');
    expect(fieldOf(() => parseShardParams('-1=a'))).toBe('shardParams');
    expect(fieldOf(() => parseShardParams('0=a,0=b'))).toBe('shardParams');
  });
});

describe('checkSharding', () => {
  it('keeps a sharded job within 1..1000 shards and its params within the count', () => {
    expect(checkSharding('sharded', 'least_loaded', 3, ['a', null, 'c', null])).toEqual({
      shardCount: 3,
      shardParams: ['a', null, 'c'],
    });
    expect(fieldOf(() => checkSharding('sharded', 'least_loaded', 0, []))).toBe('shardCount');
    expect(fieldOf(() => checkSharding('sharded', 'least_loaded', 1001, []))).toBe('shardCount');
    expect(fieldOf(() => checkSharding('sharded', 'least_loaded', 1.5, []))).toBe('shardCount');
    expect(fieldOf(() => checkSharding('sharded', 'least_loaded', 2, ['a', 'b', 'c']))).toBe(
      'shardParams',
    );
    expect(fieldOf(() => checkSharding('sharded', 'least_loaded', 2, [3]))).toBe('shardParams[0]');
  });

  it('gives other kinds no shards, and broadcast only to simple jobs', () => {
    expect(checkSharding('simple', 'broadcast', 0, [])).toEqual({ shardCount: 0, shardParams: [] });
    expect(fieldOf(() => checkSharding('simple', 'least_loaded', 2, []))).toBe('shardCount');
    expect(fieldOf(() => checkSharding('parallel', 'least_loaded', 0, ['a']))).toBe('shardParams');
    expect(fieldOf(() => checkSharding('parallel', 'broadcast', 0, []))).toBe('routing');
    expect(fieldOf(() => checkSharding('sharded', 'broadcast', 2, []))).toBe('routing');
  });

  it('lists the shards of a fire with their params', () => {
    expect(shardsOf({ shardCount: 3, shardParams: ['a'] })).toEqual([
      { index: 0, count: 3, param: 'a' },
      { index: 1, count: 3, param: null },
      { index: 2, count: 3, param: null },
    ]);
  });
});
