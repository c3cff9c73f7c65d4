import type { Logger } from '@carillon/core';
import type {
  ClientMessage,
  DispatchOrder,
  ServerConnection,
  ServerMessage,
  StreamStatus,
} from '@carillon/protocol';
import { DispatcherClient, PROTOCOL_VERSION } from '@carillon/protocol';

/** A stream opened with the protocol package's client side, driven by hand. */
export interface RawStream {
  readonly connection: ServerConnection;
  readonly received: ServerMessage[];
  /** Resolves with the stream's final status. */
  readonly closed: Promise<StreamStatus>;
  /** Resolves with the first message of `kind`. */
  next(kind: ServerMessage['kind']): Promise<ServerMessage>;
  send(message: ClientMessage): void;
  close(): void;
}

/** Opens a stream to `address`; nothing is sent until the caller sends. */
export function openRawStream(address: string): RawStream {
  const client = new DispatcherClient(address);
  const connection = client.connect();
  const received: ServerMessage[] = [];
  const waiters: Array<{ kind: ServerMessage['kind']; resolve: (m: ServerMessage) => void }> = [];
  connection.on('message', (message) => {
    received.push(message);
    for (const w of waiters.filter((x) => x.kind === message.kind)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  const closed = new Promise<StreamStatus>((resolve) =>
    connection.once('close', (status) => {
      client.close();
      resolve(status);
    }),
  );
  return {
    connection,
    received,
    closed,
    next(kind) {
      const seen = received.find((m) => m.kind === kind);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ kind, resolve }));
    },
    send(message) {
      connection.send(message);
    },
    close() {
      connection.cancel();
      client.close();
    },
  };
}

/** The dispatch orders received on `stream` so far, in order. */
export function ordersOf(stream: RawStream): DispatchOrder[] {
  return stream.received.flatMap((m: ServerMessage) =>
    m.kind === 'dispatchBatch' ? [...m.dispatches] : [],
  );
}

/**
 * Waits until `what` finds something, looking again at each message `stream` receives; rejects
 * once the stream has closed without it (no busy wait, and a clear failure, not a timeout).
 */
export async function untilReceived<T>(what: () => T | undefined, stream: RawStream): Promise<T> {
  let status: StreamStatus | undefined;
  void stream.closed.then((s) => (status = s));
  for (;;) {
    const value = what();
    if (value !== undefined) return value;
    if (status !== undefined)
      throw new Error(`the stream closed (${JSON.stringify(status)}) before it was received`);
    // Every order arrives in a dispatchBatch: wait for the next message, whatever it is. The
    // stream's own listener, added first, has stored it by the time this one runs.
    await new Promise<void>((resolve) => {
      const next = (): void => {
        stream.connection.off('message', next);
        resolve();
      };
      stream.connection.on('message', next);
      void stream.closed.then(next);
    });
  }
}

/** A hello for `groupId` with `token`, as the SDK would send it. */
export function helloOf(
  groupId: string,
  token: string,
  clientId: string,
  handlers: readonly string[] = ['echo'],
): ClientMessage {
  return {
    kind: 'hello',
    groupId,
    clientId,
    token,
    handlers: handlers.map((name) => ({ name, concurrency: 4 })),
    capacity: 8,
    room: '',
    sdkVersion: 'hostile-test',
    protocolVersion: PROTOCOL_VERSION,
    running: [],
  };
}

/** A logger that keeps every line, for asserting what a server logged. */
export class CapturingLogger implements Logger {
  readonly lines: Array<{ level: string; fields: Record<string, unknown>; message: string }>;

  constructor(lines: CapturingLogger['lines'] = [], bindings: object = {}) {
    this.lines = lines;
    this.#bindings = bindings;
  }

  readonly #bindings: object;

  debug(fields: object, message = ''): void {
    this.#add('debug', fields, message);
  }
  info(fields: object, message = ''): void {
    this.#add('info', fields, message);
  }
  warn(fields: object, message = ''): void {
    this.#add('warn', fields, message);
  }
  error(fields: object, message = ''): void {
    this.#add('error', fields, message);
  }
  child(bindings: object): Logger {
    return new CapturingLogger(this.lines, { ...this.#bindings, ...bindings });
  }

  /** Lines whose message contains `text`. */
  matching(text: string): CapturingLogger['lines'] {
    return this.lines.filter((l) => l.message.includes(text));
  }

  #add(level: string, fields: object, message: string): void {
    this.lines.push({ level, fields: { ...this.#bindings, ...fields }, message });
  }
}
