import { EventEmitter } from 'node:events';
import { PROTOCOL_LIMITS } from '@carillon/protocol';
import type { ClientEvents } from './client-events.js';
import type { ClientLogger } from './client-logger.js';
import { positive, resolveClientOptions } from './client-options.js';
import type { ClientOptions, ResolvedClientOptions } from './client-options.js';
import { ClientRuntime } from './client-runtime.js';
import { ClientState } from './client-state.js';
import { ClientErrorCode, clientError } from './errors.js';
import type { JobHandler } from './job-handler.js';
import { isParallel } from './parallel-handler.js';
import type { ParallelJobHandler } from './parallel-handler.js';

/** Options of {@link Client.stop}. */
export interface StopOptions {
  /**
   * How long running handlers may take to finish before their signals abort (ms). Default
   * 10,000. Aborted handlers get one more second to end; a handler still running then is
   * reported `cancelled` and left behind.
   */
  readonly graceMs?: number;
}

/**
 * A Carillon client: joins a task group, keeps a stream open to every server of it, and runs
 * the executions they dispatch with the handlers registered here, reporting logs, progress and
 * results. Construct it (no I/O), `register` handlers, `start`, and `stop` on shutdown.
 *
 * @example
 * import { Client, NonRetryableError } from '@carillon/client';
 *
 * const client = new Client({ console: 'http://127.0.0.1:7700', group: '101-1-1-6601', token });
 * client.register('simple-test', {
 *   concurrency: 4,
 *   async execute(ctx) {
 *     ctx.log(`job ${ctx.jobId} ran`);
 *     if (ctx.param === null) throw new NonRetryableError('the job needs a parameter');
 *     return 'done';
 *   },
 * });
 * await client.start(); // learns its servers from the console, connects to each
 * process.once('SIGTERM', () => void client.stop({ graceMs: 10_000 }));
 */
export class Client extends EventEmitter<ClientEvents> {
  readonly #options: ResolvedClientOptions;
  readonly #logger: ClientLogger;
  readonly #runtime: ClientRuntime;
  #state: ClientState = ClientState.Created;
  #startAbort: AbortController | null = null;
  #stopping: Promise<void> | null = null;

  /**
   * Checks the options; does no I/O.
   *
   * @throws CarillonError `CARILLON_CLIENT_INVALID_OPTIONS` naming the bad option.
   */
  constructor(options: ClientOptions) {
    super();
    this.#options = resolveClientOptions(options);
    this.#logger = this.#options.logger;
    this.#runtime = new ClientRuntime(this.#options, (event, ...args) =>
      this.#emit(event, ...args),
    );
  }

  /** Where the client stands: `created`, `starting`, `running`, `stopping` or `stopped`. */
  get state(): ClientState {
    return this.#state;
  }

  /** The client's id, as the servers know it. */
  get clientId(): string {
    return this.#options.clientId;
  }

  /** Executions whose handler has not ended yet. */
  get inFlight(): number {
    return this.#runtime.executor.inFlight;
  }

  /**
   * Registers the handler of a job type (the name jobs give as their `handler`). Call it
   * before `start`. Returns the client, so calls can be chained.
   *
   * @throws CarillonError `CARILLON_CLIENT_INVALID_STATE` after `start`;
   *   `CARILLON_CLIENT_INVALID_OPTIONS` for an empty or taken name, a concurrency that is not a
   *   positive integer, or a handler without `execute`.
   * @example
   * client.register('report', {
   *   concurrency: 2,
   *   async execute(ctx) {
   *     ctx.progress(0, 'loading');
   *     const rows = await load(ctx.param, { signal: ctx.signal });
   *     ctx.progress(1, 'done');
   *     return { rows: rows.length }; // sent as JSON
   *   },
   * });
   */
  register(name: string, handler: JobHandler | ParallelJobHandler): this {
    if (this.#state !== ClientState.Created) {
      throw clientError(
        ClientErrorCode.InvalidState,
        `cannot register "${name}": the client is ${this.#state}`,
      );
    }
    const problem = this.#runtime.executor.has(name)
      ? `a handler named "${name}" is already registered`
      : handlerProblem(name, handler);
    if (problem !== null) {
      throw clientError(ClientErrorCode.InvalidOptions, problem, {
        details: { option: 'handler' },
      });
    }
    this.#runtime.executor.register(
      name,
      handler,
      positive('concurrency', handler.concurrency ?? 1),
    );
    return this;
  }

  /**
   * Finds the task group's servers (from the console, or the static list), connects to each,
   * and resolves once one of them has welcomed the client. Discovery and connections are
   * retried with backoff until `startTimeoutMs`. On failure everything is released and the
   * client is `stopped`.
   *
   * @throws CarillonError `CARILLON_CLIENT_CONSOLE_REJECTED` when the console refuses the token
   *   or group; `CARILLON_CLIENT_HELLO_REJECTED` when every server refuses the Hello for good
   *   (bad token, unknown group, ...); `CARILLON_CLIENT_START_TIMEOUT` when no server welcomed
   *   the client in time; `CARILLON_CLIENT_STOPPED` when `stop` interrupted it;
   *   `CARILLON_CLIENT_INVALID_STATE` when not `created`.
   * @example await client.start();
   */
  async start(): Promise<void> {
    if (this.#state !== ClientState.Created) {
      throw clientError(ClientErrorCode.InvalidState, `cannot start: the client is ${this.#state}`);
    }
    this.#runtime.executor.capacity =
      this.#options.capacity ?? this.#runtime.executor.defaultCapacity();
    this.#setState(ClientState.Starting);
    this.#startAbort = new AbortController();
    try {
      await this.#runtime.connect(
        Date.now() + this.#options.startTimeoutMs,
        this.#startAbort.signal,
      );
      this.#setState(ClientState.Running);
    } catch (error) {
      // A stop() that interrupted the start does the cleanup itself.
      if (this.state === ClientState.Starting) {
        this.#setState(ClientState.Stopping);
        await this.#runtime.close();
        this.#setState(ClientState.Stopped);
      }
      throw error;
    } finally {
      this.#startAbort = null;
    }
  }

  /**
   * Stops taking work (new dispatches are refused with STOPPING), waits up to `graceMs` for the
   * running handlers, aborts the rest, delivers their results, half-closes every stream and
   * clears every timer, so the process can exit. Safe to call in any state and more than once.
   *
   * @example await client.stop({ graceMs: 10_000 });
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.graceMs ?? 10_000);
    return this.#stopping;
  }

  /** Same as `stop()`, for `await using client = new Client(...)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(graceMs: number): Promise<void> {
    if (this.#state === ClientState.Created || this.#state === ClientState.Stopped) {
      this.#setState(ClientState.Stopped);
      return;
    }
    this.#setState(ClientState.Stopping);
    this.#startAbort?.abort(
      clientError(ClientErrorCode.Stopped, 'start() was interrupted by stop()'),
    );
    await this.#runtime.drain(graceMs);
    await this.#runtime.close();
    this.#setState(ClientState.Stopped);
  }

  #setState(to: ClientState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#emit('state:changed', { from, to });
  }

  #emit<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ClientEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.#logger.error({ err: error, event }, 'a client event listener threw');
    }
  }
}

function handlerProblem(name: string, handler: JobHandler | ParallelJobHandler): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'the handler name is empty';
  if (name.length > PROTOCOL_LIMITS.handlerMaxLength) {
    return `the handler name is longer than ${PROTOCOL_LIMITS.handlerMaxLength} characters`;
  }
  if (isParallel(handler)) {
    if (typeof handler.dispatch !== 'function') return `"${name}" has no dispatch function`;
    if (typeof handler.process !== 'function') return `"${name}" has no process function`;
    const reduce = (handler as { reduce?: unknown }).reduce;
    if (reduce !== undefined && typeof reduce !== 'function')
      return `"${name}" has a reduce that is not a function`;
    return null;
  }
  if (typeof (handler as Partial<JobHandler> | undefined)?.execute !== 'function') {
    return `"${name}" has no execute function`;
  }
  return null;
}
