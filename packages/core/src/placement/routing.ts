import type { RoutingStrategy } from '../job.js';
import type { Random } from './holder-assignment.js';

/** A connected client that could take a dispatch, with its load from heartbeats. */
export interface RouteCandidate {
  readonly clientId: string;
  /** Executions in flight on the client (all job types). */
  readonly inFlight: number;
  /** Declared capacity (all job types); at least 1. */
  readonly capacity: number;
  /** Free slots of the handler's pool on that client. */
  readonly freeSlots: number;
}

/**
 * Picks the client for a dispatch among those with a free slot for the handler, by the job's
 * routing strategy; undefined when none has room. `cursor` carries round-robin position per job.
 */
export function pickClient(
  candidates: readonly RouteCandidate[],
  strategy: RoutingStrategy,
  cursor: { next: number },
  random: Random = Math.random,
): RouteCandidate | undefined {
  const open = candidates.filter((c) => c.freeSlots > 0);
  if (open.length === 0) return undefined;
  switch (strategy) {
    case 'least_loaded': {
      // Ties are broken at random so that equal clients share work instead of one taking all.
      const load = (c: RouteCandidate): number => c.inFlight / Math.max(1, c.capacity);
      const least = Math.min(...open.map(load));
      const equals = open.filter((c) => load(c) === least);
      return equals[Math.floor(random() * equals.length)] ?? equals[0];
    }
    case 'round_robin': {
      const sorted = [...open].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
      const pick = sorted[cursor.next % sorted.length];
      cursor.next = (cursor.next + 1) % 1_000_000_000;
      return pick;
    }
    case 'random':
      return open[Math.floor(random() * open.length)] ?? open[0];
  }
}
