import type { Clock, Coordinator, Logger, Stores } from '@carillon/core';
import { recordForeignResult } from '../failover/foreign-result.js';
import type { ForeignResultOptions } from '../failover/foreign-result.js';
import { recordForeignSubtaskResult } from '../failover/foreign-subtask-result.js';
import type { ForeignSubtaskResultOptions } from '../failover/foreign-subtask-result.js';
import type {
  ClientConnection,
  ClientMessage,
  ClientReport,
  DispatcherServer,
  HelloRejectCode,
  ServerMessage,
  ServerTls,
  StreamStatus,
} from '@carillon/protocol';
import { GrpcStatus, createDispatcherServer } from '@carillon/protocol';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { ServerEventBus } from '../events.js';
import { checkHello } from './hello-check.js';
import { HelloGuard } from './hello-guard.js';
import { MessageRate } from './message-rate.js';
import { RateCoolDown } from './rate-cool-down.js';
import { ReportChains } from './report-chains.js';
import { StreamLink } from './stream-link.js';
import { TokenWatch } from './token-watch.js';
import type { WatchedStream } from './token-watch.js';
import type { StreamLimits } from './stream-limits.js';

/** Settings of the {@link ClientEndpoint}. */
export interface ClientEndpointOptions {
  readonly host: string;
  readonly port: number;
  /** Default: plaintext. */
  readonly tls?: ServerTls;
  readonly serverId: string;
  readonly cluster: number;
  readonly serverGroup: number;
  readonly stores: Stores;
  readonly coordinator: Coordinator;
  readonly dispatcher: Dispatcher;
  /** The clock dispatches' instants are on; the Welcome tells clients its time. */
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: ServerEventBus;
  readonly heartbeatIntervalMs: number;
  readonly fenceMs: number;
  readonly limits: StreamLimits;
}

/**
 * The gRPC endpoint clients connect to: authenticates each stream's hello with a client token
 * of the task group, then turns the stream into a {@link StreamLink} for the dispatcher. It holds
 * every stream to what it was given: reports only about executions dispatched to that client,
 * a hello within `helloTimeoutMs`, a token still valid, and the message size and rate limits.
 */
export class ClientEndpoint {
  readonly #o: ClientEndpointOptions;
  readonly #server: DispatcherServer;
  readonly #links = new Map<string, StreamLink>();
  /**
   * The reports about one execution from one client, handled one after the other across its
   * streams: a client that reconnects sends on its new stream while the server still works
   * through what the old one delivered. Keyed by group, client and execution.
   */
  readonly #reportChains = new ReportChains();
  readonly #tokens: TokenWatch;
  readonly #coolDown: RateCoolDown;
  readonly #helloGuard: HelloGuard;
  #unwatchGroups: (() => void) | undefined;
  #address = '';
  readonly #foreign: ForeignResultOptions & ForeignSubtaskResultOptions;

  private constructor(options: ClientEndpointOptions) {
    this.#o = options;
    this.#foreign = {
      serverId: options.serverId,
      executions: options.stores.executions,
      subtasks: options.stores.subtasks,
      jobs: options.stores.jobs,
      logger: options.logger,
    };
    this.#server = createDispatcherServer(
      { connect: (connection) => this.#onStream(connection) },
      {
        channelOptions: { 'grpc.max_receive_message_length': options.limits.maxMessageBytes },
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      },
    );
    this.#coolDown = new RateCoolDown({
      coolDownMs: options.limits.rateCoolDownMs,
      maxMessagesPerSecond: options.limits.maxMessagesPerSecond,
      holdMaxMs: options.limits.helloTimeoutMs / 2,
    });
    this.#helloGuard = new HelloGuard({
      logger: options.logger,
      refusedLimit: options.limits.refusedHelloLimit,
      refusedCoolDownMs: options.limits.refusedHelloCoolDownMs,
      maxPending: options.limits.maxPendingHellos,
    });
    this.#tokens = new TokenWatch({
      users: options.stores.users,
      logger: options.logger,
      intervalMs: options.limits.tokenCheckMs,
      streams: () => this.#links.values(),
      revoked: (streams) => this.#revoke(streams),
    });
  }

  /** Binds and starts serving. */
  static async start(options: ClientEndpointOptions): Promise<ClientEndpoint> {
    const endpoint = new ClientEndpoint(options);
    const port = await endpoint.#server.listen(`${options.host}:${options.port}`);
    endpoint.#address = `${options.host}:${port}`;
    endpoint.#tokens.start();
    // A deleted group is noticed at once where the coordinator carries the console's notice;
    // revoked tokens (no notice) by the periodic check.
    endpoint.#unwatchGroups = options.coordinator.watchGroupChanges((groupId) => {
      for (const link of endpoint.#links.values())
        if (link.groupId === groupId) return void endpoint.#tokens.check();
    });
    return endpoint;
  }

  /** host:port the endpoint listens on. */
  get address(): string {
    return this.#address;
  }

  /** Ends every stream (UNAVAILABLE: clients reconnect elsewhere or later) and stops listening. */
  async close(): Promise<void> {
    this.#tokens.stop();
    this.#unwatchGroups?.();
    await this.#server.stop({ graceMs: 2_000 });
  }

  #revoke(streams: readonly WatchedStream[]): void {
    for (const stream of streams) {
      const link = this.#links.get(stream.clientId);
      if (link === undefined) continue;
      this.#o.logger.warn(
        { clientId: link.clientId, groupId: link.groupId },
        'client token revoked or task group deleted; stream closed',
      );
      link.end({
        code: GrpcStatus.UNAUTHENTICATED,
        details: 'the client token was revoked or its task group deleted',
      });
    }
  }

  #onStream(connection: ClientConnection): void {
    if (!this.#helloGuard.opened(connection)) return;
    const write = (message: ServerMessage): boolean => {
      try {
        return connection.send(message);
      } catch (error) {
        this.#o.logger.warn({ err: error }, 'writing to a client stream failed');
        return false;
      }
    };
    let link: StreamLink | undefined;
    let handshake: Promise<void> | undefined;
    const limits = this.#o.limits;
    const rate = new MessageRate(limits.maxMessagesPerSecond);
    const helloTimer = setTimeout(() => {
      if (link !== undefined || connection.state !== 'open') return;
      // A hello still in its check means a slow store, not a silent client: try again later.
      const checking = handshake !== undefined;
      const details = checking
        ? `the hello could not be checked within ${limits.helloTimeoutMs} ms; reconnect`
        : `no hello within ${limits.helloTimeoutMs} ms`;
      if (checking) this.#o.logger.info({ peer: connection.peer }, `stream closed: ${details}`);
      else this.#helloGuard.refused(connection, 'info', {}, `stream closed: ${details}`);
      connection.end({
        code: checking ? GrpcStatus.UNAVAILABLE : GrpcStatus.UNAUTHENTICATED,
        details,
      });
    }, limits.helloTimeoutMs);
    helloTimer.unref();
    const overLimit = (): boolean => {
      if (connection.state !== 'open') return true;
      if (rate.admit(Date.now())) return false;
      const details = `more than ${limits.maxMessagesPerSecond} messages a second`;
      this.#o.logger.warn(
        { clientId: link?.clientId, peer: connection.peer, coolDownMs: limits.rateCoolDownMs },
        `stream closed: ${details}`,
      );
      this.#coolDown.cut(connection, link);
      connection.end({ code: GrpcStatus.RESOURCE_EXHAUSTED, details });
      return true;
    };
    let malformedLogged = false;
    connection.on('message', (message) => {
      if (overLimit()) return;
      if (handshake === undefined) {
        handshake = this.#hello(message, write, connection).then((made) => {
          link = made;
        });
        return;
      }
      // Reports wait for the hello's check (queued in the order they came); after it, reports
      // about one execution keep their order, also behind those of the client's earlier stream,
      // while different executions proceed side by side (their writes share a batch). Without
      // that, a first level's Result on a new stream was checked before the item chunks still
      // queued from the old one ("it produced 100000 items but 25000 arrived").
      // Once the hello was accepted, every message queued behind its check has been handled
      // (those ran as soon as it resolved, before any later message arrived), so the next
      // ones go straight on: a promise less per report. Still on a microtask, not at once:
      // the messages a read delivers are all counted (rate limit) before any is handled.
      const made = link;
      if (made !== undefined) queueMicrotask(() => this.#inOrder(made, message));
      else
        void handshake.then(() => {
          if (link !== undefined) this.#inOrder(link, message);
        });
    });
    connection.on('malformed', (error) => {
      if (overLimit() || malformedLogged) return;
      // Once per stream and without a stack: the fault is the client's, not this process's.
      malformedLogged = true;
      this.#o.logger.warn(
        {
          code: error.code,
          reason: error.message,
          clientId: link?.clientId,
          peer: connection.peer,
        },
        'malformed client message dropped (logged once per stream)',
      );
    });
    connection.on('close', (status) => {
      clearTimeout(helloTimer);
      this.#helloGuard.settled(connection);
      // After the handshake, so that a link made by a hello still in its check is let go too.
      void (handshake ?? Promise.resolve()).then(() => {
        if (link === undefined || this.#links.get(link.clientId) !== link) return;
        this.#links.delete(link.clientId);
        const why =
          status.code === GrpcStatus.OK
            ? 'disconnected (its stream ended)'
            : `disconnected (${status.details})`;
        this.#o.dispatcher.detach(link.clientId, why);
        void this.#o.coordinator
          .unregisterClient(link.groupId, link.clientId, this.#o.serverId)
          .catch(() => undefined);
      });
    });
  }

  /** Handles a message after those about the same execution from the same client. */
  #inOrder(link: StreamLink, message: ClientMessage): void {
    const about = 'executionId' in message ? message.executionId : '';
    const key = `${link.groupId}\n${link.clientId}\n${about}`;
    this.#reportChains.run(
      key,
      () => this.#onMessage(link, message),
      (error) =>
        this.#o.logger.warn(
          { err: error, clientId: link.clientId, kind: message.kind, executionId: about },
          'a client report could not be handled; dropped',
        ),
    );
  }

  async #onMessage(link: StreamLink, message: ClientMessage): Promise<void> {
    switch (message.kind) {
      case 'hello':
        // One line per stream for whatever it sends out of turn, not one per message.
        if (link.refusalLogged) return;
        link.refusalLogged = true;
        this.#o.logger.warn({ clientId: link.clientId }, 'second hello on a stream ignored');
        return;
      case 'heartbeat': {
        const hungChanged = link.heartbeat(message);
        if (this.#links.get(link.clientId) !== link) return;
        this.#o.dispatcher.heard(link, message, hungChanged);
        if (hungChanged) await this.#register(link);
        return;
      }
      case 'accepted':
      case 'refused':
      case 'started':
      case 'log':
      case 'progress':
      case 'result':
      case 'subtaskChunk':
        // A result for an execution another server owns, or for a subtask this server did not
        // send, came here because the stream to the server that sent it broke: written under
        // the owner's fence, not dropped (see recordForeignResult, recordForeignSubtaskResult).
        // Not looked up when this server awaits it: a subtask's Result cost a read of the
        // executions table (where subtasks are not) on its way to the batched writer.
        if (
          message.kind === 'result' &&
          !this.#o.dispatcher.awaitsResult(message.executionId) &&
          ((await recordForeignResult(this.#foreign, link, message)) ||
            (await recordForeignSubtaskResult(this.#foreign, link, message)))
        )
          return;
        if (!(await this.#o.dispatcher.report(link, message))) this.#refused(link, message);
        return;
    }
  }

  /** A report about an execution that was not dispatched to this client changed nothing. */
  #refused(link: StreamLink, report: ClientReport): void {
    this.#o.events.emit('report:refused', {
      clientId: link.clientId,
      groupId: link.groupId,
      executionId: report.executionId,
      kind: report.kind,
    });
    if (link.refusalLogged) return;
    link.refusalLogged = true;
    this.#o.logger.warn(
      {
        clientId: link.clientId,
        groupId: link.groupId,
        executionId: report.executionId,
        kind: report.kind,
      },
      'report about an execution not dispatched to this client refused (logged once per stream)',
    );
  }

  async #hello(
    first: ClientMessage,
    write: (message: ServerMessage) => boolean,
    connection: ClientConnection,
  ): Promise<StreamLink | undefined> {
    const reject = (code: HelloRejectCode, text: string): undefined => {
      write({ kind: 'helloRejected', code, message: text });
      connection.end();
      this.#helloGuard.refused(connection, 'warn', { code, text }, 'client hello rejected');
      return undefined;
    };
    if (this.#helloGuard.turnAway(connection, first)) return undefined;
    if (
      first.kind === 'hello' &&
      this.#coolDown.turnAway(first.groupId, first.clientId, first.token, connection)
    )
      return undefined;
    const checked = await checkHello(first, this.#o.stores, this.#o);
    this.#helloGuard.settled(connection);
    if ('code' in checked) return reject(checked.code, checked.text);
    this.#helloGuard.accepted(checked.tokenHash);
    const message = checked.hello;
    if (connection.state !== 'open') {
      // Flooded behind its hello: the identity is proven now, so its cool-down starts.
      this.#coolDown.helloAccepted(connection, {
        groupId: message.groupId,
        clientId: message.clientId,
        tokenHash: checked.tokenHash,
      });
      return undefined;
    }
    // A client id names one client of one group: a hello of another group with the id of a
    // connected client would take its place. (Reports are checked against the group too, so
    // an id reused once the client has left gains nothing.)
    const live = this.#links.get(message.clientId);
    if (live !== undefined && live.groupId !== message.groupId)
      return reject(
        'unauthenticated',
        `client id ${message.clientId} belongs to another task group; give each client its own id`,
      );
    const link = new StreamLink(message, checked.tokenHash, write, (status?: StreamStatus) =>
      connection.end(status),
    );
    const previous = this.#links.get(link.clientId);
    this.#links.set(link.clientId, link);
    // A client that reconnects before its old stream was noticed dead takes the old one's
    // place; its work stays with it (the dispatcher keys work by client id).
    previous?.end();
    write({
      kind: 'welcome',
      serverId: this.#o.serverId,
      heartbeatIntervalMs: this.#o.heartbeatIntervalMs,
      fenceMs: this.#o.fenceMs,
      protocolVersion: checked.version,
      serverTime: this.#o.clock.now(),
    });
    this.#o.dispatcher.attach(link);
    await this.#o.dispatcher.reattach(link, message.running);
    await this.#register(link);
    return link;
  }

  /** Publishes the client's connection, with the slots it reports lost to hung handlers. */
  async #register(link: StreamLink): Promise<void> {
    await this.#o.coordinator.registerClient({
      clientId: link.clientId,
      groupId: link.groupId,
      serverId: this.#o.serverId,
      handlers: [...link.handlers.keys()],
      room: link.room,
      ...(link.labels.length === 0 ? {} : { labels: link.labels }),
      ...(link.hungSlots.size === 0 ? {} : { hungSlots: Object.fromEntries(link.hungSlots) }),
    });
  }
}
