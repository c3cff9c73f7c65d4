import type { RoutingStrategy } from '../job.js';
import type { Random } from './holder-assignment.js';
import { ringOwner } from './hash-ring.js';

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

/** What a job is pinned to: clients with every label, and of the room when not null. */
export interface RoutePins {
  readonly routeLabels: readonly string[];
  readonly routeRoom: string | null;
}

/** True when a client with `labels` in `room` may take a job with `pins`. */
export function matchesPins(
  pins: RoutePins,
  client: { readonly labels: readonly string[]; readonly room: string },
): boolean {
  if (pins.routeRoom !== null && client.room !== pins.routeRoom) return false;
  return pins.routeLabels.every((label) => client.labels.includes(label));
}

/**
 * True for strategies that name one client whatever its load (first, last, consistent hash):
 * while that client is full, the fire waits for it rather than going to another.
 */
export function isStrictRouting(strategy: RoutingStrategy): boolean {
  return strategy === 'first' || strategy === 'last' || strategy === 'consistent_hash';
}

const byClientId = (a: RouteCandidate, b: RouteCandidate): number =>
  a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0;

/**
 * Picks the client for a dispatch among `candidates` (the connected clients that registered the
 * handler and match the job's pins), by the job's routing strategy; undefined when none can take
 * it now. `cursor` carries round-robin position per job; `key` is what consistent hashing hashes
 * (the job id). Client order is client id order, the same on every server.
 */
export function pickClient(
  candidates: readonly RouteCandidate[],
  strategy: RoutingStrategy,
  cursor: { next: number },
  random: Random = Math.random,
  key = '',
): RouteCandidate | undefined {
  switch (strategy) {
    case 'first':
    case 'last':
    case 'consistent_hash': {
      const sorted = [...candidates].sort(byClientId);
      let pick: RouteCandidate | undefined;
      if (strategy === 'first') pick = sorted[0];
      else if (strategy === 'last') pick = sorted[sorted.length - 1];
      else {
        const owner = ringOwner(
          sorted.map((c) => c.clientId),
          key,
        );
        pick = sorted.find((c) => c.clientId === owner);
      }
      return pick !== undefined && pick.freeSlots > 0 ? pick : undefined;
    }
    case 'least_loaded':
    case 'round_robin':
    case 'random':
    case 'failover':
    case 'busy_over':
      return pickOpen(
        candidates.filter((c) => c.freeSlots > 0),
        strategy,
        cursor,
        random,
      );
    case 'broadcast':
      // A broadcast fire is one subtask per client, each pinned to its client, never routed as
      // a whole; should it ever be asked, one pick goes to the least loaded.
      return pickOpen(
        candidates.filter((c) => c.freeSlots > 0),
        'least_loaded',
        cursor,
        random,
      );
  }
}

function pickOpen(
  open: readonly RouteCandidate[],
  strategy: 'least_loaded' | 'round_robin' | 'random' | 'failover' | 'busy_over',
  cursor: { next: number },
  random: Random,
): RouteCandidate | undefined {
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
      const sorted = [...open].sort(byClientId);
      const pick = sorted[cursor.next % sorted.length];
      cursor.next = (cursor.next + 1) % 1_000_000_000;
      return pick;
    }
    case 'random':
      return open[Math.floor(random() * open.length)] ?? open[0];
    case 'failover':
    case 'busy_over':
      // Clients already tried for this fire (busy-over) are left out of `open` upstream.
      return [...open].sort(byClientId)[0];
  }
}
