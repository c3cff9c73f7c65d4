import type { ExecutionStore, Logger } from '@carillon/core';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { Membership } from '../membership.js';
import type { HeldJobs } from '../scheduling/held-jobs.js';

/** What {@link adoptOrphans} works with. */
export interface OrphanAdoptionOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  readonly held: HeldJobs;
  readonly membership: Membership;
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
}

/**
 * Takes over the unfinished executions of a departed server for the jobs this server now
 * prefers (compare-and-set on owner, next attempt) and dispatches them.
 */
export async function adoptOrphans(o: OrphanAdoptionOptions, deadServerId: string): Promise<void> {
  // Not only jobs the dead server still holds: the leader may have replaced it as a holder
  // already, and its executions of those jobs would be orphaned for good.
  const mine = [...o.held.values()].filter((j) => o.membership.isPreferred(j));
  if (mine.length === 0) return;
  const adopted = await o.executions.adoptOrphans(
    deadServerId,
    o.serverId,
    mine.map((j) => j.id),
  );
  if (adopted.length === 0) return;
  o.logger.warn(
    { deadServerId, adopted: adopted.length },
    'adopted executions of a departed server',
  );
  o.dispatcher.take(adopted);
}
