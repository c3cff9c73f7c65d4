// Backlog benchmark: N per-second jobs with no client for T seconds, then one client (the real
// SDK in another process) connects and runs for R seconds. Prints one JSON line:
// {"bench":"backlog","mode":..,"jobs":N,"noClientSeconds":T,"runSeconds":R,"concurrency":C,
//  "afterConnect":{"due":..,"ran":..,"fraction":..,"latenessMs":{..}},"drainMs":..,
//  "afterDrainMs":{"count":..,"ran":..,"fraction":..,"p50":..,"p99":..,"max":..},
//  "backlog":{"due":..,"ran":..,"skipped":..,"failed":..,"other":..},"streamDrops":..,"duplicated":..}
// "afterConnect" counts fires due after the client connected; the drain ends at the first
// instant from which every later instant ran whole with its slowest fire under 1 s late.
// Lateness is the handler's start minus the scheduled instant, both on this machine's clock.
// With T = 0 the client connects before the jobs are made: a steady-state run.
// Usage: npm run bench:backlog -- [--jobs 2000] [--no-client 20] [--run 40] [--concurrency 64]
//        [--mode dev|separate] (separate: `carillon server` and `console` processes on MariaDB)
//        [--dispatch-timeout MS] (the jobs' dispatchTimeoutMs; the default if absent)
//        [--per-instant] (a second line: per instant after the connect, fires run and lateness)
//        [--settle] (with --no-client 0: the run starts once an instant ran whole and under 1 s
//        late, so that a busy machine's seconds of catching up on new jobs are not counted)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import type { CarillonProcess } from '@carillon/testkit';
import { MYSQL_SERVER_URL, freePort, startCarillonProcess, waitFor } from '@carillon/testkit';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    'no-client': { type: 'string', default: '20' },
    run: { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '64' },
    mode: { type: 'string', default: 'dev' },
    'dispatch-timeout': { type: 'string' },
    'per-instant': { type: 'boolean', default: false },
    settle: { type: 'boolean', default: false },
  },
});
const JOBS = Number(values.jobs);
const NO_CLIENT_S = Number(values['no-client']);
const RUN_S = Number(values.run);
const CONCURRENCY = Number(values.concurrency);
const MODE = values.mode === 'separate' ? 'separate' : 'dev';
const DISPATCH_TIMEOUT =
  values['dispatch-timeout'] === undefined ? undefined : Number(values['dispatch-timeout']);
const root = join(import.meta.dirname, '..');
const password = 'bench-password-1';
const httpPort = await freePort();
const rpcPort = await freePort();
const base = `http://127.0.0.1:${httpPort}`;
const dataDir = await mkdtemp(join(tmpdir(), 'carillon-bench-'));
const dbName = `carillon_b_${randomBytes(4).toString('hex')}`;
const processes: CarillonProcess[] = [];

interface Row {
  jobId: number;
  scheduledAt: number;
  state: string;
}

async function startServices(): Promise<void> {
  if (MODE === 'dev') {
    processes.push(
      startCarillonProcess(
        [
          'dev',
          '--data-dir',
          dataDir,
          '--port',
          String(httpPort),
          '--rpc-port',
          String(rpcPort),
          '--log-level',
          'warn',
        ],
        { CARILLON_ADMIN_PASSWORD: password },
      ),
    );
  } else {
    const admin = await createConnection({ uri: MYSQL_SERVER_URL });
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const env = {
      CARILLON_DB_URL: new URL(dbName, MYSQL_SERVER_URL).toString(),
      CARILLON_LOG_LEVEL: 'warn',
    };
    const migrate = startCarillonProcess(['migrate'], env);
    if ((await migrate.exited) !== 0) throw new Error(`migrate failed: ${migrate.output()}`);
    processes.push(
      startCarillonProcess(['server'], {
        ...env,
        CARILLON_SERVER_ID: 'bench-server-1',
        CARILLON_RPC_PORT: String(rpcPort),
      }),
      startCarillonProcess(['console'], {
        ...env,
        CARILLON_HTTP_PORT: String(httpPort),
        CARILLON_ADMIN_PASSWORD: password,
      }),
    );
  }
  await waitFor('the console to answer', async () => (await fetch(`${base}/healthz`)).ok, {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
}

async function readRows(from: number, until: number): Promise<Row[]> {
  const sql =
    'SELECT job_id AS jobId, scheduled_at AS scheduledAt, state FROM executions WHERE scheduled_at >= ? AND scheduled_at < ?';
  if (MODE === 'dev') {
    const db = new Database(join(dataDir, 'carillon.db'), { readonly: true });
    const rows = db.prepare(sql).all(from, until) as Row[];
    db.close();
    return rows;
  }
  const connection = await createConnection({ uri: new URL(dbName, MYSQL_SERVER_URL).toString() });
  const [rows] = await connection.query(sql, [from, until]);
  await connection.end();
  return (rows as Array<{ jobId: unknown; scheduledAt: unknown; state: string }>).map((r) => ({
    jobId: Number(r.jobId),
    scheduledAt: Number(r.scheduledAt),
    state: r.state,
  }));
}

const pct = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

try {
  await startServices();
  const login = (await (
    await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    })
  ).json()) as { token: string };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${login.token}` };
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const { id: group } = await post<{ id: string }>('/api/v1/groups', { name: 'backlog bench' });
  const { token } = await post<{ token: string }>(`/api/v1/groups/${group}/tokens`, {
    name: 'bench client',
  });

  const starts: Array<{ jobId: number; scheduledAt: number; startedAt: number }> = [];
  let connectedAt = 0;
  const disconnects: string[] = [];
  const startClient = async (): Promise<() => Promise<void>> => {
    const client = spawn(
      process.execPath,
      [
        ...(process.env['P99_PROF']
          ? ['--cpu-prof', '--cpu-prof-dir=' + process.env['P99_PROF']]
          : []),
        '--import',
        'tsx',
        join(root, 'bench/lateness-client.ts'),
      ],
      {
        env: {
          ...process.env,
          CARILLON_BENCH_CLIENT: JSON.stringify({
            servers: [`127.0.0.1:${rpcPort}`],
            group,
            token,
            concurrency: CONCURRENCY,
          }),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    createInterface({ input: client.stdout }).on('line', (line) => {
      if (line === 'ready') {
        connectedAt = Date.now();
        return;
      }
      if (line.startsWith('disconnected')) {
        disconnects.push(line.slice('disconnected '.length));
        return;
      }
      const [jobId, scheduledAt, startedAt] = line.split(' ');
      starts.push({
        jobId: Number(jobId),
        scheduledAt: Number(scheduledAt),
        startedAt: Number(startedAt),
      });
    });
    await waitFor('the bench client to connect', () => connectedAt > 0, { timeoutMs: 30_000 });
    return async () => {
      client.kill('SIGTERM');
      await new Promise((r) => client.once('exit', r));
    };
  };

  let stopClient = NO_CLIENT_S === 0 ? await startClient() : undefined;
  const createdFrom = Date.now();
  const jobIds = new Set<number>();
  const queue = Array.from({ length: JOBS }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const { id } = await post<{ id: number }>('/api/v1/jobs', {
          groupId: group,
          name: `backlog ${i}`,
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler: 'bench',
          ...(DISPATCH_TIMEOUT === undefined ? {} : { dispatchTimeoutMs: DISPATCH_TIMEOUT }),
        });
        jobIds.add(id);
      }
    }),
  );
  if (stopClient === undefined) {
    await new Promise((r) => setTimeout(r, NO_CLIENT_S * 1000));
    stopClient = await startClient();
  }
  if (values.settle && NO_CLIENT_S === 0) {
    const whole = (): boolean => {
      const count = new Map<number, number>();
      for (const s of starts) {
        if (s.startedAt - s.scheduledAt >= 1_000) continue;
        count.set(s.scheduledAt, (count.get(s.scheduledAt) ?? 0) + 1);
      }
      return [...count.values()].some((n) => n >= JOBS);
    };
    try {
      await waitFor('an instant run whole', whole, { timeoutMs: 120_000, intervalMs: 200 });
    } catch (error) {
      await stopClient?.();
      throw error;
    }
  }
  const runFrom = Math.max(connectedAt, Date.now());
  const until = Math.floor((runFrom + RUN_S * 1000) / 1000) * 1000;
  await new Promise((r) => setTimeout(r, until - Date.now() + 3_000));
  const dropsWhileRunning = [...disconnects];
  await stopClient();
  const rows = (await readRows(createdFrom, until)).filter((r) => jobIds.has(r.jobId));

  const key = (f: { jobId: number; scheduledAt: number }): string => `${f.jobId}@${f.scheduledAt}`;
  const runs = new Map<string, { count: number; lateness: number }>();
  for (const s of starts) {
    if (s.scheduledAt < createdFrom || s.scheduledAt >= until) continue;
    const known = runs.get(key(s));
    runs.set(key(s), { count: (known?.count ?? 0) + 1, lateness: s.startedAt - s.scheduledAt });
  }
  // Fires due once the client was there (the first whole instant after it connected); with
  // T = 0, from two seconds after every job existed.
  const afterFrom =
    NO_CLIENT_S === 0
      ? Math.ceil((runFrom + 2_000) / 1000) * 1000
      : Math.ceil(connectedAt / 1000) * 1000;
  const due = rows.filter((r) => r.scheduledAt >= afterFrom);
  const dueBefore = rows.filter((r) => r.scheduledAt < connectedAt);
  const byInstant = new Map<number, Row[]>();
  for (const r of due) byInstant.set(r.scheduledAt, [...(byInstant.get(r.scheduledAt) ?? []), r]);
  const instants = [...byInstant.keys()].sort((a, b) => a - b);
  // The drain ends at the first instant from which every instant ran whole, each fire < 1 s late.
  let drainedAt = NaN;
  for (let i = instants.length - 1; i >= 0; i--) {
    const fires = byInstant.get(instants[i] as number) ?? [];
    const ok =
      fires.length === JOBS &&
      fires.every((f) => {
        const run = runs.get(key(f));
        return run !== undefined && run.lateness < 1_000;
      });
    if (!ok) break;
    drainedAt = instants[i] as number;
  }
  const afterDrain = due.filter((r) => r.scheduledAt >= drainedAt);
  const lateness = afterDrain
    .flatMap((r) => {
      const run = runs.get(key(r));
      return run === undefined ? [] : [run.lateness];
    })
    .sort((a, b) => a - b);
  // Per instant after the drain: how late the first fire started, and how far the last trailed
  // it; together they tell transport and timers apart from per-fire processing.
  const perInstant = new Map<number, number[]>();
  for (const r of afterDrain) {
    const run = runs.get(key(r));
    if (run !== undefined)
      perInstant.set(r.scheduledAt, [...(perInstant.get(r.scheduledAt) ?? []), run.lateness]);
  }
  const median = (list: number[]): number =>
    list.sort((x, y) => x - y)[Math.floor(list.length / 2)] ?? NaN;
  const firstP50 = median([...perInstant.values()].map((v) => Math.min(...v)));
  const spreadP50 = median([...perInstant.values()].map((v) => Math.max(...v) - Math.min(...v)));
  const spreadMax = Math.max(
    ...[...perInstant.values()].map((v) => Math.max(...v) - Math.min(...v)),
  );
  const ran = (list: Row[]): number => list.filter((r) => runs.has(key(r))).length;
  const dueLateness = due
    .flatMap((r) => {
      const run = runs.get(key(r));
      return run === undefined ? [] : [run.lateness];
    })
    .sort((a, b) => a - b);
  const expectedAfter = JOBS * ((until - afterFrom) / 1000);
  const result = {
    bench: 'backlog',
    mode: MODE,
    jobs: JOBS,
    noClientSeconds: NO_CLIENT_S,
    ...(values.settle ? { settled: true } : {}),
    runSeconds: RUN_S,
    concurrency: CONCURRENCY,
    dispatchTimeoutMs: DISPATCH_TIMEOUT ?? 'default',
    afterConnect: {
      due: expectedAfter,
      recorded: due.length,
      ran: ran(due),
      fraction: Number((ran(due) / expectedAfter).toFixed(5)),
      latenessMs: { p50: pct(dueLateness, 50), p99: pct(dueLateness, 99), max: dueLateness.at(-1) },
    },
    drainMs: Number.isNaN(drainedAt) ? null : Math.max(0, drainedAt - connectedAt),
    afterDrainMs: {
      count: afterDrain.length,
      ran: lateness.length,
      p50: pct(lateness, 50),
      p99: pct(lateness, 99),
      max: lateness[lateness.length - 1] ?? NaN,
      perInstant: { firstP50, spreadP50, spreadMax },
    },
    backlog: {
      due: dueBefore.length,
      ran: ran(dueBefore),
      succeeded: dueBefore.filter((r) => r.state === 'succeeded').length,
      skipped: dueBefore.filter((r) => r.state === 'skipped').length,
      failed: dueBefore.filter((r) => r.state === 'failed').length,
      other: dueBefore.filter((r) => !['succeeded', 'skipped', 'failed'].includes(r.state)).length,
    },
    // Streams to the server that ended while the client ran (not at its stop), with why.
    streamDrops: dropsWhileRunning.length,
    ...(dropsWhileRunning.length === 0 ? {} : { streamDropDetails: dropsWhileRunning.slice(0, 3) }),
    duplicated:
      [...runs.values()].filter((r) => r.count > 1).length +
      (rows.length - new Set(rows.map(key)).size),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (values['per-instant']) {
    // One more line: each instant due after the client connected, with how many of its fires
    // ran and the lateness of its first, 99th-percentile and last start. A p99 over a run is
    // made by whole instants that came late, which this line shows.
    const lines = [...byInstant.keys()]
      .sort((a, b) => a - b)
      .map((at) => {
        const late = (byInstant.get(at) ?? [])
          .flatMap((r) => runs.get(key(r))?.lateness ?? [])
          .sort((x, y) => x - y);
        return [at, late.length, late[0] ?? NaN, pct(late, 99), late.at(-1) ?? NaN];
      });
    process.stdout.write(
      `${JSON.stringify({ perInstant: ['at', 'ran', 'first', 'p99', 'last'], lines })}\n`,
    );
  }
} finally {
  for (const p of processes.reverse()) await p.stop();
  await rm(dataDir, { recursive: true, force: true });
  if (MODE === 'separate') {
    const admin = await createConnection({ uri: MYSQL_SERVER_URL });
    await admin.query(`drop database if exists ${dbName}`);
    await admin.end();
  }
}
