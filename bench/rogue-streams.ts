// Rogue client streams against one server (in this process, with its console, over SQLite or
// MariaDB; clients over real gRPC). Prints one JSON line per case:
//   no-hello   N streams that never send a hello: how long until the server closed them all
//              and how many lines it logged for them (goal: one each, within helloTimeoutMs)
//   revoke     M authenticated streams sharing one client token; the token is revoked through
//              the console API: time from the API's answer to each stream's close (goal < 1 s)
//   forged     one stream of another group floods results, logs and progress for a running
//              execution: refusals a second, log lines, and the execution left untouched
// Usage: npm run bench:rogue -- [--db sqlite|mariadb] [--streams 1000] [--revoked 100]
//        [--forged 30000]
import { parseArgs } from 'node:util';
import type { Logger } from '@carillon/core';
import { DispatcherClient, PROTOCOL_VERSION } from '@carillon/protocol';
import type { ClientMessage, ServerConnection, ServerMessage } from '@carillon/protocol';
import { startStack, testDatabases, waitFor } from '@carillon/testkit';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    streams: { type: 'string', default: '1000' },
    revoked: { type: 'string', default: '100' },
    forged: { type: 'string', default: '30000' },
  },
});

const lines: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (_f, m = '') => void lines.push(m),
  warn: (_f, m = '') => void lines.push(m),
  error: (_f, m = '') => void lines.push(m),
  child: () => logger,
};

const database = testDatabases().find((d) => d.label === args.db);
if (database === undefined) throw new Error(`no database ${args.db}`);
// Without the per-address guard (docs/configuration.md, "What a server holds client streams to"): every
// stream here comes from 127.0.0.1, and the no-hello case alone would keep the address off for
// the cases after it. What is measured is each stream's own limit.
const stack = await startStack({
  dbUrl: await database.create(),
  server: { logger, refusedHelloLimit: 0, maxPendingHellos: 0 },
});
const address = stack.server.rpcAddress;

interface Opened {
  readonly connection: ServerConnection;
  readonly client: DispatcherClient;
  readonly closed: Promise<number>;
  next(kind: ServerMessage['kind']): Promise<ServerMessage>;
}

function open(): Opened {
  const client = new DispatcherClient(address);
  const connection = client.connect();
  const seen: ServerMessage[] = [];
  const waiting: Array<[ServerMessage['kind'], (m: ServerMessage) => void]> = [];
  connection.on('message', (m) => {
    seen.push(m);
    for (const w of waiting.filter(([k]) => k === m.kind)) w[1](m);
  });
  const closed = new Promise<number>((resolve) =>
    connection.once('close', () => {
      client.close();
      resolve(performance.now());
    }),
  );
  return {
    connection,
    client,
    closed,
    next: (kind) =>
      new Promise((resolve) => {
        const found = seen.find((m) => m.kind === kind);
        if (found !== undefined) resolve(found);
        else waiting.push([kind, resolve]);
      }),
  };
}

const hello = (groupId: string, token: string, clientId: string): ClientMessage => ({
  kind: 'hello',
  groupId,
  clientId,
  token,
  handlers: [{ name: 'work', concurrency: 8 }],
  capacity: 8,
  room: '',
  sdkVersion: 'bench',
  protocolVersion: PROTOCOL_VERSION,
  running: [],
});

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), max: Math.round(sorted.at(-1) ?? 0) };
};

try {
  // no-hello
  {
    const count = Number(args.streams);
    const before = lines.length;
    const heapBefore = process.memoryUsage().heapUsed;
    const start = performance.now();
    const streams = Array.from({ length: count }, open);
    const closedAt = await Promise.all(streams.map((s) => s.closed));
    const logged = lines.slice(before).filter((l) => l.includes('no hello')).length;
    console.log(
      JSON.stringify({
        bench: 'rogue-streams',
        db: args.db,
        case: 'no-hello',
        streams: count,
        closedAfterMs: stats(closedAt.map((t) => t - start)),
        logLines: logged,
        otherLogLines: lines.length - before - logged,
        heapDeltaMb: Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e6),
      }),
    );
  }

  // revoke
  {
    const count = Number(args.revoked);
    const { groupId } = await stack.createGroup('revoked');
    const issued = await stack.api<{ id: number; token: string }>(
      'POST',
      `/api/v1/groups/${groupId}/tokens`,
      { name: 'to revoke' },
    );
    const streams = Array.from({ length: count }, open);
    streams.forEach((s, i) => s.connection.send(hello(groupId, issued.token, `revoked-${i}`)));
    await Promise.all(streams.map((s) => s.next('welcome')));
    await stack.api('DELETE', `/api/v1/tokens/${issued.id}`, undefined, 204);
    const revokedAt = performance.now();
    const closedAt = await Promise.all(streams.map((s) => s.closed));
    console.log(
      JSON.stringify({
        bench: 'rogue-streams',
        db: args.db,
        case: 'revoke',
        streams: count,
        closedAfterRevokeMs: stats(closedAt.map((t) => t - revokedAt)),
      }),
    );
  }

  // forged
  {
    const count = Number(args.forged);
    const victim = await stack.createGroup('victim');
    const rogueGroup = await stack.createGroup('rogue');
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId: victim.groupId,
      name: 'victim job',
      trigger: { type: 'api' },
      handler: 'work',
    });
    const owner = open();
    owner.connection.send(hello(victim.groupId, victim.clientToken, 'victim'));
    await owner.next('welcome');
    await stack.api('POST', `/api/v1/jobs/${jobId}/trigger`, {});
    const batch = await owner.next('dispatchBatch');
    if (batch.kind !== 'dispatchBatch') throw new Error('unreachable');
    const order = batch.dispatches[0]!;
    const ref = { executionId: order.executionId, attempt: order.attempt };
    owner.connection.send({ kind: 'started', ...ref, at: Date.now() });
    await waitFor('running', async () =>
      (await stack.stores.executions.get(ref.executionId))?.state === 'running' ? true : undefined,
    );
    const rogue = open();
    rogue.connection.send(hello(rogueGroup.groupId, rogueGroup.clientToken, 'rogue'));
    await rogue.next('welcome');
    let refused = 0;
    stack.server.events.on('report:refused', () => void refused++);
    const before = lines.length;
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const at = Date.now();
      const kind = i % 3;
      rogue.connection.send(
        kind === 0
          ? { kind: 'result', ...ref, at, outcome: 'succeeded', result: 'forged', error: null }
          : kind === 1
            ? { kind: 'log', ...ref, at, level: 'info', message: 'forged' }
            : { kind: 'progress', ...ref, at, fraction: 0.9, message: null },
      );
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor('every forged report refused', () => (refused >= count ? true : undefined), {
      timeoutMs: 120_000,
    });
    const seconds = (performance.now() - start) / 1000;
    const stored = await stack.stores.executions.get(ref.executionId);
    console.log(
      JSON.stringify({
        bench: 'rogue-streams',
        db: args.db,
        case: 'forged',
        reports: count,
        refused,
        refusedPerSec: Math.round(refused / seconds),
        logLines: lines.length - before,
        executionState: stored?.state,
        executionResult: stored?.result ?? null,
      }),
    );
    rogue.connection.cancel();
    owner.connection.cancel();
  }
} finally {
  await stack.stop();
  await database.drop();
}
