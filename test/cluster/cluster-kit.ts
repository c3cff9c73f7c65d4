// A real cluster for tests: a throwaway ZooKeeper, a fresh MariaDB database, `carillon server`
// processes joined through ZooKeeper, a `carillon console` process, and client processes that
// write a ledger. Everything on loopback, every port free.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stores } from '@carillon/core';
import { openStores } from '@carillon/storage';
import {
  freePort,
  startCarillonProcess,
  startClientProcess,
  startTcpProxy,
  startZooKeeper,
  mariadbDatabase,
  waitFor,
} from '@carillon/testkit';
import type { CarillonProcess, ClientProcess, TcpProxy, ZooKeeperCluster } from '@carillon/testkit';

/** A server process of the cluster. */
export interface ClusterServer {
  readonly id: string;
  readonly rpcAddress: string;
  process: CarillonProcess;
  /** The instant it was killed (ms epoch), if it was. */
  killedAt: number | undefined;
  /** Starts its process again after a kill: same `CARILLON_SERVER_ID`, room and port. */
  restart(): Promise<void>;
}

/** A started cluster; `stop()` ends every process and drops the database. */
export interface TestCluster {
  readonly zk: ZooKeeperCluster;
  readonly dbUrl: string;
  readonly stores: Stores;
  readonly servers: ClusterServer[];
  readonly consoleUrl: string;
  /** The console's process. */
  readonly console: CarillonProcess;
  readonly ledger: string;
  /** Between the servers and the database, when `dbProxy` was asked for. */
  readonly dbProxy: TcpProxy | undefined;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  createGroup(name: string, backups: number): Promise<{ groupId: string; token: string }>;
  /**
   * Creates `count` jobs firing every second with the `echo` handler (or `handler` with
   * `param`, e.g. `sleep` for some milliseconds); returns their ids.
   */
  createPerSecondJobs(
    groupId: string,
    count: number,
    handler?: { readonly name: string; readonly param?: string },
  ): Promise<number[]>;
  /** Starts a client process writing to the ledger; `concurrency` per handler, default 64. */
  startClient(
    groupId: string,
    token: string,
    clientId: string,
    options?: { readonly concurrency?: number },
  ): Promise<ClientProcess>;
  /** What every server and console process printed, earlier lives of restarted servers too. */
  logs(): string;
  /** SIGKILLs a server; returns when it was sent. */
  kill(server: ClusterServer): Promise<number>;
  stop(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  readonly servers: number;
  readonly zkNodes?: 1 | 3;
  /** Asked of ZooKeeper. Default 4,000 ms. */
  readonly sessionTimeoutMs?: number;
  /** More settings for every server, e.g. `CARILLON_FENCE_MS`. */
  readonly serverEnv?: Readonly<Record<string, string>>;
  /** Servers reach the database through a TCP proxy the test can partition. */
  readonly dbProxy?: boolean;
  /**
   * The MariaDB server to make the database on (e.g. a testkit `startMariaDb` the test
   * restarts); default the shared one.
   */
  readonly mysqlServerUrl?: string;
  /** Servers and the console run the built CLI, not its sources (see `startCarillonProcess`). */
  readonly built?: boolean;
}

/** Starts ZooKeeper, a database, `servers` servers (rooms r1, r2, ...) and a console. */
export async function startCluster(options: ClusterOptions): Promise<TestCluster> {
  // A start that fails half-way (a server too slow on a loaded machine) ends what it started,
  // rather than leave ZooKeeper and servers running with no one to stop them.
  const undo: (() => Promise<unknown>)[] = [];
  try {
    return await buildCluster(options, undo);
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}

async function buildCluster(
  options: ClusterOptions,
  undo: (() => Promise<unknown>)[],
): Promise<TestCluster> {
  const processes: CarillonProcess[] = [];
  const clients: ClientProcess[] = [];
  const mariadb = mariadbDatabase(options.mysqlServerUrl);
  const dir = await mkdtemp(join(tmpdir(), 'carillon-cluster-'));
  const zk = await startZooKeeper({ nodes: options.zkNodes ?? 1, tickTimeMs: 500 });
  undo.push(() => zk.stop());
  const dbUrl = await mariadb.create();
  undo.push(() => mariadb.drop());
  const migrate = startCarillonProcess(['migrate'], { CARILLON_DB_URL: dbUrl });
  if ((await migrate.exited) !== 0) throw new Error(`migrate failed: ${migrate.output()}`);
  const stores = await openStores({ url: dbUrl, migrate: false });
  undo.push(() => stores.close());
  // Undone first: servers and the console go before their database and ZooKeeper.
  undo.push(() => Promise.all(processes.map((p) => p.stop('SIGKILL'))));
  const common = {
    CARILLON_DB_URL: dbUrl,
    CARILLON_ZK: `${zk.connectionString}/carillon-test`,
    CARILLON_ZK_SESSION_TIMEOUT_MS: String(options.sessionTimeoutMs ?? 4_000),
    // Every cluster test runs with the cluster's nodes closed to other ZooKeeper users, as a
    // production cluster on a shared ensemble should.
    CARILLON_ZK_AUTH: `carillon-test:${randomBytes(9).toString('base64url')}`,
    CARILLON_LOG_LEVEL: 'info',
  };
  const direct = new URL(dbUrl);
  const dbProxy =
    options.dbProxy === true
      ? await startTcpProxy(`${direct.hostname}:${direct.port || '3306'}`)
      : undefined;
  const serverDbUrl = (() => {
    if (dbProxy === undefined) return dbUrl;
    const proxied = new URL(dbUrl);
    const [host = '', port = ''] = dbProxy.address.split(':');
    proxied.hostname = host;
    proxied.port = port;
    return proxied.toString();
  })();
  const built = { built: options.built ?? false };
  const servers: ClusterServer[] = [];
  for (let i = 1; i <= options.servers; i++) {
    const port = await freePort();
    const spawnServer = (): CarillonProcess => {
      const started = startCarillonProcess(
        ['server'],
        {
          ...common,
          ...options.serverEnv,
          CARILLON_DB_URL: serverDbUrl,
          CARILLON_SERVER_ID: `s${i}`,
          CARILLON_ROOM: `r${i}`,
          CARILLON_RPC_PORT: String(port),
        },
        built,
      );
      processes.push(started);
      return started;
    };
    const server: ClusterServer = {
      id: `s${i}`,
      rpcAddress: `127.0.0.1:${port}`,
      process: spawnServer(),
      killedAt: undefined,
      async restart() {
        await server.process.stop('SIGKILL');
        server.process = spawnServer();
        server.killedAt = undefined;
        await waitFor(
          `server ${server.id} to start again`,
          () => server.process.output().includes('server started'),
          { timeoutMs: 90_000 },
        );
      },
    };
    servers.push(server);
  }
  // Generous: on a machine shared by many processes a server takes tens of seconds to start.
  for (const s of servers)
    await waitFor(`server ${s.id} to start`, () => s.process.output().includes('server started'), {
      timeoutMs: 90_000,
    });
  const httpPort = await freePort();
  const password = randomBytes(12).toString('base64url');
  const consoleProcess = startCarillonProcess(
    ['console'],
    {
      ...common,
      CARILLON_HTTP_PORT: String(httpPort),
      CARILLON_ADMIN_PASSWORD: password,
    },
    built,
  );
  processes.push(consoleProcess);
  await waitFor(
    'the console to listen',
    () => consoleProcess.output().includes('console listening'),
    {
      timeoutMs: 90_000,
    },
  );
  const consoleUrl = `http://127.0.0.1:${httpPort}`;
  let token = '';
  const api = <T>(method: string, path: string, body?: unknown): Promise<T> =>
    callConsole<T>(consoleUrl, token, method, path, body);
  ({ token } = await api<{ token: string }>('POST', '/api/v1/auth/login', {
    username: 'admin',
    password,
  }));
  const ledger = join(dir, 'ledger.jsonl');
  return {
    zk,
    dbUrl,
    stores,
    servers,
    consoleUrl,
    console: consoleProcess,
    ledger,
    dbProxy,
    api,
    async createGroup(name, backups) {
      const { id } = await api<{ id: string }>('POST', '/api/v1/groups', { name, backups });
      const { token: clientToken } = await api<{ token: string }>(
        'POST',
        `/api/v1/groups/${id}/tokens`,
        { name: `${name} client` },
      );
      return { groupId: id, token: clientToken };
    },
    async createPerSecondJobs(groupId, count, handler = { name: 'echo' }) {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        const { id } = await api<{ id: number }>('POST', '/api/v1/jobs', {
          groupId,
          name: handler.name === 'echo' ? `every second ${i}` : `every second ${handler.name} ${i}`,
          description: handler.name,
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler: handler.name,
          ...(handler.param === undefined ? {} : { param: handler.param }),
        });
        ids.push(id);
      }
      return ids;
    },
    async startClient(groupId, clientToken, clientId, options = {}) {
      const client = await startClientProcess({
        console: consoleUrl,
        group: groupId,
        token: clientToken,
        clientId,
        concurrency: options.concurrency ?? 64,
        ledger,
      });
      clients.push(client);
      return client;
    },
    logs() {
      return processes
        .map((p, i) => `=== process ${i} (pid ${p.child.pid})\n${p.output()}`)
        .join('\n');
    },
    async kill(server) {
      const at = Date.now();
      await server.process.stop('SIGKILL');
      server.killedAt = at;
      return at;
    },
    async stop() {
      for (const c of clients) await c.kill().catch(() => undefined);
      for (const p of processes) await p.stop('SIGKILL');
      await dbProxy?.close();
      await stores.close();
      await zk.stop();
      await mariadb.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Calls the REST API of the console at `consoleUrl`, with `token` (when not empty) as bearer;
 * the answer's JSON, or throws on a non-2xx answer.
 */
export async function callConsole<T>(
  consoleUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${consoleUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === '' ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** The p-th percentile (0..100) of `values`, or NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Every server of the cluster up (one killed by an earlier test started again) and each of
 * the group's `clients` connected to each of them, as the console lists them.
 */
export async function everyServerUp(
  cluster: TestCluster,
  groupId: string,
  clients: number,
): Promise<void> {
  for (const s of cluster.servers) if (s.killedAt !== undefined) await s.restart();
  const links = cluster.servers.length * clients;
  await waitFor(
    'each client connected to each server',
    async () => {
      const { items } = await cluster.api<{ items: { clientId: string; serverId: string }[] }>(
        'GET',
        `/api/v1/clients?groupId=${groupId}`,
      );
      return new Set(items.map((c) => `${c.clientId}@${c.serverId}`)).size === links || undefined;
    },
    { timeoutMs: 90_000, intervalMs: 200 },
  );
}
