import type { DispatchOrder } from '@carillon/protocol';
import type { Clock, Job, Stores } from '@carillon/core';
import {
  JobKind,
  ManualClock,
  MisfirePolicy,
  OverlapPolicy,
  RoutingStrategy,
  silentLogger,
} from '@carillon/core';
import { ServerEventBus } from '../../src/events.js';
import type { ClientLink } from '../../src/dispatch/client-link.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import type { DispatcherOptions } from '../../src/dispatch/dispatcher.js';

/**
 * A task group and, in it, a job firing every second with the `echo` handler, held by
 * `holders` (the set-up of the tests that drive a Dispatcher or Scheduler on a real store).
 */
export async function perSecondEchoJob(
  stores: Stores,
  at: number,
  group: { readonly cluster: number; readonly backups: number; readonly name: string },
  holders: readonly string[],
  overlap: OverlapPolicy = OverlapPolicy.Allow,
): Promise<Job> {
  const { id: groupId } = await stores.groups.create({ ...group, serverGroup: 1 }, at);
  return stores.jobs.create(
    {
      groupId,
      name: 'every second',
      description: '',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'echo',
      kind: JobKind.Simple,
      param: null,
      routing: RoutingStrategy.LeastLoaded,
      overlap,
      misfire: MisfirePolicy.FireOnce,
      timeoutMs: 0,
      maxRetries: 0,
    },
    [...holders],
    at,
  );
}

/** A client's stream as the dispatcher sees it, recording what it is sent and told to cancel. */
export function recordingLink(
  clientId: string,
  groupId: string,
  sent: DispatchOrder[],
  cancelled: string[] = [],
): ClientLink {
  return {
    clientId,
    groupId,
    room: 'r1',
    labels: [],
    handlers: new Map([['echo', 8]]),
    capacity: 8,
    send: (orders) => sent.push(...orders),
    cancel: (executionId) => cancelled.push(executionId),
  };
}

/**
 * A dispatcher of server `serverId` on the test's store that holds `job` only, on a manual
 * clock at `at` unless `more` says otherwise.
 */
export function dispatcherOf(
  stores: Stores,
  serverId: string,
  job: Job | undefined,
  at: number,
  more: Partial<DispatcherOptions> & { readonly clock?: Clock } = {},
): Dispatcher {
  return new Dispatcher({
    serverId,
    executions: stores.executions,
    subtasks: stores.subtasks,
    jobOf: (id) => (id === job?.id ? job : undefined),
    clock: new ManualClock(at),
    events: new ServerEventBus(),
    logger: silentLogger,
    ...more,
  });
}
