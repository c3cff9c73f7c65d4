import { DispatcherClient, GrpcStatus, isTransientHelloRejection } from '@carillon/protocol';
import type {
  CancelOrder,
  ClientMessage,
  ClientTls,
  DispatchBatch,
  Heartbeat,
  Hello,
  HelloRejected,
  ServerConnection,
  ServerMessage,
  StreamStatus,
  Welcome,
} from '@carillon/protocol';
import { Backoff } from './backoff.js';
import type { ClientLogger } from './client-logger.js';

/** What a link reports to the client around it, and asks of it. */
export interface ServerLinkHandlers {
  /** The Hello for a new stream (built each time: `running` changes). */
  hello(): Hello;
  /** The Heartbeat to send now. */
  heartbeat(link: ServerLink): Heartbeat;
  welcomed(link: ServerLink, welcome: Welcome): void;
  rejected(link: ServerLink, rejection: HelloRejected): void;
  work(link: ServerLink, message: DispatchBatch | CancelOrder): void;
  /** A stream ended; `clean` when this end half-closed it and the server answered OK. */
  closed(link: ServerLink, ended: ServerLinkEnd): void;
}

/** How a stream of a link ended. */
export interface ServerLinkEnd {
  readonly welcomed: boolean;
  readonly clean: boolean;
  readonly status: StreamStatus;
}

/** Options of {@link ServerLink}. */
export interface ServerLinkOptions {
  readonly tls: ClientTls | null;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  readonly logger: ClientLogger;
}

// A server that takes the stream but never answers the Hello is as good as gone; keepalive
// cannot tell, since its HTTP/2 layer still answers pings.
const HELLO_TIMEOUT_MS = 10_000;
// After a rejection that lasts until the configuration changes (bad token, unknown group), ask
// again only now and then: the operator may fix it, but hammering the server helps no one.
const REJECTED_BACKOFF_INITIAL_MS = 5_000;
const REJECTED_BACKOFF_MAX_MS = 60_000;

/**
 * The client's link to one server: one Connect stream at a time, opened again with backoff
 * whenever it ends, until `close`. Sends the Hello first, then heartbeats at the interval the
 * server's Welcome asks for.
 */
export class ServerLink {
  /** The server's RPC address, `host:port`. */
  readonly address: string;
  readonly #handlers: ServerLinkHandlers;
  readonly #logger: ClientLogger;
  readonly #channel: DispatcherClient;
  readonly #backoff: Backoff;
  readonly #rejectedBackoff = new Backoff(REJECTED_BACKOFF_INITIAL_MS, REJECTED_BACKOFF_MAX_MS);
  #connection: ServerConnection | null = null;
  #welcome: Welcome | null = null;
  #rejection: HelloRejected | null = null;
  #clockOffsetMs = 0;
  #helloSentAt = 0;
  #halfClosed = false;
  #closing = false;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #helloTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(address: string, options: ServerLinkOptions, handlers: ServerLinkHandlers) {
    this.address = address;
    this.#handlers = handlers;
    this.#logger = options.logger;
    this.#channel = new DispatcherClient(address, options.tls === null ? {} : { tls: options.tls });
    this.#backoff = new Backoff(options.reconnectInitialMs, options.reconnectMaxMs);
  }

  /** True while the current stream is welcomed and open. */
  get open(): boolean {
    return this.#welcome !== null && this.#connection?.state === 'open';
  }

  /**
   * How far the server's clock is ahead of this machine's, as estimated from the last Hello and
   * Welcome: the server read its clock between the two, which bounds the offset to the round
   * trip. The estimate is the smallest offset within those bounds: clocks in sync are taken as
   * they are (0), and a skewed clock is corrected to within the round trip.
   */
  get clockOffsetMs(): number {
    return this.#clockOffsetMs;
  }

  /** The server's id from its last Welcome, or null before any. */
  get serverId(): string | null {
    return this.#welcome?.serverId ?? null;
  }

  /** The rejection that ended the last stream, or null when it was not rejected. */
  get rejection(): HelloRejected | null {
    return this.#rejection;
  }

  /** Opens the first stream. */
  connect(): void {
    if (!this.#closing && this.#connection === null) this.#openStream();
  }

  /**
   * Queues `message` on the open stream; false when no stream is welcomed and open.
   *
   * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when the message breaks the
   *   contract.
   */
  send(message: ClientMessage): boolean {
    const connection = this.#connection;
    if (connection === null || !this.open) return false;
    connection.send(message);
    return true;
  }

  /**
   * Stops for good: half-closes the stream (after the queued messages), waits up to `timeoutMs`
   * for the server to end its side, cancels it otherwise, and closes the channel.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    this.#clearTimers();
    const connection = this.#connection;
    if (connection !== null && connection.state !== 'closed') {
      const ended = new Promise<void>((resolve) => connection.once('close', () => resolve()));
      this.#halfClosed = true;
      connection.end();
      if (!(await settlesWithin(ended, timeoutMs))) {
        connection.cancel();
        await settlesWithin(ended, 1_000);
      }
    }
    this.#channel.close();
  }

  #openStream(): void {
    let connection: ServerConnection;
    try {
      connection = this.#channel.connect();
    } catch (error) {
      this.#logger.error({ err: error, address: this.address }, 'cannot open a stream');
      this.#scheduleReconnect(true);
      return;
    }
    this.#connection = connection;
    this.#welcome = null;
    this.#rejection = null;
    this.#halfClosed = false;
    connection.on('message', (message) => this.#receive(connection, message));
    connection.on('malformed', (error) =>
      this.#logger.warn({ err: error, address: this.address }, 'dropped a malformed message'),
    );
    connection.on('close', (status) => this.#ended(connection, status));
    try {
      this.#helloSentAt = Date.now();
      connection.send(this.#handlers.hello());
    } catch (error) {
      this.#logger.error({ err: error, address: this.address }, 'cannot send the hello');
      // Every later Hello would fail the same way: retry as slowly as after a rejection.
      this.#rejection = { kind: 'helloRejected', code: 'invalid_hello', message: String(error) };
      connection.cancel();
      return;
    }
    this.#helloTimer = setTimeout(() => {
      this.#logger.warn(
        { address: this.address },
        `no answer to the hello in ${HELLO_TIMEOUT_MS} ms`,
      );
      connection.cancel();
    }, HELLO_TIMEOUT_MS);
  }

  #receive(connection: ServerConnection, message: ServerMessage): void {
    if (connection !== this.#connection) return;
    switch (message.kind) {
      case 'welcome':
        if (this.#welcome !== null) return;
        clearTimeout(this.#helloTimer);
        this.#welcome = message;
        this.#clockOffsetMs = Math.min(
          Math.max(0, message.serverTime - Date.now()),
          message.serverTime - this.#helloSentAt,
        );
        this.#backoff.reset();
        this.#rejectedBackoff.reset();
        this.#heartbeatTimer = setInterval(
          () => this.#heartbeat(),
          Math.max(message.heartbeatIntervalMs, 10),
        );
        this.#handlers.welcomed(this, message);
        this.#heartbeat();
        return;
      case 'helloRejected':
        clearTimeout(this.#helloTimer);
        this.#rejection = message;
        this.#handlers.rejected(this, message);
        return;
      case 'dispatchBatch':
      case 'cancel':
        if (this.#welcome === null) {
          this.#logger.warn({ address: this.address, kind: message.kind }, 'work before welcome');
          return;
        }
        this.#handlers.work(this, message);
        return;
    }
  }

  #heartbeat(): void {
    try {
      this.send(this.#handlers.heartbeat(this));
    } catch (error) {
      this.#logger.error({ err: error, address: this.address }, 'cannot send a heartbeat');
    }
  }

  #ended(connection: ServerConnection, status: StreamStatus): void {
    if (connection !== this.#connection) return;
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#helloTimer);
    const welcomed = this.#welcome !== null;
    const clean = this.#halfClosed && status.code === GrpcStatus.OK;
    this.#connection = null;
    this.#welcome = null;
    this.#logger.debug({ address: this.address, status }, 'stream ended');
    this.#handlers.closed(this, { welcomed, clean, status });
    if (!this.#closing) {
      const rejection = this.#rejection;
      this.#scheduleReconnect(rejection !== null && !isTransientHelloRejection(rejection.code));
    }
  }

  #scheduleReconnect(slowly: boolean): void {
    if (this.#closing) return;
    const delay = slowly ? this.#rejectedBackoff.next() : this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#closing) this.#openStream();
    }, delay);
  }

  #clearTimers(): void {
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#helloTimer);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }
}

/** True when `promise` settles within `ms`; the timer is cleared either way. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([promise.then(() => true), timedOut]);
  clearTimeout(timer);
  return result;
}
