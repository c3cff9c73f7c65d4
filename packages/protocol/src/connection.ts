import { EventEmitter } from 'node:events';
import type { CarillonError } from '@carillon/core';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import type { ClientMessage } from './client-message.js';
import {
  decodeClientMessages,
  encodeClientMessage,
  encodeClientReport,
} from './client-message-codec.js';
import type { Decoded } from './errors.js';
import { ReportBatcher } from './report-batcher.js';
import type { ServerMessage } from './server-message.js';
import { decodeServerMessage, encodeServerMessage } from './server-message-codec.js';
import type {
  ClientMessage as WireClientMessage,
  ClientMessage__Output as WireClientMessageOutput,
} from './generated/carillon/v1/ClientMessage.js';
import type {
  ServerMessage as WireServerMessage,
  ServerMessage__Output as WireServerMessageOutput,
} from './generated/carillon/v1/ServerMessage.js';

/** How a stream ended: a gRPC status code (`GrpcStatus`) and its details. */
export interface StreamStatus {
  readonly code: GrpcStatus;
  readonly details: string;
}

/** `open`: messages can be sent. `closing`: this end finished sending. `closed`: all over. */
export type ConnectionState = 'open' | 'closing' | 'closed';

/** The events of a connection, for `on`/`once`/`off`. */
export interface ConnectionEvents<In> {
  /** A message arrived and passed validation. In stream order. */
  message: [message: In];
  /**
   * A message arrived and was dropped: `CARILLON_PROTOCOL_MALFORMED` (it breaks the contract)
   * or `CARILLON_PROTOCOL_UNKNOWN_MESSAGE` (empty, or a kind from a newer peer). The stream
   * stays open; the owner decides whether to end it.
   */
  malformed: [error: CarillonError];
  /** The write buffer, full when `send` last returned false, has room again. */
  drain: [];
  /** The stream ended, for whatever reason; emitted exactly once, after the last `message`. */
  close: [status: StreamStatus];
}

interface WireStream<WireOut> {
  write(message: WireOut): boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * One Connect stream, typed with domain messages on both sides: outgoing messages are checked
 * and encoded, incoming ones decoded and checked. Attach listeners synchronously after getting
 * the connection: messages that arrive with no `message` listener are lost.
 */
abstract class Connection<In, Out, WireIn, WireOut> extends EventEmitter<ConnectionEvents<In>> {
  #state: ConnectionState = 'open';
  readonly #stream: WireStream<WireOut>;
  readonly #encode: (message: Out) => WireOut;
  readonly #decode: (wire: WireIn) => readonly Decoded<In>[];

  /** `decode` turns one wire message into the messages it carries (a batch carries several). */
  protected constructor(
    stream: WireStream<WireOut>,
    encode: (message: Out) => WireOut,
    decode: (wire: WireIn) => readonly Decoded<In>[],
  ) {
    super();
    this.#stream = stream;
    this.#encode = encode;
    this.#decode = decode;
    stream.on('data', (wire: WireIn) => this.#receive(wire));
    stream.on('drain', () => this.emit('drain'));
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Checks, encodes and queues a message. Returns false when the write buffer is full (the
   * message is still queued: wait for `drain` before sending much more) and when the connection
   * is no longer `open` (the message is dropped: the peer is gone or leaving).
   *
   * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when the message breaks the
   *   contract; nothing is sent.
   */
  send(message: Out): boolean {
    const wire = this.#encode(message);
    if (this.#state !== 'open') return false;
    return this.write(wire);
  }

  /** Writes an encoded message; false when the write buffer is full. */
  protected write(wire: WireOut): boolean {
    return this.#stream.write(wire);
  }

  /** Marks this end as done sending; true when it was open. */
  protected beginClosing(): boolean {
    if (this.#state !== 'open') return false;
    this.#state = 'closing';
    return true;
  }

  /** Emits `close` once. */
  protected finish(status: StreamStatus): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.emit('close', status);
  }

  #receive(wire: WireIn): void {
    for (const decoded of this.#decode(wire)) {
      if (this.#state === 'closed') return;
      if (decoded.ok) this.emit('message', decoded.message);
      else this.emit('malformed', decoded.error);
    }
  }
}

/**
 * A server's view of one client's stream: receives {@link ClientMessage}s, sends
 * {@link ServerMessage}s. Made by {@link DispatcherServer} and handed to its `connect` handler.
 *
 * Its `close` status says who ended the stream: OK when the client left on purpose (it
 * half-closed or cancelled the stream: gRPC shows the server both the same way, and the
 * connection then ends its side by itself), CANCELLED when the stream or the connection was lost
 * (the client process died, the network broke, keepalive gave up), or the status this end
 * passed to {@link ClientConnection.end}.
 */
export class ClientConnection extends Connection<
  ClientMessage,
  ServerMessage,
  WireClientMessageOutput,
  WireServerMessage
> {
  /** The raw gRPC call, for metadata and auth context. Do not read or write it directly. */
  readonly call: grpc.ServerDuplexStream<WireClientMessageOutput, WireServerMessage>;
  /** The client's address, e.g. `ipv4:127.0.0.1:53412`. */
  readonly peer: string;
  #endStatus: StreamStatus = { code: GrpcStatus.OK, details: 'OK' };

  /**
   * Wraps a server-side call; used by {@link DispatcherServer}, which may `decorate` each
   * outgoing message before it is encoded (trace contexts of dispatches).
   */
  constructor(
    call: grpc.ServerDuplexStream<WireClientMessageOutput, WireServerMessage>,
    decorate?: (message: ServerMessage) => ServerMessage,
  ) {
    super(
      call,
      decorate === undefined
        ? encodeServerMessage
        : (message: ServerMessage) => encodeServerMessage(decorate(message)),
      decodeClientMessages,
    );
    this.call = call;
    this.peer = call.getPeer();
    call.on('end', () =>
      this.end({ code: GrpcStatus.OK, details: 'the client closed the stream' }),
    );
    call.on('finish', () => this.finish(this.#endStatus));
    // grpc-js emits 'cancelled' at the end of every call, also after a status was sent; it
    // decides only when neither end closed the stream first, that is, when it was lost.
    call.on('cancelled', () =>
      this.finish({ code: GrpcStatus.CANCELLED, details: 'the stream to the client was lost' }),
    );
    // grpc-js listens for 'error' itself (it turns it into the call's status); this one only
    // makes sure a failed write still ends the connection.
    call.on('error', (error: { code?: number; details?: string; message?: string }) => {
      if (this.state !== 'open') return;
      this.#endStatus = {
        code: error.code ?? GrpcStatus.UNKNOWN,
        details: error.details ?? error.message ?? 'stream error',
      };
    });
    call.on('close', () => this.finish(this.#endStatus));
  }

  /**
   * Ends the stream after the queued messages, with `status` (default OK). Use UNAVAILABLE when
   * the server shuts down (the client reconnects), OK after a HelloRejected. Idempotent.
   */
  end(status: StreamStatus = { code: GrpcStatus.OK, details: 'OK' }): void {
    if (!this.beginClosing()) return;
    this.#endStatus = status;
    if (status.code === GrpcStatus.OK) this.call.end();
    // grpc-js's documented way to end a server stream with an error status.
    else this.call.emit('error', { code: status.code, details: status.details });
  }
}

/**
 * A client's view of its stream to one server: receives {@link ServerMessage}s, sends
 * {@link ClientMessage}s. Made by {@link DispatcherClient.connect}.
 *
 * Reports are checked when sent but written at the end of the event loop's turn, all those of
 * one turn in as few ReportBatch messages as their size allows: a client that starts many
 * handlers at one instant starts them all before it writes anything. Hello and Heartbeat are
 * written at once, behind the reports before them.
 */
export class ServerConnection extends Connection<
  ServerMessage,
  ClientMessage,
  WireServerMessageOutput,
  WireClientMessage
> {
  /** The raw gRPC call. Do not read or write it directly. */
  readonly call: grpc.ClientDuplexStream<WireClientMessage, WireServerMessageOutput>;
  #status: StreamStatus | undefined;
  #readEnded = false;
  readonly #reports = new ReportBatcher();
  #full = false;

  /** Wraps a client-side call; used by {@link DispatcherClient}. */
  constructor(call: grpc.ClientDuplexStream<WireClientMessage, WireServerMessageOutput>) {
    super(call, encodeClientMessage, (wire) => [decodeServerMessage(wire)]);
    this.call = call;
    this.on('drain', () => {
      this.#full = false;
    });
    // A non-OK status is also emitted as 'error', which would crash the process unheard; the
    // 'status' event that always follows carries the same facts.
    call.on('error', () => undefined);
    // 'status' can come before the last buffered messages are delivered; 'end' comes after
    // them, so close waits for both and no message arrives after `close`.
    call.on('status', (status: grpc.StatusObject) => {
      this.#status = { code: status.code, details: status.details };
      if (this.#readEnded) this.finish(this.#status);
    });
    call.on('end', () => {
      this.#readEnded = true;
      if (this.#status !== undefined) this.finish(this.#status);
    });
  }

  /**
   * Checks and queues a message; see {@link Connection.send}. Reports are written at the end of
   * this turn of the event loop, the others at once.
   *
   * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when the message breaks the
   *   contract; nothing is sent.
   */
  override send(message: ClientMessage): boolean {
    if (message.kind === 'hello' || message.kind === 'heartbeat') {
      this.#flush();
      return super.send(message);
    }
    const wire = encodeClientReport(message);
    if (this.state !== 'open') return false;
    if (this.#reports.empty) setImmediate(() => this.#flush());
    this.#reports.add(message, wire);
    return !this.#full;
  }

  /** Half-closes: tells the server this client is leaving; `close` follows when it ends. */
  end(): void {
    this.#flush();
    if (this.beginClosing()) this.call.end();
  }

  /** Abandons the stream at once (status CANCELLED); unsent messages are dropped. */
  cancel(): void {
    this.#reports.clear();
    this.beginClosing();
    this.call.cancel();
  }

  #flush(): void {
    if (this.state !== 'open') {
      this.#reports.clear();
      return;
    }
    for (const wire of this.#reports.take()) {
      if (!this.write(wire)) this.#full = true;
    }
  }
}

export { GrpcStatus };
