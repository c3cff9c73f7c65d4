import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CoreErrorCode,
  ExecutionCause,
  ExecutionState,
  LogLevel,
  newExecutionId,
} from '@carillon/core';
import type { Execution, ExecutionQuery, Job, LogLine } from '@carillon/core';
import { STORE_LIMITS, openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { T0, claimOf, seedJobs, withCode } from './fixtures.js';
import { testDatabases } from '@carillon/testkit';

describe.each(testDatabases())('paging and logs on $label', (database) => {
  let stores: SqlStores;
  let rival: SqlStores;
  let jobs: Job[];
  /** Every execution of the paging fixture, newest scheduled first, ties by id descending. */
  let expected: Execution[];

  beforeAll(async () => {
    const url = await database.create();
    stores = await openStores({ url });
    rival = await openStores({ url, migrate: false });
    ({ jobs } = await seedJobs(stores, 3));
    // 250 executions over two jobs; every fifth instant is shared by a scheduled and a manual
    // fire (ties on scheduled_at), states cycle so that filters have something to filter.
    const [a, b] = jobs as [Job, Job];
    const claims = Array.from({ length: 250 }, (_, i) => {
      const job = i % 2 === 0 ? a : b;
      const at = T0 + Math.floor(i / 2) * 1000;
      return claimOf(job, at, i % 5 === 0 ? ExecutionCause.Manual : ExecutionCause.Schedule);
    });
    expect((await stores.executions.claimFires('s1', claims, T0)).size).toBe(250);
    for (const [i, claim] of claims.entries()) {
      if (i % 3 === 0) {
        const fence = {
          id: claim.id,
          from: [ExecutionState.Claimed],
          ownerServerId: 's1',
          attempt: 1,
        };
        expect(await stores.executions.transition(fence, ExecutionState.Dispatched)).toBe(true);
      }
    }
    expected = (await Promise.all(claims.map((c) => stores.executions.get(c.id))))
      .filter((e): e is Execution => e !== undefined)
      .sort((x, y) => y.scheduledAt - x.scheduledAt || (x.id < y.id ? 1 : -1));
  });

  afterAll(async () => {
    await rival?.close();
    await stores?.close();
    await database.drop();
  });

  async function pageAll(query: ExecutionQuery): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await stores.executions.page({ ...query, cursor });
      ids.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
      pages++;
      if (pages > 100) throw new Error('paging does not end');
    } while (cursor !== null);
    return { ids, pages };
  }

  it('pages through 250 executions once each, newest scheduled first, ties by id', async () => {
    const { ids, pages } = await pageAll({ limit: 40 });
    expect(ids).toEqual(expected.map((e) => e.id));
    expect(new Set(ids).size).toBe(250);
    expect(pages).toBe(7);
  });

  it('filters by job and by state, across pages', async () => {
    const [a, b] = jobs as [Job, Job];
    const byJob = await pageAll({ jobId: a.id, limit: 17 });
    expect(byJob.ids).toEqual(expected.filter((e) => e.jobId === a.id).map((e) => e.id));
    expect(byJob.ids).toHaveLength(125);

    const dispatched = await pageAll({
      jobId: b.id,
      states: [ExecutionState.Dispatched],
      limit: 10,
    });
    const want = expected.filter((e) => e.jobId === b.id && e.state === ExecutionState.Dispatched);
    expect(want.length).toBeGreaterThan(20);
    expect(dispatched.ids).toEqual(want.map((e) => e.id));

    const both = await pageAll({
      states: [ExecutionState.Claimed, ExecutionState.Dispatched],
      limit: 500,
    });
    expect(both.ids).toHaveLength(250);
    expect(both.pages).toBe(1);
    expect((await stores.executions.page({ states: [] })).items).toEqual([]);
    const group = await pageAll({ groupId: a.groupId, limit: 100 });
    expect(group.ids).toHaveLength(250);
  });

  it('rejects a bad limit or a forged cursor', async () => {
    await expect(stores.executions.page({ limit: 0 })).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
    await expect(stores.executions.page({ limit: 501 })).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
    await expect(stores.executions.page({ cursor: 'garbage' })).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
  });

  it('numbers log lines per execution in order, across batches and executions', async () => {
    const [x, y] = (jobs as [Job, Job, Job])
      .slice(2)
      .flatMap(() => [
        claimOf(jobs[2] as Job, T0 + 5_000_000),
        claimOf(jobs[2] as Job, T0 + 6_000_000),
      ]);
    if (x === undefined || y === undefined) throw new Error('no claims');
    await stores.executions.claimFires('s1', [x, y], T0);
    const line = (executionId: string, message: string): LogLine => ({
      executionId,
      at: T0,
      level: LogLevel.Info,
      message,
    });
    await stores.executions.appendLogs([line(x.id, 'x1'), line(y.id, 'y1'), line(x.id, 'x2')]);
    await stores.executions.appendLogs([line(x.id, 'x3'), line(y.id, 'y2')]);
    const xs = await stores.executions.listLogs(x.id);
    expect(xs.map((l) => [l.seq, l.message])).toEqual([
      [1, 'x1'],
      [2, 'x2'],
      [3, 'x3'],
    ]);
    expect((await stores.executions.listLogs(y.id)).map((l) => l.seq)).toEqual([1, 2]);
    expect((await stores.executions.listLogs(x.id, 1, 1)).map((l) => l.message)).toEqual(['x2']);
    expect(xs[0]).toEqual({ executionId: x.id, seq: 1, at: T0, level: 'info', message: 'x1' });
  });

  it('RACE: concurrent appenders of one execution keep seq unique and increasing', async () => {
    const claim = claimOf(jobs[2] as Job, T0 + 7_000_000);
    await stores.executions.claimFires('s1', [claim], T0);
    // 2 instances x 10 concurrent appenders x 5 lines, each appender numbering its own lines.
    await Promise.all(
      Array.from({ length: 20 }, (_, w) =>
        (w % 2 === 0 ? stores : rival).executions.appendLogs(
          Array.from({ length: 5 }, (_, k) => ({
            executionId: claim.id,
            at: T0 + k,
            level: LogLevel.Debug,
            message: `w${w}-${k}`,
          })),
        ),
      ),
    );
    const logs = await stores.executions.listLogs(claim.id);
    expect(logs.map((l) => l.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Each appender's lines keep their order and stay together (a batch is one statement).
    for (let w = 0; w < 20; w++) {
      const mine = logs.filter((l) => l.message.startsWith(`w${w}-`));
      expect(mine.map((l) => l.message)).toEqual([0, 1, 2, 3, 4].map((k) => `w${w}-${k}`));
      const seqs = mine.map((l) => l.seq);
      expect(seqs[4]! - seqs[0]!).toBe(4);
    }
  });

  it('RACE: concurrent batches over 250 executions number each execution apart', async () => {
    // More executions than one read of the highest numbers covers (200), in batches that
    // name them in different orders, from two instances at once.
    const claims = Array.from({ length: 250 }, (_, i) =>
      claimOf(jobs[2] as Job, T0 + 9_000_000 + i * 1000),
    );
    await stores.executions.claimFires('s1', claims, T0);
    await Promise.all(
      Array.from({ length: 6 }, (_, w) =>
        (w % 2 === 0 ? stores : rival).executions.appendLogs(
          (w % 3 === 0 ? [...claims].reverse() : claims).flatMap((c) => [
            { executionId: c.id, at: T0, level: LogLevel.Info, message: `w${w}-a` },
            { executionId: c.id, at: T0, level: LogLevel.Info, message: `w${w}-b` },
          ]),
        ),
      ),
    );
    for (const c of [claims[0], claims[199], claims[200], claims[249]]) {
      const logs = await stores.executions.listLogs(c!.id);
      expect(logs.map((l) => l.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      for (let w = 0; w < 6; w++) {
        const mine = logs.filter((l) => l.message.startsWith(`w${w}-`));
        expect(mine.map((l) => l.message)).toEqual([`w${w}-a`, `w${w}-b`]);
        expect(mine[1]!.seq - mine[0]!.seq).toBe(1);
      }
    }
  });

  it('cuts over-long messages, and refuses lines of unknown executions', async () => {
    const claim = claimOf(jobs[2] as Job, T0 + 8_000_000);
    await stores.executions.claimFires('s1', [claim], T0);
    const long = 'é'.repeat(STORE_LIMITS.logMessageMax + 10);
    await stores.executions.appendLogs([
      { executionId: claim.id, at: T0, level: 'warn', message: long },
    ]);
    const [stored] = await stores.executions.listLogs(claim.id);
    expect(stored?.message).toHaveLength(STORE_LIMITS.logMessageMax);
    expect(stored?.message.endsWith('…')).toBe(true);
    await expect(
      stores.executions.appendLogs([
        { executionId: claim.id, at: T0, level: 'info', message: 'kept?' },
        { executionId: newExecutionId(T0), at: T0, level: 'info', message: 'orphan' },
      ]),
    ).rejects.toEqual(withCode(CoreErrorCode.NotFound));
    expect(await stores.executions.listLogs(claim.id)).toHaveLength(1);
    await expect(
      stores.executions.appendLogs([
        { executionId: claim.id, at: T0, level: 'loud' as never, message: '' },
      ]),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
  });
});
