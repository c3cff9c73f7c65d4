import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DispatcherClient,
  GrpcStatus,
  PROTOCOL_VERSION,
  ProtocolErrorCode,
  createDispatcherServer,
  isTransientHelloRejection,
} from '@carillon/protocol';
import type {
  CarillonError,
  ClientConnection,
  ClientMessage,
  ClientReport,
  DispatchOrder,
  DispatcherServer,
  Hello,
  ServerConnection,
  ServerMessage,
  StreamStatus,
} from '@carillon/protocol';

// Real gRPC over loopback, an OS-picked port per test, no mocks.

const CHILD_CLIENT = fileURLToPath(new URL('./fixtures/hello-client.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const hello: Hello = {
  kind: 'hello',
  groupId: '101-1-2-6601',
  clientId: 'test-client',
  token: 'good-token',
  handlers: [{ name: 'simple-test', concurrency: 1_000 }],
  capacity: 1_000,
  room: 'room-a',
  labels: ['gpu'],
  sdkVersion: 'test',
  protocolVersion: PROTOCOL_VERSION,
  running: [],
};

let server: DispatcherServer | undefined;
let client: DispatcherClient | undefined;

afterEach(async () => {
  client?.close();
  await server?.stop({ graceMs: 1_000 });
  client = undefined;
  server = undefined;
});

/** Starts a server whose `connect` handler is `onConnect`; returns a client for it. */
async function start(onConnect: (connection: ClientConnection) => void): Promise<DispatcherClient> {
  server = createDispatcherServer({ connect: onConnect });
  const port = await server.listen('127.0.0.1:0');
  expect(port).toBeGreaterThan(0);
  client = new DispatcherClient(`127.0.0.1:${port}`);
  return client;
}

function closed(connection: ClientConnection | ServerConnection): Promise<StreamStatus> {
  return once(connection, 'close').then(([status]) => status as StreamStatus);
}

function orders(count: number): DispatchOrder[] {
  return Array.from({ length: count }, (_, i) => ({
    executionId: `0190a5b2-7c3d-7e4f-8a1b-${String(i).padStart(12, '0')}`,
    attempt: 1 + (i % 3),
    jobId: 1 + i,
    jobName: `job ${i}`,
    handler: 'simple-test',
    param: i % 2 === 0 ? null : `param ${i}`,
    scheduledAt: 1_767_225_600_000 + i,
    timeoutMs: i % 5 === 0 ? 0 : 30_000,
    cause: 'schedule',
  }));
}

describe('Dispatcher over real gRPC', () => {
  it('welcomes a client, dispatches 1,000 fires in one batch and receives every report in order', async () => {
    const sent = orders(1_000);
    let wireMessages = 0;
    const serverSide = new Promise<{ hello: ClientMessage; reports: ClientReport[] }>(
      (resolve, reject) => {
        void start((connection) => {
          connection.call.on('data', () => (wireMessages += 1));
          const reports: ClientReport[] = [];
          let first: ClientMessage | undefined;
          connection.on('malformed', reject);
          connection.on('message', (message) => {
            if (message.kind === 'hello') {
              first = message;
              connection.send({
                kind: 'welcome',
                serverId: 'server-1',
                heartbeatIntervalMs: 1_000,
                fenceMs: 15_000,
                protocolVersion: PROTOCOL_VERSION,
                serverTime: Date.now(),
              });
              connection.send({ kind: 'dispatchBatch', dispatches: sent });
              return;
            }
            if (message.kind === 'heartbeat') return;
            reports.push(message);
            if (reports.length === 3 * sent.length && first !== undefined) {
              resolve({ hello: first, reports });
            }
          });
        }).then((dispatcherClient) => runClient(dispatcherClient), reject);
      },
    );

    const received: ServerMessage[] = [];
    let connection: ServerConnection | undefined;
    function runClient(dispatcherClient: DispatcherClient): void {
      connection = dispatcherClient.connect();
      const c = connection;
      c.on('message', (message) => {
        received.push(message);
        if (message.kind !== 'dispatchBatch') return;
        for (const order of message.dispatches) {
          const ref = { executionId: order.executionId, attempt: order.attempt };
          c.send({ kind: 'accepted', ...ref });
          c.send({ kind: 'started', ...ref, at: order.scheduledAt + 1 });
          c.send({
            kind: 'result',
            ...ref,
            at: order.scheduledAt + 2,
            outcome: 'succeeded',
            result: order.param,
            error: null,
          });
        }
      });
      c.send(hello);
    }

    const { hello: gotHello, reports } = await serverSide;
    expect(gotHello).toStrictEqual(hello);

    // The client got the Welcome, then all 1,000 dispatches in one message, unchanged.
    expect(received.map((m) => m.kind)).toEqual(['welcome', 'dispatchBatch']);
    const batch = received[1];
    expect(batch?.kind === 'dispatchBatch' ? batch.dispatches : undefined).toStrictEqual(sent);

    // The server got accepted, started, result for each dispatch, in the order sent.
    const expected = sent.flatMap((order): ClientReport[] => {
      const ref = { executionId: order.executionId, attempt: order.attempt };
      return [
        { kind: 'accepted', ...ref },
        { kind: 'started', ...ref, at: order.scheduledAt + 1 },
        {
          kind: 'result',
          ...ref,
          at: order.scheduledAt + 2,
          outcome: 'succeeded',
          result: order.param,
          error: null,
        },
      ];
    });
    expect(reports).toStrictEqual(expected);
    // The 3,000 reports sent in one turn of the client's event loop came in one ReportBatch.
    expect(wireMessages).toBe(2);

    // A client that half-closes makes the server end the stream with OK on both sides.
    const serverConnection = [...(server?.connections ?? [])][0];
    expect(serverConnection).toBeDefined();
    if (connection === undefined || serverConnection === undefined) return;
    const bothClosed = Promise.all([closed(connection), closed(serverConnection)]);
    connection.end();
    const [clientStatus, serverStatus] = await bothClosed;
    expect(clientStatus.code).toBe(GrpcStatus.OK);
    expect(serverStatus.code).toBe(GrpcStatus.OK);
    expect(server?.connections.size).toBe(0);
  });

  it('rejects a Hello with a bad token and ends the stream', async () => {
    const dispatcherClient = await start((connection) => {
      connection.on('message', (message) => {
        if (message.kind === 'hello' && message.token !== 'good-token') {
          connection.send({ kind: 'helloRejected', code: 'unauthenticated', message: 'bad token' });
          connection.end();
        }
      });
    });
    const connection = dispatcherClient.connect();
    const messages: ServerMessage[] = [];
    connection.on('message', (message) => messages.push(message));
    const status = closed(connection);
    connection.send({ ...hello, token: 'stolen' });

    expect((await status).code).toBe(GrpcStatus.OK);
    expect(messages).toStrictEqual([
      { kind: 'helloRejected', code: 'unauthenticated', message: 'bad token' },
    ]);
    expect(isTransientHelloRejection('unauthenticated')).toBe(false);
    expect(connection.state).toBe('closed');
    expect(connection.send(hello)).toBe(false);
  });

  it('reports malformed messages with typed errors and keeps the stream open', async () => {
    const malformed: CarillonError[] = [];
    const after = new Promise<ClientMessage>((resolve) => {
      void start((connection) => {
        connection.on('malformed', (error) => malformed.push(error));
        connection.on('message', resolve);
      }).then((dispatcherClient) => {
        const connection = dispatcherClient.connect();
        // Write raw wire messages, as a buggy client in another language could.
        connection.call.write({ started: { executionId: '', attempt: 1, atMs: 5 } });
        connection.call.write({ result: { executionId: 'e', attempt: -2, atMs: 5, outcome: 1 } });
        connection.call.write({ log: { executionId: 'e', attempt: 1, atMs: 5, level: 9 as 0 } });
        connection.call.write({});
        connection.send(hello);
      });
    });

    expect(await after).toStrictEqual(hello);
    expect(malformed.map((e) => [e.code, e.details['field']])).toEqual([
      [ProtocolErrorCode.Malformed, 'started.execution_id'],
      [ProtocolErrorCode.Malformed, 'result.attempt'],
      [ProtocolErrorCode.Malformed, 'log.level'],
      [ProtocolErrorCode.UnknownMessage, 'payload'],
    ]);
  });

  it('refuses to send an invalid message and sends nothing', async () => {
    const dispatcherClient = await start(() => undefined);
    const connection = dispatcherClient.connect();
    expect(() => connection.send({ kind: 'accepted', executionId: '', attempt: 1 })).toThrowError(
      expect.objectContaining({ code: ProtocolErrorCode.InvalidOutgoing }),
    );
    connection.cancel();
    expect((await closed(connection)).code).toBe(GrpcStatus.CANCELLED);
  });

  it('tells the server when a client leaves, and the client when the server stops', async () => {
    const waiting: ((connection: ClientConnection) => void)[] = [];
    const nextConnection = (): Promise<ClientConnection> =>
      new Promise((resolve) => waiting.push(resolve));
    const dispatcherClient = await start((connection) => waiting.shift()?.(connection));

    // gRPC shows a server a client's cancel as a half-close: both mean the client left.
    let accepted = nextConnection();
    const first = dispatcherClient.connect();
    first.send(hello);
    const left = closed(await accepted);
    const firstClosed = closed(first);
    first.cancel();
    expect((await left).code).toBe(GrpcStatus.OK);
    expect((await firstClosed).code).toBe(GrpcStatus.CANCELLED);

    accepted = nextConnection();
    const second = dispatcherClient.connect();
    second.send(hello);
    await accepted;
    const stopped = closed(second);
    await server?.stop({ graceMs: 1_000 });
    expect((await stopped).code).toBe(GrpcStatus.UNAVAILABLE);
    expect(server?.state).toBe('stopped');
  });

  it('tells the server CANCELLED when the client process is killed', async () => {
    let onAccepted: (connection: ClientConnection) => void = () => undefined;
    const accepted = new Promise<ClientConnection>((resolve) => (onAccepted = resolve));
    const dispatcherClient = await start((connection) => {
      connection.on('message', (message) => {
        if (message.kind !== 'hello') return;
        connection.send({
          kind: 'welcome',
          serverId: 'server-1',
          heartbeatIntervalMs: 1_000,
          fenceMs: 15_000,
          protocolVersion: PROTOCOL_VERSION,
          serverTime: Date.now(),
        });
        onAccepted(connection);
      });
    });
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CHILD_CLIENT, dispatcherClient.address],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const welcomed = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('welcomed')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      const connection = await accepted;
      await welcomed;
      const lost = closed(connection);
      child.kill('SIGKILL');
      expect((await lost).code).toBe(GrpcStatus.CANCELLED);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('ends a stream to an address where nothing listens with UNAVAILABLE, not an exception', async () => {
    const idle = createDispatcherServer({ connect: () => undefined });
    const port = await idle.listen('127.0.0.1:0');
    await idle.stop();
    client = new DispatcherClient(`127.0.0.1:${port}`);
    const connection = client.connect();
    connection.send(hello);
    expect((await closed(connection)).code).toBe(GrpcStatus.UNAVAILABLE);
  });
});
