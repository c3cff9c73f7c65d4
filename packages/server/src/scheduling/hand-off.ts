import type { Clock, Execution, ExecutionStore, Logger } from '@carillon/core';
import { ExecutionState } from '@carillon/core';

/** Settings of a {@link HandOff}. */
export interface HandOffOptions {
  readonly serverId: string;
  readonly clock: Clock;
  readonly executions: Pick<ExecutionStore, 'findFires'>;
  readonly leadMs: number;
  readonly claimAheadMs: number;
  readonly logger: Logger;
  readonly emit: (executions: Execution[]) => void;
}

/**
 * A hand-off this much later than planned (the process was frozen or starved) first checks that
 * the fires are still this server's: see {@link HandOff}.
 */
const LATE_MS = 500;

/**
 * Holds fires claimed ahead until their hand-off to the dispatcher, `leadMs` before their
 * instant: one hand-off per instant, so that all fires of an instant (claimed in one statement
 * or in several) are routed together and reach each client in one batch. A fire already within
 * `leadMs` of its instant (claimed late, or with no claim-ahead margin) is handed off at once.
 *
 * A fire whose claim is much older than the margin when its hand-off comes (this process was
 * frozen, say, past its coordinator session) may have been adopted meanwhile by a peer that took
 * this server for dead, and run: the dispatcher sends before it records, so handing it off
 * blindly could run it twice. Such fires are read back first, and only those still `claimed` by
 * this server at their first attempt are handed off.
 */
export class HandOff {
  readonly #o: HandOffOptions;
  readonly #held = new Map<number, { executions: Execution[]; cancel: () => void }>();

  constructor(options: HandOffOptions) {
    this.#o = options;
  }

  hold(executions: readonly Execution[]): void {
    const { clock, leadMs } = this.#o;
    const now = clock.now();
    const due: Execution[] = [];
    for (const execution of executions) {
      const at = execution.scheduledAt;
      if (at - leadMs <= now) {
        due.push(execution);
        continue;
      }
      const held = this.#held.get(at);
      if (held !== undefined) {
        held.executions.push(execution);
        continue;
      }
      // An instant of the schedule, like the claim's own timer: it follows a stepped clock.
      const cancel = clock.setTimer(at - leadMs, () => this.#handOff(at));
      this.#held.set(at, { executions: [execution], cancel });
    }
    this.#emit(due);
  }

  /** Hands off everything held now, earliest instant first (the scheduler stops). */
  flush(): void {
    for (const at of [...this.#held.keys()].sort((a, b) => a - b)) this.#handOff(at);
  }

  #handOff(at: number): void {
    const held = this.#held.get(at);
    if (held === undefined) return;
    this.#held.delete(at);
    held.cancel();
    this.#emit(held.executions);
  }

  #emit(executions: readonly Execution[]): void {
    if (executions.length === 0) return;
    const { clock, claimAheadMs } = this.#o;
    const now = clock.now();
    const isStale = (e: Execution): boolean => now - e.createdAt > claimAheadMs + LATE_MS;
    const stale = executions.filter(isStale);
    if (stale.length === 0) {
      this.#o.emit([...executions]);
      return;
    }
    const fresh = executions.filter((e) => !isStale(e));
    if (fresh.length > 0) this.#o.emit(fresh);
    void this.#stillOurs(stale).then((ours) => {
      if (ours.length > 0) this.#o.emit(ours);
    });
  }

  async #stillOurs(executions: readonly Execution[]): Promise<Execution[]> {
    try {
      const rows = await this.#o.executions.findFires(executions);
      const ours = new Set(
        rows
          .filter(
            (r) =>
              r.ownerServerId === this.#o.serverId &&
              r.state === ExecutionState.Claimed &&
              r.attempt === 1,
          )
          .map((r) => r.id),
      );
      return executions.filter((e) => ours.has(e.id));
    } catch (error) {
      // The database cannot answer: no peer can adopt through it either. Handed off as before.
      this.#o.logger.warn(
        { err: error, count: executions.length },
        'could not check that fires handed off late are still owned by this server; handed off',
      );
      return [...executions];
    }
  }
}
