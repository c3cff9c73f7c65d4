import type { Job, Stores } from '@carillon/core';
import { ExecutionCause, JobStatus, newExecutionId } from '@carillon/core';
import { openStores } from '@carillon/storage';
import { waitFor } from '@carillon/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/dispatch/dispatcher.js';
import { claimedExecution } from '../src/scheduling/claimed-execution.js';
import { dispatcherOf, perSecondEchoJob } from './support/dispatch-set-up.js';

// A server back from a long absence (a restart past the holder grace) finds fires it claimed of
// a job the leader has moved to other servers meanwhile. Failed, such a fire was lost (nine of
// them in one soak run); now it is given up to the job's holders, unowned, as a manual fire is,
// and one of them takes it. A fire of a job that is disabled (or gone) is still failed.

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('a claimed fire of a job this server holds no longer', () => {
  let stores: Stores;
  let job: Job;
  let dispatcher: Dispatcher;

  beforeEach(async () => {
    stores = await openStores({ url: 'sqlite::memory:' });
    // Held by s2 and s3 now; s1, the fire's owner, does not hold it any more.
    job = await perSecondEchoJob(stores, T0, { cluster: 104, backups: 2, name: 'moved' }, [
      's2',
      's3',
    ]);
    dispatcher = dispatcherOf(stores, 's1', undefined, T0, { jobs: stores.jobs });
  });

  afterEach(async () => {
    await dispatcher?.stop();
    await stores.close();
  });

  const claimOne = async () => {
    const claim = {
      id: newExecutionId(T0),
      jobId: job.id,
      groupId: job.groupId,
      scheduledAt: T0 + 1_000,
      cause: ExecutionCause.Schedule,
      param: null,
    };
    expect((await stores.executions.claimFires('s1', [claim], T0)).has(claim.id)).toBe(true);
    return claim;
  };

  it('is given up to its current holders, who take it', async () => {
    const claim = await claimOne();
    dispatcher.take([claimedExecution(claim, 's1', T0)]);
    const given = await waitFor('the fire to be given up', async () => {
      const row = await stores.executions.get(claim.id);
      return row?.ownerServerId === null ? row : undefined;
    });
    expect(given).toMatchObject({ state: 'claimed', attempt: 1 });
    expect(given.reason).toMatch(/given up by server s1: its job is held by s2, s3 now/);
    expect(await stores.executions.listJobsWithUnowned()).toEqual([job.id]);
    const taken = await stores.executions.takeUnowned('s2', [job.id]);
    expect(taken.map((e) => [e.id, e.ownerServerId, e.state])).toEqual([
      [claim.id, 's2', 'claimed'],
    ]);
  });

  it('is failed when its job is disabled', async () => {
    await stores.jobs.setStatus(job.id, job.version, JobStatus.Disabled, T0);
    const claim = await claimOne();
    dispatcher.take([claimedExecution(claim, 's1', T0)]);
    const failed = await waitFor('the fire to be failed', async () => {
      const row = await stores.executions.get(claim.id);
      return row?.state === 'failed' ? row : undefined;
    });
    expect(failed.ownerServerId).toBe('s1');
    expect(failed.reason).toMatch(/is not held by server s1/);
  });
});
