import type { DispatchOrder } from '@carillon/protocol';
import type { Job, Stores } from '@carillon/core';
import { ExecutionCause, OverlapPolicy, newExecutionId } from '@carillon/core';
import { openStores } from '@carillon/storage';
import { waitFor } from '@carillon/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/dispatch/dispatcher.js';
import { claimedExecution } from '../src/scheduling/claimed-execution.js';
import { dispatcherOf, perSecondEchoJob, recordingLink } from './support/dispatch-set-up.js';

// A client whose stream broke comes back with a hello that does not name an execution this
// server sent it: the order may have been lost with the stream, so it is sent again at the
// same attempt. But a peer may have adopted the execution meanwhile (this server looked gone):
// the resend must not reach the client then, or the fire runs at both attempts.

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('the resend to a reconnecting client', () => {
  let stores: Stores;
  let job: Job;
  let dispatcher: Dispatcher;

  beforeEach(async () => {
    stores = await openStores({ url: 'sqlite::memory:' });
    job = await perSecondEchoJob(
      stores,
      T0,
      { cluster: 103, backups: 2, name: 'resend' },
      ['s1', 's2'],
      OverlapPolicy.Skip,
    );
    dispatcher = dispatcherOf(stores, 's1', job, T0);
  });

  afterEach(async () => {
    await dispatcher?.stop();
    await stores.close();
  });

  it('is not sent when a peer adopted the execution meanwhile', async () => {
    const claim = {
      id: newExecutionId(T0),
      jobId: job.id,
      groupId: job.groupId,
      scheduledAt: T0 + 1_000,
      cause: ExecutionCause.Schedule,
      param: null,
    };
    expect((await stores.executions.claimFires('s1', [claim], T0)).has(claim.id)).toBe(true);
    const first: DispatchOrder[] = [];
    dispatcher.attach(recordingLink('c1', job.groupId, first));
    dispatcher.take([claimedExecution(claim, 's1', T0)]);
    await waitFor('the order to go out', () => first.some((o) => o.executionId === claim.id));
    // The stream breaks; a peer takes the execution over (attempt 2) before the client is back.
    dispatcher.detach('c1', 'stream broke');
    const adopted = await stores.executions.adoptOrphans('s1', 's2', [job.id]);
    expect(adopted.map((e) => e.attempt)).toEqual([2]);
    const second: DispatchOrder[] = [];
    dispatcher.attach(recordingLink('c1', job.groupId, second));
    await dispatcher.reattach({ clientId: 'c1', groupId: job.groupId }, []);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second.filter((o) => o.executionId === claim.id)).toEqual([]);
  });

  it('is sent when the execution is still this server’s at that attempt', async () => {
    const claim = {
      id: newExecutionId(T0),
      jobId: job.id,
      groupId: job.groupId,
      scheduledAt: T0 + 1_000,
      cause: ExecutionCause.Schedule,
      param: null,
    };
    await stores.executions.claimFires('s1', [claim], T0);
    const first: DispatchOrder[] = [];
    dispatcher.attach(recordingLink('c1', job.groupId, first));
    dispatcher.take([claimedExecution(claim, 's1', T0)]);
    await waitFor('the order to go out', () => first.some((o) => o.executionId === claim.id));
    dispatcher.detach('c1', 'stream broke');
    const second: DispatchOrder[] = [];
    dispatcher.attach(recordingLink('c1', job.groupId, second));
    await dispatcher.reattach({ clientId: 'c1', groupId: job.groupId }, []);
    await waitFor('the order to go out again', () =>
      second.some((o) => o.executionId === claim.id && o.attempt === 1),
    );
  });
});
