import { afterAll, describe, expect, it } from 'vitest';
import { CoreErrorCode, DEFAULT_RETRY_POLICY } from '@carillon/core';
import { carillonMigrations, connect, openStores } from '@carillon/storage';
import { testDatabases } from '@carillon/testkit';
import { T0, jobSpec, withCode } from './fixtures.js';

describe.each(testDatabases())('routing pins and retry settings of jobs on $label', (database) => {
  afterAll(async () => {
    await database.drop();
  });

  it('a job stored before 0012 reads with the defaults; new fields round-trip and are checked', async () => {
    const url = await database.create();
    // The schema as it was before 0012, with a job written by the code of then.
    const { db, profile } = await connect({ url });
    try {
      for (const [name, migration] of Object.entries(carillonMigrations(profile)))
        if (name < '0012') await migration.up(db);
      await db
        .insertInto('task_groups')
        .values({
          id: '101-1-1-1',
          cluster: 101,
          server_group: 1,
          backups: 1,
          number: 1,
          name: 'old',
          created_at: T0,
        })
        .execute();
      await db
        .insertInto('jobs')
        .values({
          group_id: '101-1-1-1',
          name: 'old job',
          description: '',
          trigger_type: 'api',
          handler: 'h',
          kind: 'simple',
          routing: 'least_loaded',
          overlap: 'allow',
          misfire: 'fire_once',
          timeout_ms: 0,
          max_retries: 2,
          dispatch_timeout_ms: 60_000,
          status: 'enabled',
          created_at: T0,
          updated_at: T0,
          version: 1,
        })
        .execute();
    } finally {
      await db.destroy();
    }
    const stores = await openStores({ url });
    try {
      expect(stores.migration.applied).toContain('0012_routing_retries');
      const [old] = await stores.jobs.listByGroup('101-1-1-1');
      expect(old).toMatchObject({
        maxRetries: 2,
        routeLabels: [],
        routeRoom: null,
        retryBackoff: 'exponential',
        retryDelayMs: DEFAULT_RETRY_POLICY.delayMs,
        retryMaxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
        retryJitter: 0,
        subtaskMaxRetries: 0,
        subtaskRetryBackoff: 'exponential',
        subtaskRetryDelayMs: DEFAULT_RETRY_POLICY.delayMs,
        subtaskRetryMaxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
        subtaskRetryJitter: 0,
      });

      const settings = {
        routing: 'consistent_hash',
        routeLabels: ['gpu', 'zone=eu-1'],
        routeRoom: 'r2',
        retryBackoff: 'fixed',
        retryDelayMs: 250,
        retryMaxDelayMs: 5_000,
        retryJitter: 0.25,
        subtaskMaxRetries: 4,
        subtaskRetryBackoff: 'exponential',
        subtaskRetryDelayMs: 50,
        subtaskRetryMaxDelayMs: 800,
        subtaskRetryJitter: 1,
      } as const;
      const job = await stores.jobs.create(jobSpec('101-1-1-1', settings), ['s1'], T0);
      expect(job).toMatchObject(settings);
      expect(await stores.jobs.get(job.id)).toEqual(job);
      const unpinned = await stores.jobs.update(
        job.id,
        job.version,
        { routeLabels: [], routeRoom: null, retryJitter: 0 },
        T0 + 1,
      );
      expect(unpinned).toMatchObject({ routeLabels: [], routeRoom: null, retryJitter: 0 });

      const bad = [
        { routeLabels: ['has space'] },
        { routeLabels: ['a,b'] },
        { routeLabels: ['gpu', 'gpu'] },
        { routeLabels: Array.from({ length: 17 }, (_, i) => `l${i}`) },
        { routeRoom: '' },
        { retryBackoff: 'linear' as never },
        { retryDelayMs: -1 },
        { retryMaxDelayMs: 24 * 3600 * 1000 + 1 },
        { retryJitter: 1.5 },
        { retryDelayMs: 5_000, retryMaxDelayMs: 1_000 },
        { subtaskMaxRetries: 101 },
        { subtaskRetryJitter: -0.1 },
      ];
      for (const overrides of bad) {
        await expect(
          stores.jobs.create(jobSpec('101-1-1-1', overrides), ['s1'], T0),
        ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
      }
      expect(await stores.jobs.listByGroup('101-1-1-1')).toHaveLength(2);
    } finally {
      await stores.close();
    }
  });
});
