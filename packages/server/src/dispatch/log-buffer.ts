import type { ExecutionStore, LogLine, Logger } from '@carillon/core';

/**
 * Collects log lines from clients and writes them in batches, so that a chatty handler costs
 * one insert per flush instead of one per line. Order per execution is arrival order.
 */
export class LogBuffer {
  readonly #store: ExecutionStore;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #maxLines: number;
  #lines: LogLine[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: ExecutionStore, logger: Logger, flushMs = 100, maxLines = 500) {
    this.#store = store;
    this.#logger = logger;
    this.#flushMs = flushMs;
    this.#maxLines = maxLines;
  }

  add(line: LogLine): void {
    this.#lines.push(line);
    if (this.#lines.length >= this.#maxLines) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
  }

  /** Writes what is buffered; resolves when every earlier flush has landed too. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#lines;
    this.#lines = [];
    // Chained so that batches land in order even when one is slow.
    this.#flushing = this.#flushing.then(async () => {
      if (lines.length === 0) return;
      try {
        await this.#store.appendLogs(lines);
      } catch (error) {
        this.#logger.error({ err: error, lines: lines.length }, 'writing execution logs failed');
      }
    });
    return this.#flushing;
  }
}
