import type { MisfirePolicy } from '@carillon/core';

/** What to do with each missed instant of one job. */
export interface MisfirePlan {
  /** Instants to fire now (cause `misfire`), oldest first. */
  readonly fire: readonly number[];
  /** Instants to record as skipped. */
  readonly skip: readonly number[];
}

/**
 * Applies a misfire policy to missed instants (oldest first): `fire_once` fires the latest and
 * skips the rest; `fire_all` fires up to `fireAllCap` of the oldest and skips the rest; `skip`
 * skips all. Every instant lands in exactly one list, so none is silently lost.
 */
export function planMisfires(
  instants: readonly number[],
  policy: MisfirePolicy,
  fireAllCap: number,
): MisfirePlan {
  switch (policy) {
    case 'fire_once':
      return instants.length === 0
        ? { fire: [], skip: [] }
        : { fire: instants.slice(-1), skip: instants.slice(0, -1) };
    case 'fire_all':
      return { fire: instants.slice(0, fireAllCap), skip: instants.slice(fireAllCap) };
    case 'skip':
      return { fire: [], skip: [...instants] };
  }
}
