import type { Execution, ExecutionStore, Logger } from '@carillon/core';
import { ExecutionState } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import type { PeerClaim } from './peer-claims.js';

/** At most this many fires in one adoption: the store's limit of ids per statement. */
const ADOPT_AT_ONCE = 1000;

/** What a {@link GoneOwnerAdoption} works with. */
export interface GoneOwnerAdoptionOptions {
  readonly serverId: string;
  readonly executions: Pick<ExecutionStore, 'adoptOrphans'>;
  readonly events: ServerEventBus;
  readonly logger: Logger;
}

/** What became of the fires given to {@link GoneOwnerAdoption.adopt}. */
export interface AdoptionOutcome {
  /** Moved to this server and handed on to be routed (`fires:claimed`). */
  readonly adopted: number;
  /** Left alone by the compare-and-set: no longer `claimed` by that owner. */
  readonly notMoved: readonly PeerClaim[];
  /** In a call that failed: it may have committed, its reply lost; their rows tell. */
  readonly unconfirmed: readonly PeerClaim[];
}

/**
 * A standby's adoption of the claimed fires of a gone owner (compare-and-set on owner and
 * state, next attempt), and of what such an adoption moved though its call failed.
 */
export class GoneOwnerAdoption {
  readonly #o: GoneOwnerAdoptionOptions;
  /**
   * Fires an adoption was to move when it failed, by id, at the attempt read: its takeover may
   * have committed with its reply lost, and the row, now this server's, is no longer a gone
   * owner's to adopt. Looked for when the fire's row is read again.
   */
  readonly #unconfirmed = new Map<string, number>();

  constructor(options: GoneOwnerAdoptionOptions) {
    this.#o = options;
  }

  /**
   * Adopts `claims` of the gone `owner`. Every fire of a gone owner still `claimed` was never
   * sent: the owner records the dispatch (compare-and-set on owner and attempt) before
   * sending, so either it did and the adoption leaves the row alone, or the adoption wins and
   * its send does not happen. No age of the claim is asked for: `createdAt` is the owner's
   * clock, not ours. Never throws: a failed call's fires come back `unconfirmed`.
   */
  async adopt(owner: string, claims: readonly PeerClaim[]): Promise<AdoptionOutcome> {
    let adopted = 0;
    const notMoved: PeerClaim[] = [];
    const unconfirmed: PeerClaim[] = [];
    for (let i = 0; i < claims.length; i += ADOPT_AT_ONCE) {
      const some = claims.slice(i, i + ADOPT_AT_ONCE);
      let rows: readonly Execution[];
      try {
        // Only these fires, and only while still `claimed` by `owner`: what it sent, gave up
        // or lost to another server since the row was read is not moved.
        rows = await this.#o.executions.adoptOrphans(
          owner,
          this.#o.serverId,
          [...new Set(some.map((c) => c.jobId))],
          some.map((c) => c.id),
        );
      } catch (error) {
        this.#o.logger.warn(
          { err: error, deadServerId: owner, fires: some.length },
          'adopting a gone server’s claimed fires failed; their rows are read again',
        );
        for (const c of some) {
          this.#unconfirmed.set(c.id, c.attempt);
          unconfirmed.push(c);
        }
        continue;
      }
      const moved = new Set(rows.map((e) => e.id));
      for (const c of some) if (!moved.has(c.id)) notMoved.push(c);
      if (rows.length === 0) continue;
      adopted += rows.length;
      this.#o.logger.warn(
        { deadServerId: owner, adopted: rows.length },
        'adopted fires a gone server claimed and did not dispatch',
      );
      this.#o.events.emit('fires:claimed', { executions: rows });
    }
    return { adopted, notMoved, unconfirmed };
  }

  /**
   * True while an adoption whose call failed waits for a read of its row to learn whether it
   * moved the fire (see {@link takeUnconfirmed}).
   */
  get awaitsConfirmation(): boolean {
    return this.#unconfirmed.size > 0;
  }

  /**
   * Routes the fires of a failed adoption that it did move, found among `rows` read again:
   * this server's now, still `claimed`, at a later attempt than the one read (one on, unless
   * the owner had retried the fire since: a kept fire's attempt is its first read's). The
   * dispatcher routes an execution at an attempt once. Returns how many.
   */
  takeUnconfirmed(rows: readonly Execution[]): number {
    if (this.#unconfirmed.size === 0) return 0;
    const moved: Execution[] = [];
    for (const row of rows) {
      const before = this.#unconfirmed.get(row.id);
      if (before === undefined) continue;
      this.#unconfirmed.delete(row.id);
      if (
        row.ownerServerId === this.#o.serverId &&
        row.state === ExecutionState.Claimed &&
        row.attempt > before
      )
        moved.push(row);
    }
    if (moved.length === 0) return 0;
    this.#o.logger.warn(
      { adopted: moved.length },
      'fires an adoption moved though its call failed (reply lost) are routed now',
    );
    this.#o.events.emit('fires:claimed', { executions: moved });
    return moved.length;
  }
}
