import { CarillonError } from '@carillon/core';
import * as grpc from '@grpc/grpc-js';
import { SERVER_CHANNEL_OPTIONS } from './channel-options.js';
import { ClientConnection, GrpcStatus } from './connection.js';
import { dispatcherServiceDefinition } from './dispatcher-service.js';
import { withTraceparents } from './dispatch-trace.js';
import { ProtocolErrorCode } from './errors.js';
import type { DispatcherHandlers } from './generated/carillon/v1/Dispatcher.js';
import {
  DISPATCHER_SERVICE_NAME,
  HEALTH_SERVICE_DEFINITION,
  ServingStatus,
  healthServiceHandlers,
  providedGrpcHealth,
} from './grpc-health.js';

/** What a server does with the streams clients open. */
export interface DispatcherServerHandlers {
  /**
   * A client opened a stream. Attach the connection's listeners before returning (messages
   * that arrive with no listener are lost); the first message should be a Hello.
   */
  connect(connection: ClientConnection): void;
}

/** TLS for the server's listener; without it the server listens in plaintext. */
export interface ServerTls {
  readonly keyCertPairs: readonly { readonly privateKey: Buffer; readonly certChain: Buffer }[];
  /** CA certificates to check client certificates against. */
  readonly rootCerts?: Buffer;
  /** Require and check client certificates (mutual TLS). Default false. */
  readonly checkClientCertificate?: boolean;
}

/** Options of {@link createDispatcherServer}. */
export interface DispatcherServerOptions {
  readonly tls?: ServerTls;
  /** gRPC server options, applied over {@link SERVER_CHANNEL_OPTIONS}. */
  readonly channelOptions?: grpc.ServerOptions;
}

/** `created` → `listening` (after `listen`) → `stopping` → `stopped`. */
export type DispatcherServerState = 'created' | 'listening' | 'stopping' | 'stopped';

/**
 * The gRPC side of a Carillon server: serves `carillon.v1.Dispatcher` and hands every client
 * stream, as a {@link ClientConnection}, to the `connect` handler. Scheduling, sessions and
 * routing live in `@carillon/server`; this class only owns the listener and the streams.
 */
export class DispatcherServer {
  readonly #handlers: DispatcherServerHandlers;
  readonly #options: DispatcherServerOptions;
  readonly #server: grpc.Server;
  readonly #connections = new Set<ClientConnection>();
  readonly #ports = new Set<number>();
  #serviceAdded = false;
  #state: DispatcherServerState = 'created';

  /** Builds the server; no I/O until {@link DispatcherServer.listen}. */
  constructor(handlers: DispatcherServerHandlers, options: DispatcherServerOptions = {}) {
    this.#handlers = handlers;
    this.#options = options;
    this.#server = new grpc.Server({ ...SERVER_CHANNEL_OPTIONS, ...options.channelOptions });
  }

  /** Where the server stands. */
  get state(): DispatcherServerState {
    return this.#state;
  }

  /** The open client streams. */
  get connections(): ReadonlySet<ClientConnection> {
    return this.#connections;
  }

  /**
   * Listens on `address` (`host:port`; port 0 lets the OS pick) and resolves to the bound port.
   * May be called again to listen on more addresses.
   *
   * @throws CarillonError `CARILLON_PROTOCOL_LISTEN_FAILED` when the address cannot be bound (in
   *   use, bad host), with gRPC's error as cause.
   * @throws CarillonError `CARILLON_PROTOCOL_PROTO_UNAVAILABLE` when the contract cannot load.
   * @example const port = await server.listen('127.0.0.1:0');
   */
  async listen(address: string): Promise<number> {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      throw new Error(`cannot listen: the dispatcher server is ${this.#state}`);
    }
    if (!this.#serviceAdded) {
      const implementation: DispatcherHandlers = { Connect: (call) => this.#accept(call) };
      this.#server.addService(dispatcherServiceDefinition(), implementation);
      this.#server.addService(
        HEALTH_SERVICE_DEFINITION,
        healthServiceHandlers((service) => this.#health(service)),
      );
      this.#serviceAdded = true;
    }
    const port = await new Promise<number>((resolve, reject) => {
      this.#server.bindAsync(address, this.#credentials(), (error, bound) => {
        if (error === null) resolve(bound);
        else reject(listenFailed(address, error));
      });
    });
    this.#ports.add(port);
    this.#state = 'listening';
    return port;
  }

  /**
   * Ends every client stream with UNAVAILABLE (clients reconnect to another server), then shuts
   * the listener down, forcefully after `graceMs` (default 5,000) if streams linger.
   */
  async stop({ graceMs = 5_000 }: { readonly graceMs?: number } = {}): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    for (const connection of this.#connections) {
      connection.end({ code: GrpcStatus.UNAVAILABLE, details: 'the server is stopping' });
    }
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
    this.#state = 'stopped';
  }

  /** Same as `stop()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * `grpc.health.v1.Health/Check`: NOT_SERVING once stopping; else what the process provided
   * for this port (see `provideGrpcHealth`), or SERVING for the server and the dispatch service.
   */
  async #health(service: string): Promise<ServingStatus | undefined> {
    if (service !== '' && service !== DISPATCHER_SERVICE_NAME) return undefined;
    if (this.#state !== 'listening') return ServingStatus.NotServing;
    const provided = providedGrpcHealth(this.#ports);
    return provided === undefined ? ServingStatus.Serving : provided(service);
  }

  #accept(call: ConstructorParameters<typeof ClientConnection>[0]): void {
    const connection = new ClientConnection(call, (message) =>
      withTraceparents(message, this.#ports),
    );
    this.#connections.add(connection);
    connection.once('close', () => this.#connections.delete(connection));
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      connection.end({ code: GrpcStatus.UNAVAILABLE, details: 'the server is stopping' });
      return;
    }
    this.#handlers.connect(connection);
  }

  #credentials(): grpc.ServerCredentials {
    const tls = this.#options.tls;
    if (tls === undefined) return grpc.ServerCredentials.createInsecure();
    return grpc.ServerCredentials.createSsl(
      tls.rootCerts ?? null,
      tls.keyCertPairs.map((pair) => ({
        private_key: pair.privateKey,
        cert_chain: pair.certChain,
      })),
      tls.checkClientCertificate ?? false,
    );
  }
}

/**
 * Creates the gRPC server of the dispatch protocol.
 *
 * @example
 * const server = createDispatcherServer({
 *   connect(connection) {
 *     connection.on('message', (message) => {
 *       if (message.kind === 'hello') connection.send({ kind: 'welcome', ... });
 *     });
 *     connection.on('close', (status) => forgetClient(connection, status));
 *   },
 * });
 * const port = await server.listen('0.0.0.0:7701');
 * // later
 * await server.stop({ graceMs: 2_000 });
 */
export function createDispatcherServer(
  handlers: DispatcherServerHandlers,
  options: DispatcherServerOptions = {},
): DispatcherServer {
  return new DispatcherServer(handlers, options);
}

function listenFailed(address: string, error: Error): CarillonError {
  // grpc-js folds the socket's error into its message ("... [listen EADDRINUSE: ...]").
  const why = /EADDRINUSE/.test(error.message) ? 'the address is in use' : error.message;
  return new CarillonError(ProtocolErrorCode.ListenFailed, `cannot listen on ${address}: ${why}`, {
    cause: error,
    details: { address },
  });
}
