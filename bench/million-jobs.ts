// What holding a million jobs costs a server: N jobs that fire once a year (at random instants)
// plus E jobs that fire every second, on SQLite, one server in this process and a client in
// another. Prints one JSON line:
// {"bench":"million-jobs","jobs":N,"everySecond":E,"seconds":T,"insertMs":..,"startMs":..,
//  "heapMB":..,"heapBytesPerJob":..,"rssMB":..,"loopDelayMs":{"p50":..,"p99":..,"max":..},
//  "expected":..,"executed":..,"missed":..,"duplicated":..,"latenessMs":{"p50":..,"p99":..,"max":..}}
// startMs: the server's start (loading and scheduling every job); heap figures after the
// window, after a full GC;
// loopDelayMs: the server process's event-loop delay over the measured window (a full reload
// of its jobs would show here); lateness: handler start minus scheduled instant of the
// per-second jobs.
// Usage: npm run bench:million -- [--jobs 1000000] [--every-second 100] [--seconds 20]
// The jobs are written straight into the database file (the store creates ~3k jobs a second,
// too slow to set a million up), with the columns the migrations define.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { hashTokenSecret } from '@carillon/core';
import { InProcessCoordinator } from '@carillon/coordination';
import { CarillonServer } from '@carillon/server';
import { openStores } from '@carillon/storage';
import { waitFor } from '@carillon/testkit';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '1000000' },
    'every-second': { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
  },
});
const JOBS = Number(values.jobs);
const EVERY_SECOND = Number(values['every-second']);
const SECONDS = Number(values.seconds);
const SERVER_ID = 'bench-server';
const dir = await mkdtemp(join(tmpdir(), 'carillon-million-'));
const file = join(dir, 'carillon.db');

const setup = await openStores({ url: `sqlite://${file}` });
const now = Date.now();
const group = await setup.groups.create(
  { cluster: 101, serverGroup: 1, backups: 1, name: 'million' },
  now,
);
const token = randomBytes(24).toString('base64url');
await setup.users.createToken(
  {
    kind: 'client',
    userId: null,
    groupId: group.id,
    name: 'bench',
    secretHash: hashTokenSecret(token),
  },
  now,
);
await setup.close();

const insertStarted = performance.now();
const raw = new Database(file);
const insertJob = raw.prepare(
  `INSERT INTO jobs (group_id, name, description, trigger_type, cron, time_zone, handler, kind,
     param, routing, overlap, misfire, timeout_ms, max_retries, status, created_at, updated_at,
     version, change_seq)
   VALUES (?, ?, '', 'cron', ?, 'UTC', ?, 'simple', NULL, 'least_loaded', 'allow', ?, 0, 0,
     'enabled', ?, ?, 1, 1)`,
);
const insertHolder = raw.prepare(
  'INSERT INTO job_holders (job_id, server_id, position) VALUES (?, ?, 0)',
);
const random = (n: number): number => Math.floor(Math.random() * n);
raw.transaction(() => {
  for (let i = 0; i < JOBS + EVERY_SECOND; i++) {
    const yearly = i < JOBS;
    const cron = yearly
      ? `${random(60)} ${random(60)} ${random(24)} ${1 + random(28)} ${1 + random(12)} ?`
      : '* * * * * ?';
    const id = insertJob.run(
      group.id,
      `${yearly ? 'yearly' : 'every second'} ${i}`,
      cron,
      yearly ? 'yearly' : 'bench',
      yearly ? 'skip' : 'fire_once',
      now,
      now,
    ).lastInsertRowid;
    insertHolder.run(id, SERVER_ID);
  }
  raw.prepare('UPDATE job_change_counter SET value = 1 WHERE id = 1').run();
})();
raw.close();
const insertMs = performance.now() - insertStarted;

const stores = await openStores({ url: `sqlite://${file}` });
const coordinator = new InProcessCoordinator();
await coordinator.start();
const server = await CarillonServer.create({
  serverId: SERVER_ID,
  cluster: 101,
  serverGroup: 1,
  room: 'r1',
  stores,
  coordinator,
});
const startBegan = performance.now();
await server.start();
const startMs = performance.now() - startBegan;

const client = spawn(
  process.execPath,
  ['--import', 'tsx', join(import.meta.dirname, 'lateness-client.ts')],
  {
    env: {
      ...process.env,
      CARILLON_BENCH_CLIENT: JSON.stringify({
        servers: [server.rpcAddress],
        group: group.id,
        token,
        concurrency: EVERY_SECOND * 2,
      }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const starts: { jobId: number; scheduledAt: number; startedAt: number }[] = [];
let ready = false;
createInterface({ input: client.stdout }).on('line', (line) => {
  if (line === 'ready') {
    ready = true;
    return;
  }
  const [jobId, scheduledAt, startedAt] = line.split(' ').map(Number);
  starts.push({ jobId: jobId ?? 0, scheduledAt: scheduledAt ?? 0, startedAt: startedAt ?? 0 });
});
try {
  await waitFor('the bench client to connect', () => ready, { timeoutMs: 60_000 });
  await waitFor(
    'every per-second job to fire once',
    () => new Set(starts.map((s) => s.jobId)).size >= EVERY_SECOND,
    { timeoutMs: 120_000, intervalMs: 200 },
  );
  const from = Math.ceil((Date.now() + 2_000) / 1000) * 1000;
  const until = from + SECONDS * 1000;
  await new Promise((r) => setTimeout(r, from - Date.now()));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  await new Promise((r) => setTimeout(r, until - Date.now()));
  loop.disable();
  await new Promise((r) => setTimeout(r, 2_000));
  globalThis.gc?.();
  const memory = process.memoryUsage();

  const inWindow = starts.filter((s) => s.scheduledAt >= from && s.scheduledAt < until);
  const fires = new Map<string, number>();
  for (const s of inWindow) {
    const key = `${s.jobId}@${s.scheduledAt}`;
    fires.set(key, (fires.get(key) ?? 0) + 1);
  }
  const lateness = inWindow.map((s) => s.startedAt - s.scheduledAt).sort((a, b) => a - b);
  const pct = (p: number): number =>
    lateness[Math.min(lateness.length - 1, Math.floor((p / 100) * lateness.length))] ?? NaN;
  const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
  const expected = EVERY_SECOND * SECONDS;
  const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
  process.stdout.write(
    `${JSON.stringify({
      bench: 'million-jobs',
      jobs: JOBS,
      everySecond: EVERY_SECOND,
      seconds: SECONDS,
      insertMs: Math.round(insertMs),
      startMs: Math.round(startMs),
      heapMB: mb(memory.heapUsed),
      heapBytesPerJob: Math.round(memory.heapUsed / (JOBS + EVERY_SECOND)),
      rssMB: mb(memory.rss),
      loopDelayMs: {
        p50: ms(loop.percentile(50)),
        p99: ms(loop.percentile(99)),
        max: ms(loop.max),
      },
      expected,
      executed: fires.size,
      missed: expected - fires.size,
      duplicated: [...fires.values()].filter((n) => n > 1).length,
      latenessMs: { p50: pct(50), p99: pct(99), max: lateness[lateness.length - 1] ?? NaN },
    })}\n`,
  );
} finally {
  client.kill('SIGTERM');
  await new Promise((r) => client.once('exit', r));
  await server.stop();
  await coordinator.stop();
  await stores.close();
  await rm(dir, { recursive: true, force: true });
}
