import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOwnMariaDbRivals } from './own-mariadb-rivals.js';
import type { OwnMariaDbRivals } from './own-mariadb-rivals.js';
import { T0 } from './fixtures.js';

// Two servers start the subtasks of their own parallel executions at the same moment, as the
// owners of fan-out jobs of one instant do. Execution ids are ordered by time, so the two
// servers' executions interleave in the subtasks' (execution, seq) index: the read of where an
// execution's first subtask goes must not lock a gap that the other's insert needs (the same
// deadlock as log lines had; see log-append-locks.test.ts). On a throwaway mariadbd of its
// own, so that its lock counters are this test's alone.
const ROUNDS = 20;
const PER_SIDE = 10;
const SUBTASKS = 5;

describe('subtasks inserted by two servers at once on MariaDB', () => {
  let rivals: OwnMariaDbRivals;

  beforeAll(async () => {
    rivals = await openOwnMariaDbRivals();
  }, 120_000);

  afterAll(async () => {
    await rivals?.stop();
  });

  it('takes no lock the other waits for, and numbers every subtask', async () => {
    const { stores, rival, lockCounters } = rivals;
    const executions = await rivals.claimInterleaved(ROUNDS * PER_SIDE * 2);
    const batch = () =>
      Array.from({ length: SUBTASKS }, (_, i) => ({ id: randomUUID(), payload: `part ${i}` }));
    const before = await lockCounters();
    for (let round = 0; round < ROUNDS; round++) {
      const ids = executions.slice(round * PER_SIDE * 2, (round + 1) * PER_SIDE * 2);
      await Promise.all(
        ids.map((id, i) => (i % 2 === 0 ? stores : rival).subtasks.insertBatch(id, batch(), T0)),
      );
    }
    const after = await lockCounters();
    expect(after.deadlocks - before.deadlocks).toBe(0);
    expect(after.waits - before.waits).toBe(0);
    for (const id of executions.filter((_, i) => i % 37 === 0)) {
      const page = await stores.subtasks.listByExecution(id);
      expect(page.map((s) => [s.seq, s.payload])).toEqual(
        Array.from({ length: SUBTASKS }, (_, i) => [i + 1, `part ${i}`]),
      );
    }
  }, 120_000);
});
