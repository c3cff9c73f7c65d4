import type { JobHandler } from './job-handler.js';
import type { ParallelJobHandler } from './parallel-handler.js';
import type { RunningExecution } from './running-execution.js';

/**
 * The executions of one job type on this client: its handler, its concurrency limit, and the
 * in-memory map of its running executions (by execution id and attempt). An execution keeps its
 * slot until its handler really ends, even after its signal aborted.
 */
export class JobPool {
  readonly name: string;
  readonly concurrency: number;
  readonly handler: JobHandler | ParallelJobHandler;
  readonly #running = new Map<string, RunningExecution>();

  constructor(name: string, concurrency: number, handler: JobHandler | ParallelJobHandler) {
    this.name = name;
    this.concurrency = concurrency;
    this.handler = handler;
  }

  /** Executions whose handler has not ended yet. */
  get inFlight(): number {
    return this.#running.size;
  }

  /** Executions whose handler outlived its aborted signal (their slots are lost to it). */
  get hung(): number {
    let count = 0;
    for (const execution of this.#running.values()) if (execution.hung) count++;
    return count;
  }

  /** True while a slot is free. */
  get hasRoom(): boolean {
    return this.#running.size < this.concurrency;
  }

  /** The running execution of this attempt (by its `executionKey`), if the pool holds it. */
  get(key: string): RunningExecution | undefined {
    return this.#running.get(key);
  }

  /** Takes a slot for `execution`. */
  add(execution: RunningExecution): void {
    this.#running.set(execution.key, execution);
  }

  /** Frees the slot of `execution` (its handler ended). */
  delete(execution: RunningExecution): void {
    this.#running.delete(execution.key);
  }

  /** The running executions. */
  executions(): IterableIterator<RunningExecution> {
    return this.#running.values();
  }
}
