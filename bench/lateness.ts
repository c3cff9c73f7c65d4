// Lateness benchmark: N jobs firing every second for T seconds on `carillon dev`, with the
// client in another process. Prints one JSON line:
// {"bench":"lateness","jobs":N,"seconds":T,"expected":..,"executed":..,"recordedSucceeded":..,
//  "missed":..,"duplicated":..,"latenessMs":{"p50":..,"p99":..,"max":..},
//  "perInstantMs":{"firstP50":..,"spreadP50":..}}
// Lateness is the handler's start minus the scheduled instant, both on this machine's clock.
// Usage: npm run bench:lateness -- [--jobs 1000] [--seconds 30]
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { freePort, waitFor } from '@carillon/testkit';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
  },
});
const JOBS = Number(values.jobs);
const SECONDS = Number(values.seconds);
const root = join(import.meta.dirname, '..');
const dataDir = await mkdtemp(join(tmpdir(), 'carillon-bench-'));
const port = await freePort();
const password = 'bench-password-1';

// CARILLON_BENCH_DEV_NODE_ARGS passes flags to the dev process's node, e.g. --cpu-prof.
const devNodeArgs = (process.env['CARILLON_BENCH_DEV_NODE_ARGS'] ?? '')
  .split(' ')
  .filter((a) => a !== '');
const dev = spawn(
  process.execPath,
  [
    ...devNodeArgs,
    join(root, 'packages/cli/bin/carillon.js'),
    'dev',
    '--data-dir',
    dataDir,
    '--port',
    String(port),
    '--rpc-port',
    '0',
    '--log-level',
    'warn',
  ],
  {
    env: { ...process.env, CARILLON_ADMIN_PASSWORD: password },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const base = `http://127.0.0.1:${port}`;
try {
  await waitFor('carillon dev to answer', async () => (await fetch(`${base}/healthz`)).ok, {
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  const login = (await (
    await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    })
  ).json()) as { token: string };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${login.token}` };
  const group = '101-1-1-1';
  const token = (await readFile(join(dataDir, 'demo-client-token'), 'utf8')).trim();

  const clientNodeArgs = (process.env['CARILLON_BENCH_CLIENT_NODE_ARGS'] ?? '')
    .split(' ')
    .filter((a) => a !== '');
  const client = spawn(
    process.execPath,
    [
      ...clientNodeArgs,
      // The built SDK, as an application runs it (tsx only loads this file).
      '--import',
      'tsx',
      join(root, 'bench/lateness-client.ts'),
    ],
    {
      env: {
        ...process.env,
        CARILLON_BENCH_CLIENT: JSON.stringify({
          console: base,
          group,
          token,
          concurrency: JOBS * 2,
        }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const starts: Array<{
    jobId: number;
    scheduledAt: number;
    startedAt: number;
    executionId: string;
  }> = [];
  let ready = false;
  createInterface({ input: client.stdout }).on('line', (line) => {
    if (line === 'ready') {
      ready = true;
      return;
    }
    if (line.startsWith('disconnected')) return;
    const [jobId, scheduledAt, startedAt, executionId] = line.split(' ');
    starts.push({
      jobId: Number(jobId),
      scheduledAt: Number(scheduledAt),
      startedAt: Number(startedAt),
      executionId: executionId ?? '',
    });
  });
  await waitFor('the bench client to connect', () => ready, { timeoutMs: 30_000 });

  const jobIds: number[] = [];
  const queue = Array.from({ length: JOBS }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const body = {
          groupId: group,
          name: `bench ${i}`,
          description: 'lateness bench',
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler: 'bench',
        };
        const response = await fetch(`${base}/api/v1/jobs`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
        });
        if (!response.ok)
          throw new Error(`creating a job failed: ${response.status} ${await response.text()}`);
        jobIds.push(((await response.json()) as { id: number }).id);
      }
    }),
  );
  // Measure whole seconds after a warm-up: every job has fired once, then two more seconds.
  await waitFor('every job to fire once', () => new Set(starts.map((s) => s.jobId)).size >= JOBS, {
    timeoutMs: 300_000,
    intervalMs: 500,
  });
  const from = Math.ceil((Date.now() + 2_000) / 1000) * 1000;
  const until = from + SECONDS * 1000;
  await new Promise((r) => setTimeout(r, until - Date.now() + 2_000));
  client.kill('SIGTERM');
  await new Promise((r) => client.once('exit', r));

  const inWindow = starts.filter(
    (s) => s.scheduledAt >= from && s.scheduledAt < until && jobIds.includes(s.jobId),
  );
  const byFire = new Map<string, number>();
  for (const s of inWindow)
    byFire.set(`${s.jobId}@${s.scheduledAt}`, (byFire.get(`${s.jobId}@${s.scheduledAt}`) ?? 0) + 1);
  const db = new Database(join(dataDir, 'carillon.db'), { readonly: true });
  const rows = db
    .prepare(
      'SELECT job_id AS jobId, scheduled_at AS scheduledAt, state FROM executions WHERE scheduled_at >= ? AND scheduled_at < ? AND job_id >= ?',
    )
    .all(from, until, Math.min(...jobIds)) as Array<{
    jobId: number;
    scheduledAt: number;
    state: string;
  }>;
  db.close();
  const succeeded = new Set(
    rows.filter((r) => r.state === 'succeeded').map((r) => `${r.jobId}@${r.scheduledAt}`),
  );
  const expected = JOBS * SECONDS;
  const lateness = inWindow.map((s) => s.startedAt - s.scheduledAt).sort((a, b) => a - b);
  const pct = (p: number): number =>
    lateness[Math.min(lateness.length - 1, Math.floor((p / 100) * lateness.length))] ?? NaN;
  // Per instant: how late the first handler started, and how far the last trailed the first;
  // together they tell transport and timers apart from per-fire processing.
  const byInstant = new Map<number, number[]>();
  for (const s of inWindow)
    byInstant.set(s.scheduledAt, [
      ...(byInstant.get(s.scheduledAt) ?? []),
      s.startedAt - s.scheduledAt,
    ]);
  const median = (values: number[]): number =>
    values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const firstMs = median([...byInstant.values()].map((v) => Math.min(...v)));
  const spreadMs = median([...byInstant.values()].map((v) => Math.max(...v) - Math.min(...v)));
  const result = {
    bench: 'lateness',
    jobs: JOBS,
    seconds: SECONDS,
    expected,
    executed: byFire.size,
    recordedSucceeded: succeeded.size,
    missed: expected - byFire.size,
    duplicated:
      [...byFire.values()].filter((n) => n > 1).length +
      (rows.length - new Set(rows.map((r) => `${r.jobId}@${r.scheduledAt}`)).size),
    latenessMs: { p50: pct(50), p99: pct(99), max: lateness[lateness.length - 1] ?? NaN },
    perInstantMs: { firstP50: firstMs, spreadP50: spreadMs },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  dev.kill('SIGTERM');
  await new Promise((r) => dev.once('exit', r));
  await rm(dataDir, { recursive: true, force: true });
}
