import type { DispatchOrder } from '@carillon/protocol';
import type { Execution, ExecutionStore, Job, Stores } from '@carillon/core';
import { ExecutionCause, ManualClock, newExecutionId, silentLogger } from '@carillon/core';
import { ServerEventBus } from '@carillon/server';
import { openStores } from '@carillon/storage';
import { waitFor } from '@carillon/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/dispatch/dispatcher.js';
import { OrphanAdoption } from '../src/failover/orphan-adoption.js';
import { Membership } from '../src/membership.js';
import { HeldJobs } from '../src/scheduling/held-jobs.js';
import { StandbyWatch } from '../src/scheduling/standby-watch.js';
import { dispatcherOf, perSecondEchoJob, recordingLink } from './support/dispatch-set-up.js';

// An adoption call that fails after its takeover committed (its reply lost, every retry of the
// store's failing too): the departed server lists those executions no more, so the next
// adoption finds nothing to move, and unless the adopter looks for what the failed call did
// move, they stay claimed by it, never dispatched, until it restarts. The same for a standby's
// adoption of a gone owner's claimed fires: looked at again, they are this server's, no longer
// a gone owner's to adopt. A real SQLite store; the failure is injected after the real call
// returns, as a dropped connection would lose its reply.

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** The store, whose first `adoptOrphans` commits and then throws as if its reply were lost. */
function losingFirstReply(store: ExecutionStore): { store: ExecutionStore; lost: () => number } {
  let lost = 0;
  const wrapped = new Proxy(store, {
    get(target, name, receiver) {
      if (name !== 'adoptOrphans') {
        const value: unknown = Reflect.get(target, name, receiver);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      }
      return async (...args: Parameters<ExecutionStore['adoptOrphans']>) => {
        const adopted = await target.adoptOrphans(...args);
        if (lost > 0) return adopted;
        lost++;
        throw Object.assign(new Error('Connection lost: The server closed the connection.'), {
          code: 'PROTOCOL_CONNECTION_LOST',
          fatal: true,
        });
      };
    },
  });
  return { store: wrapped, lost: () => lost };
}

describe('an adoption whose call failed after it committed', () => {
  let stores: Stores;
  let job: Job;
  let dispatcher: Dispatcher;

  beforeEach(async () => {
    stores = await openStores({ url: 'sqlite::memory:' });
    // The leader has replaced the departed holder already: the sole holder sends a fire
    // before it records it, so a fire taken twice would go out twice.
    job = await perSecondEchoJob(stores, T0, { cluster: 103, backups: 2, name: 'lost reply' }, [
      's2',
    ]);
  });

  afterEach(async () => {
    await dispatcher?.stop();
    await stores.close();
  });

  it('has its executions dispatched at the next adoption, each once', async () => {
    const claims = [1, 2, 3].map((i) => ({
      id: newExecutionId(T0 + i * 1000),
      jobId: job.id,
      groupId: job.groupId,
      scheduledAt: T0 + i * 1000,
      cause: ExecutionCause.Schedule,
      param: null,
    }));
    await stores.executions.claimFires('dead', claims, T0);
    const clock = new ManualClock(T0);
    dispatcher = dispatcherOf(stores, 's2', job, T0, { clock });
    const sent: DispatchOrder[] = [];
    const cancelled: string[] = [];
    dispatcher.attach(recordingLink('c1', job.groupId, sent, cancelled));
    const held = new HeldJobs();
    held.replaceAll([job]);
    const membership = new Membership('s2');
    const faulty = losingFirstReply(stores.executions);
    const adoption = new OrphanAdoption({
      serverId: 's2',
      executions: faulty.store,
      held,
      membership,
      dispatcher,
      clock,
      logger: silentLogger,
      inFlightGraceMs: 10_000,
    });

    await expect(adoption.adopt('dead')).rejects.toMatchObject({
      code: 'PROTOCOL_CONNECTION_LOST',
    });
    expect(faulty.lost()).toBe(1);
    // Committed: the departed server has nothing left to list.
    expect(await stores.executions.listUnfinishedByOwner('dead')).toEqual([]);
    expect(sent).toEqual([]);

    // The next look (the server polls for departed servers) routes what the failed call moved.
    await adoption.adopt('dead');
    const ids = claims.map((c) => c.id).sort();
    await waitFor('the adopted fires to go out', () => sent.length >= ids.length);
    // The same rows as an adoption returns them (claimed, attempt 2), given again, as a
    // concurrent adoption of this server's may: routed once all the same.
    const again = (await stores.executions.listUnfinishedByOwner('s2')).map((e) => ({
      ...e,
      state: 'claimed' as const,
      clientId: null,
    }));
    dispatcher.take(again);
    await adoption.adopt('dead');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sent.map((o) => o.executionId).sort()).toEqual(ids);
    expect(sent.every((o) => o.attempt === 2)).toBe(true);
    expect(cancelled).toEqual([]);
  });
  it('a standby adoption of claimed fires routes them when it looks again', async () => {
    const claims = [1, 2].map((i) => ({
      id: newExecutionId(T0 + i * 1000),
      jobId: job.id,
      groupId: job.groupId,
      scheduledAt: T0 + i * 1000,
      cause: ExecutionCause.Schedule,
      param: null,
    }));
    await stores.executions.claimFires('dead', claims, T0);
    const clock = new ManualClock(T0);
    const events = new ServerEventBus();
    const taken: Execution[] = [];
    events.on('fires:claimed', ({ executions }) => taken.push(...executions));
    const faulty = losingFirstReply(stores.executions);
    const watch = new StandbyWatch({
      serverId: 's2',
      executions: faulty.store,
      clock,
      events,
      logger: silentLogger,
      jobOf: (id) => (id === job.id ? job : undefined),
      ownersGone: (ids) => Promise.resolve(new Set(ids.filter((id) => id === 'dead'))),
    });
    for (const c of claims) watch.watch(job, c.scheduledAt);
    // Past both instants: each fire's check adopts it; the first adoption's reply is lost.
    clock.advance(2_500);
    await waitFor('one adoption to fail and the other to land', () => {
      return faulty.lost() === 1 && taken.length === 1;
    });
    expect(await stores.executions.listUnfinishedByOwner('dead')).toEqual([]);
    // The failed check is tried again: its fire, now this server's, is routed.
    clock.advance(1_000);
    await waitFor('the moved fire to be taken', () => taken.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(taken.map((e) => [e.id, e.ownerServerId, e.attempt]).sort()).toEqual(
      claims.map((c) => [c.id, 's2', 2]).sort(),
    );
    watch.pause();
  });
});
