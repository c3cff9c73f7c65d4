import { describe, expect, it } from 'vitest';
import { resolveClientOptions } from './client-options.js';

const base = { servers: ['127.0.0.1:7701'], group: '101-1-1-1', token: 't' };

describe('client labels', () => {
  it('defaults to none and keeps good labels', () => {
    expect(resolveClientOptions(base).labels).toEqual([]);
    expect(resolveClientOptions({ ...base, labels: ['gpu', 'zone=eu-1'] }).labels).toEqual([
      'gpu',
      'zone=eu-1',
    ]);
  });

  it('refuses a bad label, one given twice, or too many', () => {
    for (const labels of [
      ['has space'],
      ['-dash-first'],
      ['a,b'],
      ['x'.repeat(65)],
      ['gpu', 'gpu'],
      Array.from({ length: 17 }, (_, i) => `l${i}`),
    ]) {
      expect(() => resolveClientOptions({ ...base, labels }), JSON.stringify(labels)).toThrow(
        expect.objectContaining({ code: 'CARILLON_CLIENT_INVALID_OPTIONS' }),
      );
    }
  });
});
