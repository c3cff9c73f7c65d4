// Cluster throughput benchmark (issue 7): fires per second that one ServerGroup on MariaDB and
// ZooKeeper holds with p99 lateness under 50 ms, for 1 server and for 3 servers (backups = the
// server count), with clients in separate processes. For each server count, per-second jobs are
// added step by step (--steps) on one cluster; each step measures a window of --seconds after
// a warm-up. The run stops at the first step whose p99 reaches 50 ms or where fewer than 99.9 %
// of the window's fires ran (but runs two steps at least); the highest rate held is the last of
// the unbroken run of held steps from the first. ZooKeeper writes per
// second (zxid growth, `srvr`) are measured in every step, to show they do not follow the rate.
//
// Where the CPU goes, per step: CPU ms per fire of every process (each server, the console,
// each client, ZooKeeper, this script, and MariaDB with --own-mariadb), from /proc over the
// window. Before the first step, each server count measures the cluster with no job for
// --seconds (one `"jobs":0` line, `idleCpuMsPerSecond`: heartbeats, polls, keepalives), and
// every step also prints `cpuMsPerFireAboveIdle`, the CPU per fire above that fixed cost. With
// backups = 3 each server's share of a fire above idle is what shows whether the work spreads:
// one server does all of it alone; three each own a third of the fires and stand by for the
// rest (docs/cluster.md, "What standing by costs"; bench/standby-cost.ts measures a standby
// alone).
// With --own-mariadb the database is a throwaway mariadbd of this bench, so its CPU and its
// statement counts per fire (`Com_*`) are this cluster's alone; the machine's shared MariaDB
// serves other work too.
//
// Clients: --clients processes with --concurrency slots each (default 4,000, as
// bench/backlog.ts). A fire holds a client slot from its send, 300 ms before its instant, to its
// result, so every job of a per-second step needs a slot at once: with the former 2 × 64 slots
// any step over 128 jobs had part of its fires sent after their instant (`sentLatePct` 14.4 at
// 200 jobs, 1 server; 0 with 4,000 slots), which capped 1 and 3 servers alike at ~100 jobs.
// Findings and figures: docs/cluster.md, "What capped the bench".
//
// Prints one JSON line per step and per server count, and a last summary line:
// {"bench":"cluster-throughput","servers":1,"jobs":0,"idleCpuMsPerSecond":{"s1":..,..}}
// {"bench":"cluster-throughput","servers":1,"jobs":..,"fires":..,"ran":..,"ranPct":..,
//  "lateP50Ms":..,"lateP99Ms":..,"sentLatePct":..,"unrecordedPct":..,"ownedPct":{"s1":..},
//  "zkWritesPerSecond":..,
//  "cpuMsPerFire":{"s1":..,"console":..,"client1":..,"zk1":..,"bench":..,"mariadb":..},
//  "serversCpuMsPerFire":..,"cpuMsPerFireAboveIdle":{..},"serversCpuMsPerFireAboveIdle":..,
//  "statementsPerFire":{..},"takeovers":{"s1":{"stoodIn":..,"adopted":..,"suspended":..}},
//  "latencies":{"s1":{"loopMaxMs":..,"heapMb":..,"gc_minor_ms":..,"claimMs":{"n":..,"p50":..,
//  "p99":..},"transitionMs":{..},"claimLeadMs":{..},"lateMs":{..}}},
//  "machine":{"busyPct":..,"saturatedPct":..},"held":true}
// {"bench":"cluster-throughput","servers":1,"highestHeldFiresPerSecond":..}
// {"bench":"cluster-throughput","summary":true,"oneServer":..,"threeServers":..,"ratio":..,"cores":..}
// Lateness is the handler's start (client ledger) minus the scheduled instant, one clock.
// `sentLatePct`: fires a server sent after their instant; `unrecordedPct`: fires whose row was
// not yet ended 3 s after the window (execution writes lagging behind the sends); `takeovers`:
// per server, fires it claimed as a standby or adopted from a peer judged gone, and its
// ZooKeeper suspensions, in the window (none in a steady cluster; see server-log-events.ts);
// `latencies`: per server, from its own metrics over the window (server-latencies.ts), its
// longest event loop delay, heap, collector time by kind, and p50/p99 (bucket bounds, ms) of its
// claim and execution-change statements, of how far ahead fires were claimed and of how late
// they started; `machine`: how busy the whole machine was, and how often it had no idle core
// (machine-busy.ts). Every
// process shares this machine's cores, so 3 servers do not get 3 times the CPU of one: the
// ratio says as much about the machine as about the cluster, the CPU split says what the
// cluster does.
// Usage: node --conditions=source --import tsx bench/cluster-throughput.ts \
//   [--steps 25,50,100,200,400] [--seconds 10] [--servers 1,3] [--clients 2]
//   [--concurrency 4000] [--own-mariadb] [--cpu-prof DIR] [--server-cpu CORES] [--backups N]
//   [--runs N] [--from-source]
// --runs N: measures every server count N times, alternating (1, 3, 1, 3, ...); each line then
// carries its `run`, and the summary the medians of the highest rates held, their ratio, and
// every run's figure (`runs`).
// --from-source: servers and console run from the TypeScript sources through tsx, as the tests
// run them and as every figure before December 2026's stop 20 was taken, instead of the build
// that an operator runs (the default; `npx tsc -b` first). tsx alone costs a process woken
// every 100 ms about 10 ms of CPU a second on this machine, a sixth of a 0.06-core cap
// (docs/cluster.md, "The build against the sources").
// --backups N: each job held by N servers (default: all of them). With 3 servers and
// --backups 1 no server stands by for another's fires, so set against the default it parts what
// standing by costs from what every owner pays once per instant.
// --cpu-prof DIR: every process started by the bench writes DIR/<args>.<pid>.cpuprofile at its
// (then graceful) stop; with CARILLON_BENCH_VERBOSE=1 the window's bounds on the profiles'
// monotonic clock (µs) go to stderr, to cut the profiles to the window.
// --server-cpu CORES (e.g. 0.2): one small machine per server, emulated: each server process
// runs in a CPU cgroup of its own capped at CORES (bench/server-cpu-cap.ts; root and a cgroup
// cpu controller needed), the other processes uncapped, so that the servers and not the shared
// machine are the limit. Every line then carries `serverCpu` (the cap), and each step
// `throttled`: per server, the share of 10 ms periods in which it used up its quota and the ms
// a second it waited for the next (the cap biting). A step's jobs are created, and run once,
// with the caps lifted: set-up, not what is measured; the first step's load then runs uncapped
// 15 s more, for the servers' hot code to be compiled outside the cap (see there). Before
// anything is measured, the bench waits for V8's memory reducer to have shrunk every server's
// new heap (`heapsSettled`): its major collections, a minute or two after start, stalled
// capped servers for 0.5-1.5 s, all at once.
// CARILLON_BENCH_LOGS=PATH writes every server's and console's output to PATH.<servers> at the
// end (the standby watch logs its reads, fires looked up, claims and adoptions every ~10 s).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { startMariaDb } from '@carillon/testkit';
import type { ClientProcess } from '@carillon/testkit';
import { everyServerUp, startCluster } from '../test/cluster/cluster-kit.js';
import { measureIdle, measureStep, prepareStep, progress, serverReadings } from './cluster-step.js';
import type { Bench } from './cluster-step.js';
import { CpuMeter, childrenNamed } from './process-cpu.js';
import { createCpuCap } from './server-cpu-cap.js';
import type { CpuCap } from './server-cpu-cap.js';
import { median } from './median.js';
import { heapsSettled } from './server-latencies.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '25,50,100,200,400' },
    seconds: { type: 'string', default: '10' },
    servers: { type: 'string', default: '1,3' },
    clients: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '4000' },
    'own-mariadb': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'statement-kinds': { type: 'boolean', default: false },
    'server-cpu': { type: 'string' },
    backups: { type: 'string' },
    runs: { type: 'string', default: '1' },
    'from-source': { type: 'boolean', default: false },
  },
});
const STEPS = values.steps.split(',').map(Number);
const SECONDS = Number(values.seconds);
const SERVER_COUNTS = values.servers.split(',').map(Number);
const CLIENTS = Number(values.clients);
const SERVER_CPU = values['server-cpu'] === undefined ? undefined : Number(values['server-cpu']);
const BACKUPS = values.backups === undefined ? undefined : Number(values.backups);
const RUNS = Number(values.runs);
if (!(Number.isInteger(RUNS) && RUNS >= 1))
  throw new Error(`--runs must be 1 or more: ${values.runs}`);
if (BACKUPS !== undefined && !(Number.isInteger(BACKUPS) && BACKUPS >= 1))
  throw new Error(`--backups must be a whole number of servers, 1 or more: ${values.backups}`);
/** On every line: the cap of each server, when there is one, and the backups, when given. */
const SETTINGS = {
  ...(SERVER_CPU === undefined ? {} : { serverCpu: SERVER_CPU }),
  ...(BACKUPS === undefined ? {} : { backups: BACKUPS }),
};

/** One server count's run: its cluster, the idle window, then the steps; the highest held. */
async function measure(servers: number, run: number): Promise<number> {
  const head = { bench: 'cluster-throughput', servers, ...(RUNS > 1 ? { run } : {}), ...SETTINGS };
  const ownDb = values['own-mariadb'] ? await startMariaDb() : undefined;
  const profileDir = values['cpu-prof'];
  if (profileDir !== undefined) {
    // Every process started from here on profiles itself (Node 20 refuses --cpu-prof there).
    const preload = new URL('./cpu-profile-preload.js', import.meta.url).href;
    process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import=${preload}`;
    process.env['CARILLON_CPU_PROFILE_DIR'] = profileDir;
  }
  const cluster = await startCluster({
    servers,
    built: !values['from-source'],
    ...(ownDb === undefined ? {} : { mysqlServerUrl: ownDb.serverUrl }),
    // Each server's histograms (statement times, claim lead, lateness), read per window.
    serverEnv: { CARILLON_METRICS_PORT: '0' },
  }).catch(async (error: unknown) => {
    await ownDb?.remove();
    throw error;
  });
  const clients: ClientProcess[] = [];
  const caps = new Map<string, CpuCap>();
  try {
    // Capped once started (the start itself runs free): a server is one process, every thread
    // of it moves with it.
    if (SERVER_CPU !== undefined)
      for (const s of cluster.servers) {
        const cap = createCpuCap(s.id, SERVER_CPU);
        caps.set(s.id, cap);
        if (s.process.child.pid !== undefined) cap.add(s.process.child.pid);
      }
    const { groupId, token } = await cluster.createGroup(
      `bench-${servers}`,
      Math.min(servers, BACKUPS ?? servers),
    );
    for (let i = 1; i <= CLIENTS; i++)
      clients.push(
        await cluster.startClient(groupId, token, `bench-c${i}`, {
          concurrency: Number(values.concurrency),
        }),
      );
    // Each client on each server before anything is measured: a server that no client has
    // reached yet is nobody's preferred holder (a job's preferred holder is its first live
    // holder with a client that can run it), so its share of the fires would go to the others.
    // Under --server-cpu a capped server takes seconds to accept its streams; in one run at
    // 0.1 cores s1 owned no fire at all (its CPU stayed at idle while s2 and s3 ran them).
    await everyServerUp(cluster, groupId, CLIENTS);
    if (caps.size > 0 && !(await heapsSettled(() => serverReadings(cluster))))
      progress('the servers still make major collections after 4 min: measuring anyway');
    const meter = new CpuMeter();
    for (const s of cluster.servers) meter.add(s.id, s.process.child.pid);
    meter.add('console', cluster.console.child.pid);
    for (const [i, c] of clients.entries()) meter.add(`client${i + 1}`, c.child.pid);
    for (const [i, pid] of (await childrenNamed('java')).entries()) meter.add(`zk${i + 1}`, pid);
    for (const pid of await childrenNamed('mariadbd')) meter.add('mariadb', pid);
    const idleMsPerSecond = await measureIdle(meter, caps, head, SECONDS);
    const bench: Bench = {
      cluster,
      ownDb,
      meter,
      caps,
      groupId,
      jobIds: [],
      idleMsPerSecond,
      head,
      seconds: SECONDS,
      statementKinds: values['statement-kinds'],
    };
    let highest = 0;
    let unbroken = true;
    for (const [i, jobs] of STEPS.entries()) {
      progress(`${servers} servers: ${jobs} jobs`);
      await prepareStep(bench, jobs, i === 0);
      const held = await measureStep(bench, jobs);
      unbroken &&= held;
      if (unbroken) highest = jobs;
      // Two steps at least, for ZooKeeper's writes at two fire rates.
      if (!held && i >= 1) break;
    }
    console.log(JSON.stringify({ ...head, highestHeldFiresPerSecond: highest }));
    return highest;
  } finally {
    const logsTo = process.env['CARILLON_BENCH_LOGS'];
    if (logsTo !== undefined) writeFileSync(`${logsTo}.${servers}`, cluster.logs());
    // A CPU profile is written at a clean exit only: SIGTERM first.
    if (values['cpu-prof'] !== undefined) {
      for (const c of clients) await c.stop().catch(() => undefined);
      for (const s of cluster.servers) await s.process.stop('SIGTERM');
      await cluster.console.stop('SIGTERM');
    }
    await cluster.stop();
    for (const cap of caps.values()) cap.remove();
    await ownDb?.remove();
  }
}

// The servers and the console run the build, as an operator runs them: brought up to date first.
if (!values['from-source']) execFileSync('npx', ['tsc', '-b'], { stdio: 'inherit' });

// Server counts alternate run by run (1, 3, 1, 3, ...), so that a drift of the machine, or a
// run that goes badly, falls on both. One run's held step moves by a step or two between runs
// of the same code (docs/cluster.md, "Stalls, not the machine"): the summary takes medians.
const results = new Map<number, number[]>();
for (let run = 1; run <= RUNS; run++)
  for (const servers of SERVER_COUNTS)
    results.set(servers, [...(results.get(servers) ?? []), await measure(servers, run)]);
const middle = (servers: number): number | undefined => {
  const held = results.get(servers);
  return held === undefined ? undefined : median(held);
};
const one = middle(1);
const three = middle(3);
console.log(
  JSON.stringify({
    bench: 'cluster-throughput',
    summary: true,
    ...SETTINGS,
    oneServer: one ?? null,
    threeServers: three ?? null,
    ratio: one !== undefined && three !== undefined && one > 0 ? three / one : null,
    ...(RUNS > 1 ? { runs: Object.fromEntries(results) } : {}),
    cores: cpus().length,
  }),
);
