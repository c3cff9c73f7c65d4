import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStatus } from '@carillon/core';
import type { Job } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { testDatabases } from '@carillon/testkit';
import { T0, jobSpec } from './fixtures.js';

describe.each(testDatabases())('the job change sequence on $label', (database) => {
  let stores: SqlStores;
  let other: SqlStores;

  beforeAll(async () => {
    const url = await database.create();
    stores = await openStores({ url });
    // A second pool on the same database, as another process would write. Not for SQLite: two
    // handles in one process wait on each other's transactions (its writers serialize anyway).
    other = database.parallelTransactionsInProcess
      ? await openStores({ url, migrate: false })
      : stores;
  });

  afterAll(async () => {
    if (other !== stores) await other?.close();
    await stores?.close();
    await database.drop();
  });

  async function group(name: string): Promise<string> {
    return (await stores.groups.create({ cluster: 101, serverGroup: 1, backups: 2, name }, T0)).id;
  }

  it('finds every kind of job write once, in order, with holders and status', async () => {
    const groupId = await group('feed');
    const since = await stores.jobs.changeSeq();
    const a = await stores.jobs.create(jobSpec(groupId, { name: 'a' }), ['s1'], T0);
    const b = await stores.jobs.create(jobSpec(groupId, { name: 'b' }), ['s1', 's2'], T0);
    const a2 = await stores.jobs.update(a.id, a.version, { name: 'a2' }, T0 + 1);
    const b2 = await stores.jobs.setHolders(b.id, b.version, ['s3'], T0 + 2);
    // A write at a stale version changes nothing, and so shows nothing.
    expect(await stores.jobs.update(a.id, a.version, { name: 'stale' }, T0 + 3)).toBeUndefined();
    const a3 = await stores.jobs.setStatus(a.id, a2!.version, JobStatus.Deleted, T0 + 4);

    const changes = await stores.jobs.listChangedSince(since);
    // Each job once, as its last write left it, in the order of those last writes.
    expect(changes.jobs).toEqual([b2, a3]);
    expect(changes.jobs[0]?.holders).toEqual(['s3']);
    expect(changes.jobs[1]?.status).toBe(JobStatus.Deleted);
    expect(changes.seq).toBe(await stores.jobs.changeSeq());
    expect(await stores.jobs.listChangedSince(changes.seq)).toEqual({
      jobs: [],
      seq: changes.seq,
    });
  });

  it('shows nothing of a job write whose transaction rolled back', async () => {
    const groupId = await group('rollback');
    const since = await stores.jobs.changeSeq();
    await expect(
      stores.transaction(async (tx) => {
        await tx.jobs.create(jobSpec(groupId, { name: 'lost' }), ['s1'], T0);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await stores.jobs.listChangedSince(since)).jobs).toEqual([]);
  });

  it('a reader following the changes while two writers race ends with every job as stored', async () => {
    const groupId = await group('race');
    const made: Job[] = [];
    for (let i = 0; i < 10; i++)
      made.push(await stores.jobs.create(jobSpec(groupId, { name: `r${i}` }), ['s1'], T0));
    let seq = await stores.jobs.changeSeq();
    const seen = new Map<number, Job>();
    let writing = true;
    const follow = (async () => {
      // Polls until the writers are done, then once more: what it saw must be the end state.
      for (let last = false; !last;) {
        last = !writing;
        const changes = await stores.jobs.listChangedSince(seq);
        expect(changes.seq).toBeGreaterThanOrEqual(seq);
        for (const job of changes.jobs) seen.set(job.id, job);
        seq = changes.seq;
      }
    })();
    const writer = async (store: SqlStores, offset: number): Promise<void> => {
      for (let round = 0; round < 15; round++) {
        await Promise.all(
          made.map(async (job, i) => {
            if ((i + round) % 2 !== offset) return;
            const current = await store.jobs.get(job.id);
            if (current === undefined) return;
            await store.jobs.update(current.id, current.version, { param: `${round}` }, T0);
          }),
        );
      }
    };
    await Promise.all([writer(stores, 0), writer(other, 1)]);
    writing = false;
    await follow;
    const stored = await Promise.all(made.map((job) => stores.jobs.get(job.id)));
    expect(made.map((job) => seen.get(job.id))).toEqual(stored);
    expect(stored.every((job) => (job?.version ?? 0) > 1)).toBe(true);
  });
});
