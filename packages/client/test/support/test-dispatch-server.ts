import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ExecutionCause, GrpcStatus, createDispatcherServer } from '@carillon/protocol';
import type {
  CancelReason,
  ClientConnection,
  ClientMessage,
  DispatchOrder,
  DispatcherServer,
  Hello,
  HelloRejectCode,
  StreamStatus,
} from '@carillon/protocol';

/** One client stream as the test server saw it. */
export interface TestStream {
  /** 1 for the first stream the server accepted, 2 for the next, ... */
  readonly index: number;
  readonly connection: ClientConnection;
  hello: Hello | null;
  /** How it ended, once it did. */
  status: StreamStatus | null;
}

/** A message a client sent, with the stream it came on. */
export interface Received {
  readonly stream: TestStream;
  readonly message: ClientMessage;
}

/** How the test server answers a Hello. */
export type HelloAnswer =
  | {
      readonly welcome: {
        readonly heartbeatIntervalMs?: number;
        readonly fenceMs?: number;
        /** How far this server's clock claims to be ahead of the real one (may be negative). */
        readonly clockAheadMs?: number;
      };
    }
  | { readonly reject: HelloRejectCode; readonly message?: string };

/**
 * A real gRPC peer playing a Carillon server's side of the conversation, scripted by each test:
 * it answers Hellos (Welcome or HelloRejected), sends DispatchBatch and Cancel on demand, drops
 * streams, stops and listens again on the same port, and records everything clients send.
 */
export class TestDispatchServer extends EventEmitter<{
  received: [Received];
  closed: [TestStream];
}> {
  readonly serverId: string;
  readonly streams: TestStream[] = [];
  readonly received: Received[] = [];
  /** How the next Hellos are answered. */
  helloAnswer: HelloAnswer = { welcome: {} };
  /** When false, new streams end at once with UNAVAILABLE (the server is "starting"). */
  accepting = true;
  #server: DispatcherServer | null = null;
  #port = 0;

  private constructor(serverId: string) {
    super();
    this.serverId = serverId;
  }

  /** Starts listening on 127.0.0.1 on a free port. */
  static async start(serverId = 'test-server-1'): Promise<TestDispatchServer> {
    const server = new TestDispatchServer(serverId);
    await server.listen();
    return server;
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The Hellos received, in order. */
  get hellos(): Hello[] {
    return this.streams.flatMap((stream) => (stream.hello === null ? [] : [stream.hello]));
  }

  /** The streams not yet ended. */
  get openStreams(): TestStream[] {
    return this.streams.filter((stream) => stream.status === null);
  }

  /** Listens (again, after `stop`) on the same port. */
  async listen(): Promise<void> {
    const server = createDispatcherServer({ connect: (connection) => this.#accept(connection) });
    this.#port = await server.listen(`127.0.0.1:${this.#port}`);
    this.#server = server;
  }

  /** Goes away entirely: ends every stream with UNAVAILABLE and closes the listener. */
  async stop(): Promise<void> {
    await this.#server?.stop({ graceMs: 500 });
    this.#server = null;
  }

  /** Sends one DispatchBatch with these orders (defaults filled in) on the newest open stream. */
  dispatch(...orders: Partial<DispatchOrder>[]): DispatchOrder[] {
    const full = orders.map((order) => ({
      executionId: randomUUID(),
      attempt: 1,
      jobId: 1,
      jobName: 'test job',
      handler: 'simple-test',
      param: null,
      scheduledAt: Date.now(),
      timeoutMs: 0,
      cause: ExecutionCause.Schedule,
      ...order,
    }));
    this.#stream().connection.send({ kind: 'dispatchBatch', dispatches: full });
    return full;
  }

  /** Sends a Cancel on the newest open stream. */
  cancel(ref: { executionId: string; attempt: number }, reason: CancelReason, message = ''): void {
    this.#stream().connection.send({ kind: 'cancel', ...ref, reason, message });
  }

  /** Ends every open stream from the server's side with UNAVAILABLE (the server stays up). */
  dropStreams(): void {
    for (const stream of this.openStreams) {
      stream.connection.end({ code: GrpcStatus.UNAVAILABLE, details: 'dropped by the test' });
    }
  }

  /**
   * The first received message that `match` accepts, already received or yet to come; rejects
   * after `timeoutMs`.
   */
  waitFor<T extends ClientMessage>(
    match: (message: ClientMessage, stream: TestStream) => message is T,
    timeoutMs?: number,
  ): Promise<{ message: T; stream: TestStream }>;
  waitFor(
    match: (message: ClientMessage, stream: TestStream) => boolean,
    timeoutMs?: number,
  ): Promise<Received>;
  waitFor(
    match: (message: ClientMessage, stream: TestStream) => boolean,
    timeoutMs = 5_000,
  ): Promise<Received> {
    const seen = this.received.find((r) => match(r.message, r.stream));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('received', listener);
        reject(new Error(`no matching client message within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (received: Received): void => {
        if (!match(received.message, received.stream)) return;
        clearTimeout(timer);
        this.off('received', listener);
        resolve(received);
      };
      this.on('received', listener);
    });
  }

  /** Resolves with the `index`th stream (from 1) once it has ended. */
  async ended(index: number, timeoutMs = 5_000): Promise<TestStream> {
    const done = (): TestStream | undefined => {
      const stream = this.streams[index - 1];
      return stream?.status === null ? undefined : stream;
    };
    const until = Date.now() + timeoutMs;
    for (;;) {
      const stream = done();
      if (stream !== undefined) return stream;
      if (Date.now() > until) throw new Error(`stream ${index} did not end within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, until - Date.now());
        this.once('closed', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
  }

  /** The messages of one kind received so far. */
  messages<K extends ClientMessage['kind']>(kind: K): Extract<ClientMessage, { kind: K }>[] {
    return this.received
      .map((r) => r.message)
      .filter((m): m is Extract<ClientMessage, { kind: K }> => m.kind === kind);
  }

  #stream(): TestStream {
    const stream = this.openStreams.at(-1);
    if (stream === undefined) throw new Error('no open stream');
    return stream;
  }

  #accept(connection: ClientConnection): void {
    const stream: TestStream = {
      index: this.streams.length + 1,
      connection,
      hello: null,
      status: null,
    };
    this.streams.push(stream);
    connection.on('close', (status) => {
      stream.status = status;
      this.emit('closed', stream);
    });
    if (!this.accepting) {
      connection.end({ code: GrpcStatus.UNAVAILABLE, details: 'not accepting streams' });
      return;
    }
    connection.on('message', (message) => {
      if (message.kind === 'hello') {
        stream.hello = message;
        this.#answer(connection, message);
      }
      const received = { stream, message };
      this.received.push(received);
      this.emit('received', received);
    });
  }

  #answer(connection: ClientConnection, hello: Hello): void {
    const answer = this.helloAnswer;
    if ('reject' in answer) {
      connection.send({
        kind: 'helloRejected',
        code: answer.reject,
        message: answer.message ?? '',
      });
      connection.end();
      return;
    }
    connection.send({
      kind: 'welcome',
      serverId: this.serverId,
      heartbeatIntervalMs: answer.welcome.heartbeatIntervalMs ?? 1_000,
      fenceMs: answer.welcome.fenceMs ?? 10_000,
      protocolVersion: Math.min(hello.protocolVersion, 1),
      serverTime: Date.now() + (answer.welcome.clockAheadMs ?? 0),
    });
  }
}
