import * as grpc from '@grpc/grpc-js';
import { CLIENT_CHANNEL_OPTIONS } from './channel-options.js';
import { ServerConnection } from './connection.js';
import { loadDispatcherProto } from './dispatcher-service.js';
import type { DispatcherClient as WireDispatcherClient } from './generated/carillon/v1/Dispatcher.js';

/** TLS for a client's channel; without it the channel is plaintext. */
export interface ClientTls {
  /** CA certificates to check the server against; default: the system's roots. */
  readonly rootCerts?: Buffer;
  /** The client's key and certificate, for mutual TLS. */
  readonly privateKey?: Buffer;
  readonly certChain?: Buffer;
}

/** Options of {@link DispatcherClient}. */
export interface DispatcherClientOptions {
  readonly tls?: ClientTls;
  /** gRPC channel options, applied over {@link CLIENT_CHANNEL_OPTIONS}. */
  readonly channelOptions?: grpc.ChannelOptions;
}

/**
 * A channel to one Carillon server. It connects lazily, on the first stream or
 * `waitForReady`, and reconnects by itself (initial backoff 100 ms); each {@link connect}
 * opens a new Connect stream on it. One per server address; `close` when done.
 *
 * @example
 * const client = new DispatcherClient('10.0.0.5:7701');
 * const connection = client.connect();
 * connection.on('message', (message) => {
 *   if (message.kind === 'dispatchBatch') for (const order of message.dispatches) run(order);
 * });
 * connection.on('close', (status) => scheduleReconnect(status));
 * connection.send({ kind: 'hello', groupId: '101-1-2-6601', ... });
 */
export class DispatcherClient {
  /** The server's address, `host:port`. */
  readonly address: string;
  readonly #options: DispatcherClientOptions;
  #client: WireDispatcherClient | undefined;

  /** Builds the client; no I/O until the first stream or `waitForReady`. */
  constructor(address: string, options: DispatcherClientOptions = {}) {
    this.address = address;
    this.#options = options;
  }

  /**
   * Opens a Connect stream. Attach its listeners, then send the Hello. A stream that cannot be
   * established ends with `close` (status UNAVAILABLE), not with an exception.
   *
   * @throws CarillonError `CARILLON_PROTOCOL_PROTO_UNAVAILABLE` when the contract cannot load.
   */
  connect(): ServerConnection {
    return new ServerConnection(this.#channel().connect());
  }

  /**
   * Resolves once the channel is connected; rejects after `timeoutMs` (useful for a first
   * connection attempt with a clear error; streams do not need it).
   */
  waitForReady(timeoutMs: number): Promise<void> {
    const client = this.#channel();
    return new Promise((resolve, reject) => {
      client.waitForReady(Date.now() + timeoutMs, (error) => {
        if (error === undefined || error === null) resolve();
        else reject(error);
      });
    });
  }

  /** Closes the channel; its open streams end with CANCELLED or UNAVAILABLE. Idempotent. */
  close(): void {
    this.#client?.close();
  }

  #channel(): WireDispatcherClient {
    if (this.#client === undefined) {
      const Client = loadDispatcherProto().Dispatcher;
      this.#client = new Client(this.address, this.#credentials(), {
        ...CLIENT_CHANNEL_OPTIONS,
        ...this.#options.channelOptions,
      });
    }
    return this.#client;
  }

  #credentials(): grpc.ChannelCredentials {
    const tls = this.#options.tls;
    if (tls === undefined) return grpc.credentials.createInsecure();
    return grpc.credentials.createSsl(
      tls.rootCerts ?? null,
      tls.privateKey ?? null,
      tls.certChain ?? null,
    );
  }
}
