import type { Clock, Coordinator, Logger, Stores } from '@carillon/core';
import { hashTokenSecret } from '@carillon/core';
import type {
  ClientConnection,
  ClientMessage,
  DispatcherServer,
  Hello,
  HelloRejectCode,
  ServerMessage,
} from '@carillon/protocol';
import {
  GrpcStatus,
  PROTOCOL_VERSION,
  createDispatcherServer,
  negotiateProtocolVersion,
} from '@carillon/protocol';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { StreamLink } from './stream-link.js';

/** Settings of the {@link ClientEndpoint}. */
export interface ClientEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly serverId: string;
  readonly cluster: number;
  readonly serverGroup: number;
  readonly stores: Stores;
  readonly coordinator: Coordinator;
  readonly dispatcher: Dispatcher;
  /** The clock dispatches' instants are on; the Welcome tells clients its time. */
  readonly clock: Clock;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  readonly fenceMs: number;
}

/**
 * The gRPC endpoint clients connect to: authenticates each stream's hello with a client token
 * of the task group, then turns the stream into a {@link StreamLink} for the dispatcher.
 */
export class ClientEndpoint {
  readonly #o: ClientEndpointOptions;
  readonly #server: DispatcherServer;
  readonly #links = new Map<string, StreamLink>();
  #address = '';

  private constructor(options: ClientEndpointOptions) {
    this.#o = options;
    this.#server = createDispatcherServer({ connect: (connection) => this.#onStream(connection) });
  }

  /** Binds and starts serving. */
  static async start(options: ClientEndpointOptions): Promise<ClientEndpoint> {
    const endpoint = new ClientEndpoint(options);
    const port = await endpoint.#server.listen(`${options.host}:${options.port}`);
    endpoint.#address = `${options.host}:${port}`;
    return endpoint;
  }

  /** host:port the endpoint listens on. */
  get address(): string {
    return this.#address;
  }

  /** Ends every stream (UNAVAILABLE: clients reconnect elsewhere or later) and stops listening. */
  async close(): Promise<void> {
    await this.#server.stop({ graceMs: 2_000 });
  }

  #onStream(connection: ClientConnection): void {
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
    const chains = new Map<string, Promise<void>>();
    connection.on('message', (message) => {
      if (handshake === undefined) {
        handshake = this.#hello(message, write, connection).then((made) => {
          link = made;
        });
        return;
      }
      // Reports wait for the hello's check; after it, reports about one execution keep their
      // order while different executions proceed side by side (their writes share a batch).
      const key = 'executionId' in message ? message.executionId : '';
      const next = (chains.get(key) ?? handshake).then(() => this.#onMessage(link, message));
      chains.set(key, next);
      void next.finally(() => {
        if (chains.get(key) === next) chains.delete(key);
      });
    });
    connection.on('malformed', (error) =>
      this.#o.logger.warn(
        { err: error, clientId: link?.clientId },
        'malformed client message dropped',
      ),
    );
    connection.on('close', (status) => {
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

  async #onMessage(link: StreamLink | undefined, message: ClientMessage): Promise<void> {
    if (link === undefined) return;
    switch (message.kind) {
      case 'hello':
        this.#o.logger.warn({ clientId: link.clientId }, 'second hello on a stream ignored');
        return;
      case 'heartbeat':
        if (link.heartbeat(message) && this.#links.get(link.clientId) === link) {
          this.#o.dispatcher.hungSlotsChanged(link);
          await this.#register(link);
        }
        return;
      case 'accepted':
      case 'refused':
      case 'started':
      case 'log':
      case 'progress':
      case 'result':
        await this.#o.dispatcher.report(link.clientId, message);
        return;
    }
  }

  async #hello(
    message: ClientMessage,
    write: (message: ServerMessage) => boolean,
    connection: ClientConnection,
  ): Promise<StreamLink | undefined> {
    const reject = (code: HelloRejectCode, text: string): undefined => {
      this.#o.logger.warn({ code, text }, 'client hello rejected');
      write({ kind: 'helloRejected', code, message: text });
      connection.end();
      return undefined;
    };
    if (message.kind !== 'hello')
      return reject('invalid_hello', 'the first message must be a hello');
    const version = negotiateProtocolVersion(message.protocolVersion);
    if (version === undefined)
      return reject(
        'unsupported_protocol',
        `protocol ${message.protocolVersion} is not supported; this server speaks ${PROTOCOL_VERSION}`,
      );
    const problem = await this.#authenticate(message);
    if (problem !== undefined) return reject(problem.code, problem.text);
    if (connection.state !== 'open') return undefined;
    const link = new StreamLink(message, write, () => connection.end());
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
      protocolVersion: version,
      serverTime: this.#o.clock.now(),
    });
    this.#o.dispatcher.attach(link);
    await this.#o.dispatcher.reattach(link.clientId, message.running);
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
      ...(link.hungSlots.size === 0 ? {} : { hungSlots: Object.fromEntries(link.hungSlots) }),
    });
  }

  async #authenticate(hello: Hello): Promise<{ code: HelloRejectCode; text: string } | undefined> {
    const token = await this.#o.stores.users.findToken(hashTokenSecret(hello.token));
    if (token === undefined || token.kind !== 'client' || token.groupId !== hello.groupId) {
      return {
        code: 'unauthenticated',
        text: 'the token is not a valid client token of this task group',
      };
    }
    const group = await this.#o.stores.groups.get(hello.groupId);
    if (group === undefined)
      return { code: 'unknown_group', text: `no task group ${hello.groupId}` };
    if (group.cluster !== this.#o.cluster || group.serverGroup !== this.#o.serverGroup) {
      return {
        code: 'wrong_server_group',
        text: `task group ${hello.groupId} is scheduled by ServerGroup ${group.serverGroup} of cluster ${group.cluster}`,
      };
    }
    return undefined;
  }
}
