import type { Clock, Execution, ExecutionStore, Logger } from '@carillon/core';
import type { Dispatcher } from '../dispatch/dispatcher.js';

/** Settings of {@link recoverAfterRestart}. */
export interface RestartRecoveryOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long executions left in flight wait for their client to report. */
  readonly graceMs: number;
}

/**
 * Executions this server owned before a restart: claimed ones are dispatched now; those a
 * client was running get `graceMs` to report (a reconnecting client names them in its hello),
 * then are dispatched again with the next attempt. Returns a function that cancels the wait.
 */
export async function recoverAfterRestart(o: RestartRecoveryOptions): Promise<() => void> {
  const unfinished = await o.executions.listUnfinishedByOwner(o.serverId);
  o.dispatcher.take(unfinished.filter((e) => e.state === 'claimed'));
  const inFlight = unfinished.filter((e) => e.state !== 'claimed');
  if (inFlight.length === 0) return () => undefined;
  o.logger.warn(
    { count: inFlight.length, graceMs: o.graceMs },
    'executions left in flight by a previous run',
  );
  return o.clock.after(o.graceMs, () => {
    redispatchAbandoned(o, inFlight).catch((error: unknown) =>
      o.logger.error({ err: error }, 'dispatching executions left by a previous run failed'),
    );
  });
}

async function redispatchAbandoned(
  o: RestartRecoveryOptions,
  executions: readonly Execution[],
): Promise<void> {
  const retaken: Execution[] = [];
  for (const e of executions) {
    if (o.dispatcher.isActive(e.id)) continue;
    const fence = {
      id: e.id,
      from: ['dispatched', 'running'] as const,
      ownerServerId: o.serverId,
      attempt: e.attempt,
    };
    const patch = {
      attempt: e.attempt + 1,
      cause: 'failover' as const,
      clientId: null,
      reason: 'server restarted; no client reported the execution',
    };
    if (await o.executions.transition(fence, 'claimed', patch))
      retaken.push({ ...e, ...patch, state: 'claimed' });
  }
  o.dispatcher.take(retaken);
}
