import type { Clock, Coordinator, Logger, Stores } from '@carillon/core';
import { hashTokenSecret } from '@carillon/core';
import type {
  ClientMessage,
  Hello,
  HelloRejectCode,
  ServerMessage,
  WireClientMessageOutput,
  WireServerMessage,
} from '@carillon/protocol';
import {
  PROTOCOL_VERSION,
  SERVER_CHANNEL_OPTIONS,
  decodeClientMessages,
  dispatcherServiceDefinition,
  encodeServerMessage,
  negotiateProtocolVersion,
} from '@carillon/protocol';
import * as grpc from '@grpc/grpc-js';
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

type ConnectCall = grpc.ServerDuplexStream<WireClientMessageOutput, WireServerMessage>;

/**
 * The gRPC endpoint clients connect to: authenticates each stream's hello with a client token
 * of the task group, then turns the stream into a {@link StreamLink} for the dispatcher.
 */
export class ClientEndpoint {
  readonly #o: ClientEndpointOptions;
  readonly #server: grpc.Server;
  readonly #links = new Map<string, StreamLink>();
  #address = '';

  private constructor(options: ClientEndpointOptions) {
    this.#o = options;
    this.#server = new grpc.Server(SERVER_CHANNEL_OPTIONS);
    this.#server.addService(dispatcherServiceDefinition(), {
      Connect: (call: ConnectCall) => this.#onStream(call),
    });
  }

  /** Binds and starts serving. */
  static async start(options: ClientEndpointOptions): Promise<ClientEndpoint> {
    const endpoint = new ClientEndpoint(options);
    const port = await new Promise<number>((resolve, reject) => {
      endpoint.#server.bindAsync(
        `${options.host}:${options.port}`,
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error === null ? resolve(bound) : reject(error)),
      );
    });
    endpoint.#address = `${options.host}:${port}`;
    return endpoint;
  }

  /** host:port the endpoint listens on. */
  get address(): string {
    return this.#address;
  }

  /** Ends every stream and stops listening. */
  async close(): Promise<void> {
    for (const link of this.#links.values()) link.end();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, 2_000);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  #onStream(call: ConnectCall): void {
    const write = (message: ServerMessage): boolean => {
      try {
        return call.write(encodeServerMessage(message));
      } catch (error) {
        this.#o.logger.warn({ err: error }, 'writing to a client stream failed');
        return false;
      }
    };
    let link: StreamLink | undefined;
    let handshake: Promise<void> | undefined;
    const chains = new Map<string, Promise<void>>();
    const receive = (message: ClientMessage): void => {
      if (handshake === undefined) {
        handshake = this.#hello(message, write, call).then((made) => {
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
    };
    call.on('data', (wire: WireClientMessageOutput) => {
      for (const decoded of decodeClientMessages(wire)) {
        if (decoded.ok) receive(decoded.message);
        else
          this.#o.logger.warn(
            { err: decoded.error, clientId: link?.clientId },
            'malformed client message dropped',
          );
      }
    });
    const closed = (why: string): void => {
      if (link === undefined || this.#links.get(link.clientId) !== link) return;
      this.#links.delete(link.clientId);
      this.#o.dispatcher.detach(link.clientId, why);
      void this.#o.coordinator
        .unregisterClient(link.groupId, link.clientId, this.#o.serverId)
        .catch(() => undefined);
    };
    call.on('end', () => {
      closed('disconnected (its stream ended)');
      call.end();
    });
    call.on('error', () => closed('disconnected (stream broke)'));
    call.on('cancelled', () => closed('disconnected (stream cancelled)'));
  }

  async #onMessage(link: StreamLink | undefined, message: ClientMessage): Promise<void> {
    if (link === undefined) return;
    switch (message.kind) {
      case 'hello':
        this.#o.logger.warn({ clientId: link.clientId }, 'second hello on a stream ignored');
        return;
      case 'heartbeat':
        link.heartbeat(message);
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
    call: ConnectCall,
  ): Promise<StreamLink | undefined> {
    const reject = (code: HelloRejectCode, text: string): undefined => {
      this.#o.logger.warn({ code, text }, 'client hello rejected');
      write({ kind: 'helloRejected', code, message: text });
      call.end();
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
    const link = new StreamLink(message, write, () => call.end());
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
    await this.#o.coordinator.registerClient({
      clientId: link.clientId,
      groupId: link.groupId,
      serverId: this.#o.serverId,
      handlers: [...link.handlers.keys()],
      room: link.room,
    });
    return link;
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
