import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS } from '@carillon/protocol';
import type {
  ClientMessage,
  ClientReport,
  ResultReport,
  SubtaskChunkReport,
} from '@carillon/protocol';
import type { ClientLogger } from './client-logger.js';
import { executionKey } from './running-execution.js';

/** A stream reports can be written to: a server link while it is welcomed. */
export interface ReportStream {
  readonly address: string;
  /**
   * Queues `message` on the stream; false when the stream is not open (nothing was queued).
   *
   * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when the message breaks the
   *   contract.
   */
  send(message: ClientMessage): boolean;
}

// There are no acks: a Result written on a stream that then breaks may not have arrived. One
// that the stream survived by a keepalive round (ping and timeout) got through HTTP/2 to the
// server, so it is no longer kept for resending.
const SETTLE_MS = KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS;
// Log lines and progress held while no stream is open are capped; Results and a parallel job's
// items (SubtaskChunk, which the server needs whole) never are.
const MAX_HELD_REPORTS = 10_000;

/**
 * Routes each report to a stream: the dispatching server's if it is open, else any open stream
 * of the group (any server can take a report: they share the store), else holds it, in order,
 * until a stream opens. Results are also kept after writing until they settle, and are written
 * again if their stream breaks first.
 */
export class ReportRouter {
  readonly #logger: ClientLogger;
  readonly #open = new Map<string, ReportStream>();
  #held: ClientReport[] = [];
  #heldOthers = 0;
  readonly #unsettled = new Map<
    string,
    { report: ResultReport | SubtaskChunkReport; at: number }[]
  >();
  #waiters: (() => void)[] = [];

  constructor(logger: ClientLogger) {
    this.#logger = logger;
  }

  /** Results (and items of parallel jobs) waiting for a stream. */
  get heldResults(): number {
    return this.#held.length - this.#heldOthers;
  }

  /** A stream opened (Welcome): writes everything held to it, in order. */
  opened(stream: ReportStream): void {
    this.#open.set(stream.address, stream);
    const held = this.#held;
    this.#held = [];
    this.#heldOthers = 0;
    for (const report of held) this.send(report, stream.address);
    if (this.heldResults === 0) this.#wake();
  }

  /**
   * A stream ended. Unless it ended cleanly (this client half-closed and the server answered
   * OK), its unsettled Results are sent again elsewhere or held.
   */
  closed(address: string, clean: boolean): void {
    this.#open.delete(address);
    const unsettled = this.#unsettled.get(address) ?? [];
    this.#unsettled.delete(address);
    if (clean) return;
    for (const { report } of unsettled) this.send(report, null);
  }

  /** Sends `report` towards `origin` (a server address), another open stream, or holds it. */
  send(report: ClientReport, origin: string | null): void {
    const preferred = origin === null ? undefined : this.#open.get(origin);
    for (const stream of preferred === undefined ? this.#open.values() : [preferred]) {
      if (this.#write(stream, report)) return;
    }
    this.#hold(report);
  }

  /** Forgets the Results written on `address` that have had time to arrive. */
  settle(address: string, now: number): void {
    const unsettled = this.#unsettled.get(address);
    if (unsettled === undefined) return;
    const kept = unsettled.filter((entry) => now - entry.at < SETTLE_MS);
    if (kept.length === 0) this.#unsettled.delete(address);
    else this.#unsettled.set(address, kept);
  }

  /** Resolves when no Result is held, or after `timeoutMs`. */
  async delivered(timeoutMs: number): Promise<void> {
    if (this.heldResults === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#waiters.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  #write(stream: ReportStream, report: ClientReport): boolean {
    try {
      if (!stream.send(report)) return false;
    } catch (error) {
      // A report the contract rejects would be rejected everywhere: drop it, loudly.
      this.#logger.error(
        { err: error, executionId: report.executionId, kind: report.kind },
        'dropped a report that breaks the protocol',
      );
      return true;
    }
    // Items are kept like Results: a chunk lost with a broken stream would fail the execution.
    if (report.kind === 'result' || report.kind === 'subtaskChunk') {
      const list = this.#unsettled.get(stream.address) ?? [];
      list.push({ report, at: Date.now() });
      this.#unsettled.set(stream.address, list);
    }
    return true;
  }

  #hold(report: ClientReport): void {
    if (report.kind === 'result') {
      const key = executionKey(report);
      if (this.#held.some((held) => held.kind === 'result' && executionKey(held) === key)) return;
      this.#held.push(report);
      return;
    }
    this.#held.push(report);
    if (report.kind === 'subtaskChunk') return;
    this.#heldOthers += 1;
    if (this.#heldOthers > MAX_HELD_REPORTS) {
      const oldest = this.#held.findIndex(
        (held) => held.kind !== 'result' && held.kind !== 'subtaskChunk',
      );
      this.#held.splice(oldest, 1);
      this.#heldOthers -= 1;
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
