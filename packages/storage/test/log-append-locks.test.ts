import { LogLevel } from '@carillon/core';
import type { LogLine } from '@carillon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOwnMariaDbRivals } from './own-mariadb-rivals.js';
import type { OwnMariaDbRivals } from './own-mariadb-rivals.js';
import { T0 } from './fixtures.js';

// Two servers append the first log lines of their own executions at the same moment, as three
// owners do after each instant. Execution ids are ordered by time, so the two servers' fires
// of an instant interleave in the log index; a gap lock that one takes reading where an
// execution's first line goes covers the other's executions too, and both inserts then wait
// for each other: InnoDB deadlocks (measured in the capped cluster bench at 500-600 fires a
// second: ~0.5 deadlocks a second and 1.2 s of row lock waits per 10 s, none with one server).
// On a throwaway mariadbd of its own, so that its lock counters are this test's alone.
const ROUNDS = 20;
const PER_SIDE = 20;

describe('log lines appended by two servers at once on MariaDB', () => {
  let rivals: OwnMariaDbRivals;

  beforeAll(async () => {
    rivals = await openOwnMariaDbRivals();
  }, 120_000);

  afterAll(async () => {
    await rivals?.stop();
  });

  it('takes no lock the other waits for, and numbers every line', async () => {
    const { stores, rival, lockCounters } = rivals;
    const executions = await rivals.claimInterleaved(ROUNDS * PER_SIDE * 2);
    const line = (executionId: string, n: number): LogLine => ({
      executionId,
      at: T0 + n,
      level: LogLevel.Info,
      message: `line ${n}`,
    });
    const before = await lockCounters();
    for (let round = 0; round < ROUNDS; round++) {
      const ids = executions.slice(round * PER_SIDE * 2, (round + 1) * PER_SIDE * 2);
      const ours = ids.filter((_, i) => i % 2 === 0);
      const theirs = ids.filter((_, i) => i % 2 === 1);
      await Promise.all([
        stores.executions.appendLogs(ours.flatMap((id) => [line(id, 1), line(id, 2)])),
        rival.executions.appendLogs(theirs.flatMap((id) => [line(id, 1), line(id, 2)])),
      ]);
    }
    const after = await lockCounters();
    expect(after.deadlocks - before.deadlocks).toBe(0);
    expect(after.waits - before.waits).toBe(0);
    for (const id of executions.filter((_, i) => i % 37 === 0)) {
      const logs = await stores.executions.listLogs(id);
      expect(logs.map((l) => [l.seq, l.message])).toEqual([
        [1, 'line 1'],
        [2, 'line 2'],
      ]);
    }
  }, 120_000);
});
