import { setTimeout as sleep } from 'node:timers/promises';
import { CarillonError, PROTOCOL_VERSION, isTransientHelloRejection } from '@carillon/protocol';
import type { Hello, HelloRejected, Welcome } from '@carillon/protocol';
import { Backoff } from './backoff.js';
import type { ClientEvents } from './client-events.js';
import type { ClientLogger } from './client-logger.js';
import type { ResolvedClientOptions } from './client-options.js';
import { ClientErrorCode, clientError } from './errors.js';
import { AbortReason } from './execution-aborted-error.js';
import { Executor } from './executor.js';
import { Fence } from './fence.js';
import { LoadBeat } from './load-beat.js';
import { ReportRouter } from './report-router.js';
import { SDK_VERSION } from './sdk-version.js';
import { LINK_CLOSE_TIMEOUT_MS, ServerFleet } from './server-fleet.js';
import type { ServerLink, ServerLinkEnd } from './server-link.js';

// After their signal aborts, handlers get this long to end before they are left behind.
const ABORT_WAIT_MS = 1_000;

type Emit = <K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]) => void;

/**
 * The machinery behind a {@link Client}: the executor with its job pools, the links to the
 * servers, the report router between them, and the fence. The client owns the lifecycle; this
 * wires the parts together and reacts to what the streams say.
 */
export class ClientRuntime {
  readonly executor: Executor;
  readonly #options: ResolvedClientOptions;
  readonly #logger: ClientLogger;
  readonly #emit: Emit;
  readonly #router: ReportRouter;
  readonly #fence: Fence;
  readonly #fleet: ServerFleet;
  readonly #loadBeat: LoadBeat;
  #startWaiter: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(options: ResolvedClientOptions, emit: Emit) {
    this.#options = options;
    this.#logger = options.logger;
    this.#emit = emit;
    this.#router = new ReportRouter(this.#logger);
    this.executor = new Executor({
      logger: this.#logger,
      send: (report, origin) => this.#router.send(report, origin),
      emit,
      hungChanged: () => this.#beatToAll(),
      loadChanged: () => this.#loadBeat.changed(this.executor.inFlight, Date.now()),
    });
    this.#loadBeat = new LoadBeat(() => this.#beatToAll());
    this.#fence = new Fence(options.fenceMs, (cutOffMs, stopped) =>
      this.#fenced(cutOffMs, stopped),
    );
    this.#fleet = new ServerFleet(
      options,
      {
        hello: () => this.#hello(),
        heartbeat: (link) => {
          this.#router.settle(link.address, Date.now());
          return this.executor.heartbeat();
        },
        welcomed: (link, welcome) => this.#welcomed(link, welcome),
        rejected: (link, rejection) => this.#rejected(link, rejection),
        work: (link, message) => {
          if (message.kind === 'cancel') this.executor.cancel(message);
          else this.executor.dispatch(message.dispatches, link.address, link.clockOffsetMs);
        },
        closed: (link, ended) => this.#closed(link, ended),
      },
      (address) => this.#fence.forget(address),
    );
  }

  /**
   * Finds the servers and connects to each; resolves at the first Welcome.
   *
   * @throws CarillonError see `Client.start`.
   */
  async connect(deadline: number, signal: AbortSignal): Promise<void> {
    const welcomed = new Promise<void>((resolve, reject) => {
      this.#startWaiter = { resolve, reject };
    });
    // It may be rejected (a final rejection, or stop()) before it is awaited below.
    welcomed.catch(() => undefined);
    const onAbort = (): void => this.#startWaiter?.reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort);
    try {
      this.#fleet.sync(await this.#initialAddresses(deadline, signal));
      await withDeadline(welcomed, deadline, () => this.#startTimedOut());
      this.#fleet.startRefresh();
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#startWaiter = null;
    }
  }

  /**
   * Stops taking work, waits up to `graceMs` for running handlers, aborts the rest (leaving
   * behind those that ignore their signal, reported `cancelled`) and waits for held results to
   * reach a server until the grace period ends.
   */
  async drain(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    this.executor.stopAccepting();
    this.#fleet.stopRefresh();
    for (const link of this.#fleet.links.values()) link.send(this.executor.heartbeat());
    await this.executor.idle(graceMs);
    if (this.executor.inFlight > 0) {
      const aborted = this.executor.abortAll(AbortReason.Stopping, 'the client is stopping');
      this.#logger.warn({ count: aborted.length }, 'aborting handlers still running after grace');
      await this.executor.idle(ABORT_WAIT_MS);
      this.executor.abandonRunning('the client stopped before the handler ended');
    }
    if (this.#router.heldResults > 0 && this.#fleet.links.size > 0) {
      await this.#router.delivered(Math.max(deadline - Date.now(), ABORT_WAIT_MS));
    }
    if (this.#router.heldResults > 0) {
      this.#logger.warn({ count: this.#router.heldResults }, 'stopped with undelivered results');
    }
  }

  /** A heartbeat to every server now (a change they should not learn 2 s late). */
  #beatToAll(): void {
    const beat = this.executor.heartbeat();
    for (const link of this.#fleet.links.values()) link.send(beat);
    this.#loadBeat.sent(beat.inFlight, Date.now());
  }

  /** Half-closes every stream, closes the channels and clears every timer. */
  async close(): Promise<void> {
    this.#loadBeat.stop();
    this.#fence.stop();
    await this.#fleet.close(LINK_CLOSE_TIMEOUT_MS);
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
        if (error instanceof CarillonError && error.code === ClientErrorCode.ConsoleRejected) {
          throw error;
        }
        failure = error;
      }
      const delay = backoff.next();
      if (Date.now() + delay >= deadline) {
        const why = failure instanceof Error ? failure.message : String(failure);
        throw clientError(
          ClientErrorCode.StartTimeout,
          `found no server within ${this.#options.startTimeoutMs} ms: ${why}`,
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
    const rejection = [...this.#fleet.links.values()].find((l) => l.rejection !== null)?.rejection;
    const why =
      rejection === undefined || rejection === null
        ? 'none answered'
        : `rejected: ${rejection.code} ${rejection.message}`;
    return clientError(
      ClientErrorCode.StartTimeout,
      `no server of group ${this.#options.group} welcomed the client within ` +
        `${this.#options.startTimeoutMs} ms (${[...this.#fleet.links.keys()].join(', ')}: ${why})`,
    );
  }

  #hello(): Hello {
    return {
      kind: 'hello',
      groupId: this.#options.group,
      clientId: this.#options.clientId,
      token: this.#options.token,
      handlers: this.executor.handlers(),
      // The contract wants at least 1; a stopping client says 0 in its heartbeats instead.
      capacity: Math.max(1, this.executor.capacity),
      room: this.#options.room,
      sdkVersion: SDK_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      running: this.executor.runningRefs(),
      labels: this.#options.labels,
    };
  }

  #welcomed(link: ServerLink, welcome: Welcome): void {
    const { address } = link;
    this.#logger.info({ address, serverId: welcome.serverId }, 'connected to a server');
    this.#fence.opened(address, welcome.fenceMs);
    this.#router.opened(link);
    const { serverId, heartbeatIntervalMs, fenceMs } = welcome;
    this.#emit('server:connected', { address, serverId, heartbeatIntervalMs, fenceMs });
    this.#startWaiter?.resolve();
  }

  #rejected(link: ServerLink, rejection: HelloRejected): void {
    const { address } = link;
    const { code, message } = rejection;
    const transient = isTransientHelloRejection(code);
    if (transient) this.#logger.warn({ address, code, message }, 'hello refused; retrying');
    else this.#logger.error({ address, code, message }, 'hello refused; check token and group');
    this.#emit('server:rejected', { address, code, message, transient });
    const final = (l: ServerLink): boolean =>
      l.rejection !== null && !isTransientHelloRejection(l.rejection.code);
    if (transient || ![...this.#fleet.links.values()].every(final)) return;
    this.#startWaiter?.reject(
      clientError(
        ClientErrorCode.HelloRejected,
        `the server at ${address} refused the client: ${code}` +
          (message.length > 0 ? ` (${message})` : ''),
        { details: { rejectCode: code, address } },
      ),
    );
  }

  #closed(link: ServerLink, ended: ServerLinkEnd): void {
    if (!ended.welcomed) return;
    const { address } = link;
    this.#logger.info({ address, status: ended.status }, 'disconnected from a server');
    this.#router.closed(address, ended.clean);
    this.#fence.closed(address);
    const { code, details } = ended.status;
    this.#emit('server:disconnected', { address, serverId: link.serverId, code, details });
  }

  #fenced(cutOffMs: number, stopped: boolean): void {
    const aborted = this.executor.abortAll(
      AbortReason.Fenced,
      stopped
        ? `fenced: this process was stopped for ${cutOffMs} ms`
        : 'fenced: cut off from every server',
    );
    const fenceMs = this.#fence.fenceMs;
    this.#logger.warn(
      { cutOffMs, fenceMs, aborted: aborted.length, stopped },
      stopped
        ? 'this process was stopped for longer than the fence interval; aborted the running handlers'
        : 'cut off from every server for longer than the fence interval; aborted the running handlers',
    );
    this.#emit('fenced', { cutOffMs, fenceMs, aborted, stopped });
  }
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
