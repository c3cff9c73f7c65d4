import type { Clock } from '@carillon/core';
import type { DispatchOrder } from '@carillon/protocol';
import type { ClientLink } from './client-link.js';

interface Pending {
  readonly link: ClientLink;
  readonly order: DispatchOrder;
}

/**
 * Holds routed orders until their instant, then delivers all orders of one instant with one
 * write per client. Fires are claimed and routed ahead of time; this is the last step.
 */
export class SendQueue {
  readonly #clock: Clock;
  readonly #deliver: (link: ClientLink, orders: readonly DispatchOrder[]) => void;
  readonly #byInstant = new Map<number, Map<string, Pending>>();
  readonly #instantOf = new Map<string, number>();
  #timerAt = Infinity;
  #cancelTimer: (() => void) | undefined;

  constructor(clock: Clock, deliver: (link: ClientLink, orders: readonly DispatchOrder[]) => void) {
    this.#clock = clock;
    this.#deliver = deliver;
  }

  add(at: number, link: ClientLink, order: DispatchOrder): void {
    let bucket = this.#byInstant.get(at);
    if (bucket === undefined) {
      bucket = new Map();
      this.#byInstant.set(at, bucket);
    }
    bucket.set(order.executionId, { link, order });
    this.#instantOf.set(order.executionId, at);
    if (at <= this.#clock.now()) {
      // Already due (a late claim, a re-route): deliver in the same tick as other due orders.
      queueMicrotask(() => this.#flushDue());
    } else if (at < this.#timerAt) {
      this.#arm(at);
    }
  }

  /** Removes an order not yet delivered; returns whether it was still waiting. */
  drop(executionId: string): boolean {
    const at = this.#instantOf.get(executionId);
    if (at === undefined) return false;
    this.#instantOf.delete(executionId);
    const bucket = this.#byInstant.get(at);
    bucket?.delete(executionId);
    if (bucket?.size === 0) this.#byInstant.delete(at);
    return true;
  }

  stop(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#timerAt = Infinity;
  }

  #arm(at: number): void {
    this.#cancelTimer?.();
    this.#timerAt = at;
    this.#cancelTimer = this.#clock.setTimer(at, () => {
      this.#timerAt = Infinity;
      this.#cancelTimer = undefined;
      this.#flushDue();
    });
  }

  #flushDue(): void {
    const now = this.#clock.now();
    const perLink = new Map<ClientLink, DispatchOrder[]>();
    let nextAt = Infinity;
    for (const [at, bucket] of this.#byInstant) {
      if (at > now) {
        nextAt = Math.min(nextAt, at);
        continue;
      }
      this.#byInstant.delete(at);
      for (const { link, order } of bucket.values()) {
        this.#instantOf.delete(order.executionId);
        let list = perLink.get(link);
        if (list === undefined) {
          list = [];
          perLink.set(link, list);
        }
        list.push(order);
      }
    }
    for (const [link, orders] of perLink) this.#deliver(link, orders);
    if (nextAt < this.#timerAt) this.#arm(nextAt);
  }
}
