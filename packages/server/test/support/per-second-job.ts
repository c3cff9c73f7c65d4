import type { DispatchOrder } from '@carillon/protocol';
import type { Job, Stores } from '@carillon/core';
import { JobKind, MisfirePolicy, OverlapPolicy, RoutingStrategy } from '@carillon/core';
import type { ClientLink } from '../../src/dispatch/client-link.js';

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
