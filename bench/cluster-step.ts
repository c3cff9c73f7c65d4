// One server count's windows for bench/cluster-throughput.ts (which documents the lines they
// print): the idle window, each step's set-up, and each step's window with its readings.
import type { MariaDbServer } from '@carillon/testkit';
import type { TestCluster } from '../test/cluster/cluster-kit.js';
import { everyJobRan, windowFromDatabase, windowFromLedger } from './cluster-window.js';
import { MachineBusy } from './machine-busy.js';
import { statementCounts, statementKinds, statementLog } from './mariadb-statements.js';
import { cpuSpent } from './process-cpu.js';
import type { CpuMeter } from './process-cpu.js';
import { throttledSince } from './server-cpu-cap.js';
import type { CpuCap, Throttling } from './server-cpu-cap.js';
import { logEvents } from './server-log-events.js';
import { metricsUrl, readServer, windowReading } from './server-latencies.js';
import type { ServerReading } from './server-latencies.js';

const WARM_UP_MS = 5_000;
/** With --server-cpu: how long the first step's load runs with the caps lifted, after set-up. */
const UNCAPPED_WARM_UP_MS = 15_000;
const P99_LIMIT_MS = 50;
const RAN_LIMIT = 0.999;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const progress = (what: string): void => {
  if (process.env['CARILLON_BENCH_VERBOSE'] !== undefined) process.stderr.write(`${what}\n`);
};

/** ZooKeeper's transaction count: the low 32 bits of the zxid (`srvr`). */
async function zkTransactions(cluster: TestCluster): Promise<number> {
  const leader = await cluster.zk.leader();
  const match = /Zxid: 0x([0-9a-f]+)/.exec(await leader.command('srvr'));
  if (match?.[1] === undefined) throw new Error('no zxid in srvr');
  return Number(BigInt(`0x${match[1]}`) & 0xffffffffn);
}

/** Each server's reading now (a server whose listener is not known is left out). */
export async function serverReadings(cluster: TestCluster): Promise<Map<string, ServerReading>> {
  const read = new Map<string, ServerReading>();
  for (const s of cluster.servers) {
    const url = metricsUrl(s.process.output());
    if (url !== undefined) read.set(s.id, await readServer(url));
  }
  return read;
}

/** What a server count's steps share: its cluster, meters and caps, and the fixed cost. */
export interface Bench {
  readonly cluster: TestCluster;
  readonly ownDb: MariaDbServer | undefined;
  readonly meter: CpuMeter;
  readonly caps: ReadonlyMap<string, CpuCap>;
  readonly groupId: string;
  /** The jobs created so far, by the steps before. */
  readonly jobIds: number[];
  /** CPU ms a second of each process with no job (see {@link measureIdle}). */
  readonly idleMsPerSecond: Record<string, number>;
  /** On every line: the server count, the run (with --runs), the settings. */
  readonly head: Record<string, unknown>;
  /** How long each window lasts (--seconds). */
  readonly seconds: number;
  /** Log MariaDB's statements by kind over each window (--statement-kinds). */
  readonly statementKinds: boolean;
}

function throttling(caps: ReadonlyMap<string, CpuCap>): Map<string, Throttling> {
  return new Map([...caps].map(([id, cap]) => [id, cap.throttling()]));
}

/** Each capped server's throttling between two readings over `seconds`. */
function throttledOver(
  before: Map<string, Throttling>,
  after: Map<string, Throttling>,
  seconds: number,
): Record<string, ReturnType<typeof throttledSince>> {
  return Object.fromEntries(
    [...after].map(([id, now]) => [id, throttledSince(before.get(id) ?? now, now, seconds)]),
  );
}

/**
 * The fixed cost, before any job exists (heartbeats, polls, keepalives, timers): what a step
 * spends above it is what its fires cost, and with backups = 3 each server's share of that says
 * whether the per-fire work spreads. Prints the `"jobs":0` line.
 */
export async function measureIdle(
  meter: CpuMeter,
  caps: ReadonlyMap<string, CpuCap>,
  head: Record<string, unknown>,
  seconds: number,
): Promise<Record<string, number>> {
  await sleep(WARM_UP_MS);
  const before = await meter.sample();
  const throttledBefore = throttling(caps);
  await sleep(seconds * 1000);
  const idleMsPerSecond = Object.fromEntries(
    Object.entries(cpuSpent(before, await meter.sample())).map(([k, v]) => [k, v / seconds]),
  );
  console.log(
    JSON.stringify({
      ...head,
      jobs: 0,
      idleCpuMsPerSecond: Object.fromEntries(
        Object.entries(idleMsPerSecond).map(([k, v]) => [k, Math.round(v * 10) / 10]),
      ),
      ...(caps.size === 0
        ? {}
        : { throttled: throttledOver(throttledBefore, throttling(caps), seconds) }),
    }),
  );
  return idleMsPerSecond;
}

/**
 * Set-up of a step: its new jobs created, and run once, with the caps lifted; then the warm-up
 * under the caps.
 */
export async function prepareStep(bench: Bench, jobs: number, first: boolean): Promise<void> {
  const { cluster, caps, jobIds } = bench;
  // Creating a step's jobs is set-up, not what is measured: uncapped. Under the cap the
  // first step's hundreds of new jobs (each server follows every change notice) kept the
  // servers busy past the warm-up, and the first step missed (p99 50-1,336 ms at 0.1 cores
  // in three runs of five, 361 ms at 0.06) where the next, larger one held.
  for (const cap of caps.values()) cap.lift();
  jobIds.push(...(await cluster.createPerSecondJobs(bench.groupId, jobs - jobIds.length)));
  await everyJobRan(cluster, jobIds);
  // A capped server compiles its hot code within its cap: at 0.1 cores the first step's
  // CPU per fire above idle was 2.5-3.5 times the next step's after the usual warm-up. So
  // the first step's load runs uncapped 15 s longer. Not enough: at 0.06 cores the first
  // step still missed in 3 runs of 10 (46-56 ms/s at 100 fires a second, against 33-47 at
  // 200 in the same runs), and 60 s moved the servers' first major collection into the
  // first step instead (docs/cluster.md, "Medians of alternated runs").
  if (first && caps.size > 0) await sleep(UNCAPPED_WARM_UP_MS);
  for (const cap of caps.values()) cap.restore();
  await sleep(first && caps.size > 0 ? 2 * WARM_UP_MS : WARM_UP_MS);
}

/** Measures one step's window (its jobs already firing) and prints its line; true if held. */
export async function measureStep(bench: Bench, jobs: number): Promise<boolean> {
  const { cluster, ownDb, meter, caps, jobIds, idleMsPerSecond, seconds } = bench;
  const from = Math.ceil(Date.now() / 1000) * 1000;
  const zkBefore = await zkTransactions(cluster);
  const cpuBefore = await meter.sample();
  const throttledBefore = throttling(caps);
  const statementsBefore = await statementCounts(ownDb);
  const latenciesBefore = await serverReadings(cluster);
  const kindsDb = bench.statementKinds ? ownDb : undefined;
  await statementLog(kindsDb, true);
  const zkFrom = Date.now();
  // The window on the monotonic clock that CPU profiles use (µs), to cut them to it.
  const monotonicFrom = process.hrtime.bigint() / 1000n;
  const machineBusy = new MachineBusy();
  await sleep(seconds * 1000);
  const machine = machineBusy.stop();
  const zkWrites = (await zkTransactions(cluster)) - zkBefore;
  const zkSeconds = (Date.now() - zkFrom) / 1000;
  progress(`window (monotonic µs): ${monotonicFrom} ${process.hrtime.bigint() / 1000n}`);
  const cpu = cpuSpent(cpuBefore, await meter.sample());
  const throttled = throttledOver(throttledBefore, throttling(caps), zkSeconds);
  const statements = cpuSpent(statementsBefore, await statementCounts(ownDb));
  const latenciesAfter = await serverReadings(cluster);
  const latencies = Object.fromEntries(
    [...latenciesAfter].map(([id, after]) => [
      id,
      windowReading(latenciesBefore.get(id) ?? after, after),
    ]),
  );
  await statementLog(kindsDb, false);
  const kinds = await statementKinds(kindsDb, jobs * seconds);
  // Per fire of the window: CPU ms of each process, statements of each kind.
  const perFire = (spent: Record<string, number>): Record<string, number> =>
    Object.fromEntries(
      Object.entries(spent).map(([k, v]) => [k, Math.round((v / (jobs * seconds)) * 1000) / 1000]),
    );
  const aboveIdle = perFire(
    Object.fromEntries(
      Object.entries(cpu).map(([k, v]) => [k, v - (idleMsPerSecond[k] ?? 0) * seconds]),
    ),
  );
  const serversSum = (perProcess: Record<string, number>): number =>
    Math.round(cluster.servers.reduce((sum, s) => sum + (perProcess[s.id] ?? 0), 0) * 1000) / 1000;
  const until = from + (seconds - 1) * 1000;
  const takeovers = Object.fromEntries(
    cluster.servers.map((s) => [s.id, logEvents(s.process.output(), from, from + seconds * 1000)]),
  );
  // Fires due at the window's end get a few seconds to start before the count.
  await sleep(3_000);
  const step = await windowFromLedger(cluster, jobIds, from, until);
  const recorded = await windowFromDatabase(cluster.dbUrl, from, until);
  const held = step.lateP99Ms < P99_LIMIT_MS && step.ranPct >= RAN_LIMIT * 100;
  console.log(
    JSON.stringify({
      ...bench.head,
      jobs,
      ...step,
      ...recorded,
      zkWritesPerSecond: Math.round((zkWrites / zkSeconds) * 10) / 10,
      cpuMsPerFire: perFire(cpu),
      serversCpuMsPerFire: serversSum(perFire(cpu)),
      cpuMsPerFireAboveIdle: aboveIdle,
      serversCpuMsPerFireAboveIdle: serversSum(aboveIdle),
      ...(ownDb === undefined ? {} : { statementsPerFire: perFire(statements) }),
      ...(kinds === undefined ? {} : { statementKindsPerFire: kinds }),
      ...(caps.size === 0 ? {} : { throttled }),
      takeovers,
      latencies,
      machine,
      held,
    }),
  );
  return held;
}
