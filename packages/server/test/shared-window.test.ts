import type { DispatchOrder } from '@carillon/protocol';
import type { Execution, Job, Stores } from '@carillon/core';
import { ExecutionCause, OverlapPolicy, newExecutionId } from '@carillon/core';
import { openStores } from '@carillon/storage';
import { waitFor } from '@carillon/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/dispatch/dispatcher.js';
import { claimedExecution } from '../src/scheduling/claimed-execution.js';
import { dispatcherOf, perSecondEchoJob, recordingLink } from './support/dispatch-set-up.js';

// A client's dispatch window (fires due and sent, not yet answered) is shared by its handlers.
// When it is full of one busy handler's fires, a fire of another handler waits; the room an
// answer makes must reach that fire too, not only the busy handler's backlog, or a "trigger
// once" waits behind a steady load until its dispatch timeout.

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const WINDOW = 256;

describe("a client's dispatch window shared by its handlers", () => {
  let stores: Stores;
  let busy: Job;
  let once: Job;
  let dispatcher: Dispatcher;

  beforeEach(async () => {
    stores = await openStores({ url: 'sqlite::memory:' });
    busy = await perSecondEchoJob(stores, T0, { cluster: 104, backups: 1, name: 'busy' }, ['s1']);
    // The busy job's settings, but triggered through the API, with a handler of its own.
    once = await stores.jobs.create(
      {
        ...busy,
        name: 'trigger once',
        trigger: { type: 'api' },
        handler: 'once',
        overlap: OverlapPolicy.Allow,
      },
      ['s1'],
      T0,
    );
    const jobs = new Map([busy, once].map((j) => [j.id, j]));
    dispatcher = dispatcherOf(stores, 's1', undefined, T0, { jobOf: (id) => jobs.get(id) });
  });

  afterEach(async () => {
    await dispatcher?.stop();
    await stores.close();
  });

  async function claimed(job: Job, count: number, cause: ExecutionCause): Promise<Execution[]> {
    const claims = Array.from({ length: count }, (_, i) => ({
      id: newExecutionId(T0),
      jobId: job.id,
      groupId: job.groupId,
      scheduledAt: T0 - 1_000 + i,
      cause,
      param: null,
    }));
    const won = await stores.executions.claimFires('s1', claims, T0);
    expect(won.size).toBe(count);
    return claims.map((c) => claimedExecution(c, 's1', T0));
  }

  it('gives the room an answer makes to a fire of another handler waiting for it', async () => {
    const sent: DispatchOrder[] = [];
    const link = recordingLink('c1', busy.groupId, sent);
    dispatcher.attach({
      ...link,
      handlers: new Map([
        ['echo', 1_000],
        ['once', 1],
      ]),
      capacity: 1_001,
    });
    // More fires of the busy handler than the window takes: the rest wait.
    dispatcher.take(await claimed(busy, WINDOW + 20, ExecutionCause.Schedule));
    await waitFor('the window to fill', () => sent.length === WINDOW);
    const [fire] = await claimed(once, 1, ExecutionCause.Manual);
    dispatcher.take([fire!]);
    // It waits with the busy handler's 20 that found no room.
    await waitFor('the fire to wait', () => dispatcher.waitingForClient === 21);
    expect(sent.some((o) => o.executionId === fire!.id)).toBe(false);
    // The client answers one of the busy handler's fires: one place in the window.
    const answered = sent[0]!;
    await dispatcher.report(
      { clientId: 'c1', groupId: busy.groupId },
      { kind: 'accepted', executionId: answered.executionId, attempt: answered.attempt },
    );
    await waitFor('the next order', () => sent.length === WINDOW + 1);
    expect(sent.at(-1)?.executionId).toBe(fire!.id);
  });
});
