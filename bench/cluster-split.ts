// How the work of one ServerGroup splits between its servers (issue 7), uncapped and long after
// the start: for 1 server and for 3 (backups = the server count unless --backups), the same
// per-second jobs on MariaDB and ZooKeeper with two client processes, each server's CPU (from
// /proc) first with no job and then with --jobs, each window --seconds long and --settle
// seconds after what came before it (a server still compiling its hot code, a minute after
// the jobs are created, spends a third more). Server counts alternate, --runs times.
//
// Why it exists: bench/cluster-throughput.ts's capped p99 step cannot tell, on a 2-core
// machine, whether three servers carry 2.5 times what one does. At 0.06 cores a 60 s window
// held 100 jobs for neither (stalls of 1-2 s), and larger caps leave MariaDB, the clients and
// the bench too little of the machine (docs/cluster.md, "Long windows at the cap"). What this
// bench measures instead is what each server spends per fire of the group above its own idle
// cost. If each server had a core of its own and nothing else limited the group, the busiest
// server would reach its core first, so `derivedRatio` = one server's CPU per fire above idle
// divided by the busiest of three's: a capacity ratio derived from CPU, not a p99 measured at
// that rate. `lateP99Ms` and `ranPct` show that the load ran, on this shared machine.
// With --then-jobs M, jobs are then added up to M and each server measured again: its CPU per
// fire added (`marginalMsPerFire`) leaves out what an owner pays once per instant whatever its
// share, and `marginalRatio` (one server's over the busiest of three's) is the ratio where a
// server with a core of its own saturates, thousands of fires a second, where such fixed costs
// no longer count.
//
// Prints per run and server count, then a summary:
// {"bench":"cluster-split","servers":3,"run":1,"jobs":300,"idleMsPerSecond":{"s1":..},
//  "msPerSecond":{"s1":..},"aboveIdleMsPerFire":{"s1":..},"busiestAboveIdleMsPerFire":..,
//  "lateP99Ms":..,"ranPct":..}
// {"bench":"cluster-split","summary":true,"jobs":..,"oneServer":..,"threeServers":..,
//  "derivedRatio":..,"runs":{"1":[..],"3":[..]},"cores":..}
// (`oneServer`, `threeServers`: medians over the runs of `busiestAboveIdleMsPerFire`; with
// --then-jobs the lines add `marginalMsPerFire`, `busiestMarginalMsPerFire`, `thenLateP99Ms`,
// `thenRanPct`, and the summary `oneServerMarginal`, `threeServersMarginal`, `marginalRatio`.)
// Usage: node --conditions=source --import tsx bench/cluster-split.ts \
//   [--jobs 300] [--seconds 60] [--settle 60] [--runs 3] [--backups N] [--then-jobs M]
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { startMariaDb } from '@carillon/testkit';
import { everyServerUp, startCluster } from '../test/cluster/cluster-kit.js';
import type { TestCluster } from '../test/cluster/cluster-kit.js';
import { everyJobRan, windowFromLedger } from './cluster-window.js';
import { median } from './median.js';
import { CpuMeter, cpuSpent } from './process-cpu.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '60' },
    settle: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    backups: { type: 'string' },
    'then-jobs': { type: 'string' },
  },
});
const JOBS = Number(values.jobs);
const SECONDS = Number(values.seconds);
const SETTLE_MS = Number(values.settle) * 1000;
const RUNS = Number(values.runs);
const BACKUPS = values.backups === undefined ? undefined : Number(values.backups);
const THEN_JOBS = values['then-jobs'] === undefined ? undefined : Number(values['then-jobs']);
for (const [name, n] of Object.entries({ jobs: JOBS, seconds: SECONDS, runs: RUNS }))
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--${name} must be 1 or more`);
if (!(SETTLE_MS >= 0)) throw new Error(`--settle must be 0 or more: ${values.settle}`);
if (THEN_JOBS !== undefined && !(Number.isInteger(THEN_JOBS) && THEN_JOBS > JOBS))
  throw new Error(`--then-jobs must be a whole number above --jobs: ${values['then-jobs']}`);
if (BACKUPS !== undefined && !(Number.isInteger(BACKUPS) && BACKUPS >= 1))
  throw new Error(`--backups must be a whole number of servers, 1 or more: ${values.backups}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

/** Each server's CPU ms a second over a window of SECONDS. */
async function serverMsPerSecond(meter: CpuMeter, ids: readonly string[]) {
  const before = await meter.sample();
  await sleep(SECONDS * 1000);
  const spent = cpuSpent(before, await meter.sample());
  return Object.fromEntries(ids.map((id) => [id, round((spent[id] ?? 0) / SECONDS, 1)]));
}

/**
 * Adds jobs up to THEN_JOBS and measures again: each server's CPU per fire added. What an owner
 * pays once per instant whatever its share (a statement per step of the batch) is left out, so
 * this is the cost that decides where a server with a core of its own saturates; at --jobs
 * those fixed costs weigh more than they would there.
 */
async function thenJobs(
  cluster: TestCluster,
  groupId: string,
  meter: CpuMeter,
  before: Readonly<Record<string, number>>,
  firstJobIds: readonly number[],
) {
  const more = (THEN_JOBS ?? JOBS) - JOBS;
  const added = await cluster.createPerSecondJobs(groupId, more);
  await everyJobRan(cluster, added);
  const jobIds = [...firstJobIds, ...added];
  await sleep(SETTLE_MS);
  const ids = Object.keys(before);
  const from = Math.ceil(Date.now() / 1000) * 1000;
  const busy = await serverMsPerSecond(meter, ids);
  await sleep(3_000);
  const ran = await windowFromLedger(cluster, jobIds, from, from + (SECONDS - 1) * 1000);
  const marginal = Object.fromEntries(
    ids.map((id) => [id, round(((busy[id] ?? 0) - (before[id] ?? 0)) / more, 4)]),
  );
  return {
    thenJobs: THEN_JOBS,
    thenMsPerSecond: busy,
    marginalMsPerFire: marginal,
    busiestMarginalMsPerFire: Math.max(...Object.values(marginal)),
    thenLateP99Ms: ran.lateP99Ms,
    thenRanPct: ran.ranPct,
  };
}

/** One cluster of `servers`: idle, then JOBS (then THEN_JOBS); the busiest server's costs. */
async function measure(
  servers: number,
  run: number,
): Promise<{ busiest: number; marginal: number | undefined }> {
  const db = await startMariaDb();
  const cluster = await startCluster({
    servers,
    built: true,
    mysqlServerUrl: db.serverUrl,
  }).catch(async (error: unknown) => {
    await db.remove();
    throw error;
  });
  try {
    // One server holds a job alone whatever --backups asks.
    const backups = Math.min(servers, BACKUPS ?? servers);
    const { groupId, token } = await cluster.createGroup('split', backups);
    for (const id of ['split-c1', 'split-c2'])
      await cluster.startClient(groupId, token, id, { concurrency: 4000 });
    await everyServerUp(cluster, groupId, 2);
    const meter = new CpuMeter();
    for (const s of cluster.servers) meter.add(s.id, s.process.child.pid);
    const ids = cluster.servers.map((s) => s.id);
    await sleep(SETTLE_MS);
    const idle = await serverMsPerSecond(meter, ids);
    const jobIds = await cluster.createPerSecondJobs(groupId, JOBS);
    await everyJobRan(cluster, jobIds);
    await sleep(SETTLE_MS);
    const from = Math.ceil(Date.now() / 1000) * 1000;
    const busy = await serverMsPerSecond(meter, ids);
    await sleep(3_000); // the window's last fires start and reach the ledger
    const ran = await windowFromLedger(cluster, jobIds, from, from + (SECONDS - 1) * 1000);
    const aboveIdle = Object.fromEntries(
      ids.map((id) => [id, round(((busy[id] ?? 0) - (idle[id] ?? 0)) / JOBS, 4)]),
    );
    const busiest = Math.max(...Object.values(aboveIdle));
    const marginal =
      THEN_JOBS === undefined ? undefined : await thenJobs(cluster, groupId, meter, busy, jobIds);
    console.log(
      JSON.stringify({
        bench: 'cluster-split',
        servers,
        run,
        jobs: JOBS,
        ...(BACKUPS === undefined ? {} : { backups: BACKUPS }),
        idleMsPerSecond: idle,
        msPerSecond: busy,
        aboveIdleMsPerFire: aboveIdle,
        busiestAboveIdleMsPerFire: busiest,
        lateP99Ms: ran.lateP99Ms,
        ranPct: ran.ranPct,
        ...marginal,
      }),
    );
    return { busiest, marginal: marginal?.busiestMarginalMsPerFire };
  } finally {
    await cluster.stop();
    await db.remove();
  }
}

// The servers run the build, as an operator runs them: brought up to date first.
execFileSync('npx', ['tsc', '-b'], { stdio: 'inherit' });
const results = new Map<number, { busiest: number; marginal: number | undefined }[]>([
  [1, []],
  [3, []],
]);
for (let run = 1; run <= RUNS; run++)
  for (const servers of [1, 3]) results.get(servers)?.push(await measure(servers, run));
const medianOf = (servers: number, key: 'busiest' | 'marginal') =>
  median((results.get(servers) ?? []).map((r) => r[key] ?? 0));
const one = medianOf(1, 'busiest');
const three = medianOf(3, 'busiest');
const marginal =
  THEN_JOBS === undefined
    ? {}
    : {
        thenJobs: THEN_JOBS,
        oneServerMarginal: medianOf(1, 'marginal'),
        threeServersMarginal: medianOf(3, 'marginal'),
        marginalRatio:
          medianOf(3, 'marginal') > 0
            ? round(medianOf(1, 'marginal') / medianOf(3, 'marginal'), 2)
            : null,
      };
console.log(
  JSON.stringify({
    bench: 'cluster-split',
    summary: true,
    jobs: JOBS,
    ...(BACKUPS === undefined ? {} : { backups: BACKUPS }),
    oneServer: one,
    threeServers: three,
    derivedRatio: three > 0 ? round(one / three, 2) : null,
    ...marginal,
    runs: Object.fromEntries(
      [...results].map(([servers, rs]) => [servers, rs.map((r) => r.busiest)]),
    ),
    ...(THEN_JOBS === undefined
      ? {}
      : {
          marginalRuns: Object.fromEntries(
            [...results].map(([servers, rs]) => [servers, rs.map((r) => r.marginal)]),
          ),
        }),
    cores: cpus().length,
  }),
);
