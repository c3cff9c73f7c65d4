import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { untilReachable } from './start-wait.js';

/** A logger whose lines are kept, parsed. */
function keptLines() {
  const stream = new PassThrough();
  const lines: { msg: string; reason: string }[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk
      .toString()
      .split('\n')
      .filter((l) => l !== ''))
      lines.push(JSON.parse(line) as { msg: string; reason: string });
  });
  return { logger: createLogger('info', stream), lines };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const isRefused = (e: unknown) => (e as { code?: unknown }).code === 'ECONNREFUSED';

describe('untilReachable', () => {
  it('tries again while the error may pass, one log line a try, until it succeeds', async () => {
    const { logger, lines } = keptLines();
    let tries = 0;
    const value = await untilReachable(
      'the database',
      () => (++tries < 3 ? Promise.reject(refused()) : Promise.resolve('open')),
      isRefused,
      { waitMs: 10_000, logger },
    );
    expect(value).toBe('open');
    expect(tries).toBe(3);
    expect(lines.map((l) => l.msg)).toEqual([
      'the database does not answer yet; trying again',
      'the database does not answer yet; trying again',
    ]);
    expect(lines[0]!.reason).toBe('connect ECONNREFUSED [ECONNREFUSED]');
  });

  it('throws at once an error that will not pass (a wrong password, no such database)', async () => {
    const { logger, lines } = keptLines();
    let tries = 0;
    const denied = Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR' });
    await expect(
      untilReachable('the database', () => (tries++, Promise.reject(denied)), isRefused, {
        waitMs: 10_000,
        logger,
      }),
    ).rejects.toBe(denied);
    expect(tries).toBe(1);
    expect(lines).toEqual([]);
  });

  it('gives up with the last error once the wait has run out; 0 means one try', async () => {
    const { logger } = keptLines();
    let tries = 0;
    const last = refused();
    await expect(
      untilReachable('ZooKeeper', () => (tries++, Promise.reject(last)), isRefused, {
        waitMs: 0,
        logger,
      }),
    ).rejects.toBe(last);
    expect(tries).toBe(1);
    tries = 0;
    await expect(
      untilReachable('ZooKeeper', () => (tries++, Promise.reject(refused())), isRefused, {
        waitMs: 600,
        logger,
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // After 250 ms, then after what was left of the 600: more than one try, then the error.
    expect(tries).toBeGreaterThanOrEqual(2);
  });
});
