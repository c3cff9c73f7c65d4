import type { CancelReason, DispatchOrder } from '@carillon/protocol';

/**
 * A connected client as the dispatcher sees it, whatever the transport. The RPC endpoint makes
 * one per stream.
 */
export interface ClientLink {
  readonly clientId: string;
  readonly groupId: string;
  readonly room: string;
  /** Labels the client declared in its hello, for jobs pinned to labels. */
  readonly labels: readonly string[];
  /** Registered handlers with their pool size. */
  readonly handlers: ReadonlyMap<string, number>;
  /** Total concurrent executions the client declared. */
  readonly capacity: number;
  /** Slots the client last reported lost to hung handlers, by handler. */
  readonly hungSlots?: ReadonlyMap<string, number>;
  /** Sends orders in one stream write. */
  send(orders: readonly DispatchOrder[]): void;
  cancel(executionId: string, attempt: number, reason: CancelReason, message: string): void;
}
