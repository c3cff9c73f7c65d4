import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CarillonError,
  PROTOCOL_LIMITS,
  PROTOCOL_VERSION,
  isTransientHelloRejection,
} from '@carillon/protocol';
import type { Hello, HelloRejected, Welcome } from '@carillon/protocol';
import { Backoff } from './backoff.js';
import type { ClientEvents } from './client-events.js';
import type { ClientLogger } from './client-logger.js';
import { positive, resolveClientOptions } from './client-options.js';
import type { ClientOptions, ResolvedClientOptions } from './client-options.js';
import { ClientState } from './client-state.js';
import { ClientErrorCode, clientError } from './errors.js';
import { AbortReason } from './execution-aborted-error.js';
import { Executor } from './executor.js';
import { Fence } from './fence.js';
import type { JobHandler } from './job-handler.js';
import { ReportRouter } from './report-router.js';
import { SDK_VERSION } from './sdk-version.js';
import { LINK_CLOSE_TIMEOUT_MS, ServerFleet } from './server-fleet.js';
import type { ServerLink, ServerLinkEnd, ServerLinkHandlers } from './server-link.js';

/** Options of {@link Client.stop}. */
export interface StopOptions {
  /**
   * How long running handlers may take to finish before their signals abort (ms). Default
   * 10,000. Aborted handlers get one more second to end; a handler still running then is
   * reported `cancelled` and left behind.
   */
  readonly graceMs?: number;
}

const ABORT_WAIT_MS = 1_000;

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
  readonly #executor: Executor;
  readonly #router: ReportRouter;
  readonly #fence: Fence;
  readonly #fleet: ServerFleet;
  #state: ClientState = ClientState.Created;
  #startAbort: AbortController | null = null;
  #startWaiter: { resolve: () => void; reject: (error: Error) => void } | null = null;
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
    this.#router = new ReportRouter(this.#logger);
    this.#executor = new Executor({
      logger: this.#logger,
      send: (report, origin) => this.#router.send(report, origin),
      emit: (event, ...args) => this.#emit(event, ...args),
    });
    this.#fence = new Fence(this.#options.fenceMs, (cutOffMs) => this.#fenced(cutOffMs));
    this.#fleet = new ServerFleet(this.#options, this.#linkHandlers(), (address) =>
      this.#fence.forget(address),
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
    return this.#executor.inFlight;
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
  register(name: string, handler: JobHandler): this {
    if (this.#state !== ClientState.Created) {
      throw clientError(
        ClientErrorCode.InvalidState,
        `cannot register "${name}": the client is ${this.#state}`,
      );
    }
    if (
      typeof name !== 'string' ||
      name.length === 0 ||
      name.length > PROTOCOL_LIMITS.handlerMaxLength
    ) {
      throw invalidHandler(
        `the handler name must have 1 to ${PROTOCOL_LIMITS.handlerMaxLength} characters`,
      );
    }
    if (this.#executor.has(name))
      throw invalidHandler(`a handler named "${name}" is already registered`);
    if (typeof handler?.execute !== 'function')
      throw invalidHandler(`"${name}" has no execute function`);
    this.#executor.register(name, handler, positive('concurrency', handler.concurrency ?? 1));
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
    this.#executor.capacity = this.#options.capacity ?? this.#executor.defaultCapacity();
    this.#setState(ClientState.Starting);
    this.#startAbort = new AbortController();
    const deadline = Date.now() + this.#options.startTimeoutMs;
    try {
      const welcomed = new Promise<void>((resolve, reject) => {
        this.#startWaiter = { resolve, reject };
      });
      // It may be rejected (by a rejection or stop()) before discovery ends and it is awaited.
      welcomed.catch(() => undefined);
      this.#fleet.sync(await this.#initialAddresses(deadline, this.#startAbort.signal));
      await withDeadline(welcomed, deadline, () => this.#startTimedOut());
      this.#startWaiter = null;
      this.#setState(ClientState.Running);
      this.#fleet.startRefresh();
    } catch (error) {
      this.#startWaiter = null;
      // A stop() that interrupted the start does the cleanup itself.
      if (this.state === ClientState.Starting) {
        this.#setState(ClientState.Stopping);
        this.#fence.stop();
        await this.#fleet.close(LINK_CLOSE_TIMEOUT_MS);
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
    const deadline = Date.now() + graceMs;
    this.#setState(ClientState.Stopping);
    const interrupted = clientError(ClientErrorCode.Stopped, 'start() was interrupted by stop()');
    this.#startAbort?.abort(interrupted);
    this.#startWaiter?.reject(interrupted);
    this.#executor.stopAccepting();
    this.#fleet.stopRefresh();
    for (const link of this.#fleet.links.values()) link.send(this.#executor.heartbeat());
    await this.#executor.idle(graceMs);
    if (this.#executor.inFlight > 0) {
      const aborted = this.#executor.abortAll(AbortReason.Stopping, 'the client is stopping');
      this.#logger.warn(
        { count: aborted.length },
        'aborting handlers still running after the grace period',
      );
      await this.#executor.idle(ABORT_WAIT_MS);
      this.#executor.abandonRunning('the client stopped before the handler ended');
    }
    if (this.#router.heldResults > 0 && this.#fleet.links.size > 0) {
      await this.#router.delivered(Math.max(deadline - Date.now(), ABORT_WAIT_MS));
    }
    if (this.#router.heldResults > 0) {
      this.#logger.warn(
        { count: this.#router.heldResults },
        'stopped with results no server received',
      );
    }
    this.#fence.stop();
    await this.#fleet.close(LINK_CLOSE_TIMEOUT_MS);
    this.#setState(ClientState.Stopped);
  }

  async #initialAddresses(deadline: number, signal: AbortSignal): Promise<string[]> {
    const backoff = new Backoff(this.#options.reconnectInitialMs, this.#options.reconnectMaxMs);
    for (;;) {
      let failure: unknown;
      try {
        const addresses = await this.#fleet.addresses(signal);
        if (addresses.length > 0) return addresses;
        failure = new Error('the console lists no server for the group');
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (error instanceof CarillonError && error.code === ClientErrorCode.ConsoleRejected)
          throw error;
        failure = error;
      }
      const delay = backoff.next();
      if (Date.now() + delay >= deadline) {
        throw clientError(
          ClientErrorCode.StartTimeout,
          `found no server within ${this.#options.startTimeoutMs} ms: ${describe(failure)}`,
          { cause: failure },
        );
      }
      this.#logger.warn({ err: failure, retryInMs: delay }, 'discovery failed; retrying');
      await sleep(delay, undefined, { signal }).catch(() => {
        throw signal.reason;
      });
    }
  }

  #startTimedOut(): Error {
    const rejections = [...this.#fleet.links.values()]
      .map((link) => link.rejection)
      .filter((rejection) => rejection !== null);
    const first = rejections[0];
    const why = first === undefined ? 'none answered' : `rejected: ${first.code} ${first.message}`;
    return clientError(
      ClientErrorCode.StartTimeout,
      `no server of group ${this.#options.group} welcomed the client within ` +
        `${this.#options.startTimeoutMs} ms (${[...this.#fleet.links.keys()].join(', ')}: ${why})`,
    );
  }

  #linkHandlers(): ServerLinkHandlers {
    return {
      hello: () => this.#hello(),
      heartbeat: (link) => {
        this.#router.settle(link.address, Date.now());
        return this.#executor.heartbeat();
      },
      welcomed: (link, welcome) => this.#welcomed(link, welcome),
      rejected: (link, rejection) => this.#rejected(link, rejection),
      work: (link, message) => {
        if (message.kind === 'dispatchBatch')
          this.#executor.dispatch(message.dispatches, link.address);
        else this.#executor.cancel(message);
      },
      closed: (link, ended) => this.#closed(link, ended),
    };
  }

  #hello(): Hello {
    return {
      kind: 'hello',
      groupId: this.#options.group,
      clientId: this.#options.clientId,
      token: this.#options.token,
      handlers: this.#executor.handlers(),
      // The contract wants at least 1; a stopping client says 0 in its heartbeats instead.
      capacity: Math.max(1, this.#executor.capacity),
      room: this.#options.room,
      sdkVersion: SDK_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      running: this.#executor.runningRefs(),
    };
  }

  #welcomed(link: ServerLink, welcome: Welcome): void {
    this.#logger.info(
      { address: link.address, serverId: welcome.serverId },
      'connected to a server',
    );
    this.#fence.opened(link.address, welcome.fenceMs);
    this.#router.opened(link);
    this.#emit('server:connected', {
      address: link.address,
      serverId: welcome.serverId,
      heartbeatIntervalMs: welcome.heartbeatIntervalMs,
      fenceMs: welcome.fenceMs,
    });
    this.#startWaiter?.resolve();
  }

  #rejected(link: ServerLink, rejection: HelloRejected): void {
    const transient = isTransientHelloRejection(rejection.code);
    const fields = { address: link.address, code: rejection.code, reason: rejection.message };
    if (transient) this.#logger.warn(fields, 'the server refused the hello; retrying');
    else this.#logger.error(fields, 'the server refused the hello; check the token and the group');
    this.#emit('server:rejected', {
      address: link.address,
      code: rejection.code,
      message: rejection.message,
      transient,
    });
    if (transient || this.#startWaiter === null) return;
    const links = [...this.#fleet.links.values()];
    const final = (l: ServerLink) =>
      l.rejection !== null && !isTransientHelloRejection(l.rejection.code);
    if (links.every(final)) {
      this.#startWaiter.reject(
        clientError(
          ClientErrorCode.HelloRejected,
          `the server at ${link.address} refused the client: ${rejection.code}` +
            (rejection.message.length > 0 ? ` (${rejection.message})` : ''),
          { details: { rejectCode: rejection.code, address: link.address } },
        ),
      );
    }
  }

  #closed(link: ServerLink, ended: ServerLinkEnd): void {
    if (!ended.welcomed) return;
    this.#logger.info(
      { address: link.address, status: ended.status },
      'disconnected from a server',
    );
    this.#router.closed(link.address, ended.clean);
    this.#fence.closed(link.address);
    this.#emit('server:disconnected', {
      address: link.address,
      serverId: link.serverId,
      code: ended.status.code,
      details: ended.status.details,
    });
  }

  #fenced(cutOffMs: number): void {
    const aborted = this.#executor.abortAll(
      AbortReason.Fenced,
      'fenced: cut off from every server',
    );
    this.#logger.warn(
      { cutOffMs, fenceMs: this.#fence.fenceMs, aborted: aborted.length },
      'cut off from every server for longer than the fence interval; aborted the running handlers',
    );
    this.#emit('fenced', { cutOffMs, fenceMs: this.#fence.fenceMs, aborted });
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

function invalidHandler(message: string): CarillonError {
  return clientError(ClientErrorCode.InvalidOptions, message, { details: { option: 'handler' } });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Races `promise` against `deadline`; past it, rejects with `onTimeout()`. Clears its timer. */
async function withDeadline(
  promise: Promise<void>,
  deadline: number,
  onTimeout: () => Error,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(deadline - Date.now(), 0));
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
