import type { DispatchOrder } from '@carillon/protocol';
import type { ClientLink } from './client-link.js';

interface Pending {
  readonly link: ClientLink;
  readonly order: DispatchOrder;
}

/**
 * Collects the orders routed in one turn of the event loop and delivers them at its end with
 * one write per client: fires claimed together are routed together, and each client gets them
 * in one DispatchBatch.
 */
export class SendQueue {
  readonly #deliver: (link: ClientLink, orders: readonly DispatchOrder[]) => void;
  #pending = new Map<string, Pending>();
  #stopped = false;

  constructor(deliver: (link: ClientLink, orders: readonly DispatchOrder[]) => void) {
    this.#deliver = deliver;
  }

  add(link: ClientLink, order: DispatchOrder): void {
    if (this.#stopped) return;
    this.#pending.set(order.executionId, { link, order });
    if (this.#pending.size === 1) queueMicrotask(() => this.#flush());
  }

  /** True while an order for the execution waits to be delivered. */
  has(executionId: string): boolean {
    return this.#pending.has(executionId);
  }

  /** Removes an order not yet delivered; returns whether it was still waiting. */
  drop(executionId: string): boolean {
    return this.#pending.delete(executionId);
  }

  /** Delivers nothing more. */
  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
  }

  #flush(): void {
    const perLink = new Map<ClientLink, DispatchOrder[]>();
    for (const { link, order } of this.#pending.values()) {
      const list = perLink.get(link);
      if (list === undefined) perLink.set(link, [order]);
      else list.push(order);
    }
    this.#pending = new Map();
    for (const [link, orders] of perLink) this.#deliver(link, orders);
  }
}
