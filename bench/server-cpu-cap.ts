// One small machine per server, emulated: a CPU cgroup per server process capped at a number of
// cores (`--server-cpu` of bench/cluster-throughput.ts). Horizontal scaling is about servers on
// machines of their own; on one shared machine three servers, MariaDB, ZooKeeper and the clients
// all take from the same cores, so three servers cannot outrun one whatever the cluster does
// (docs/cluster.md). With each server capped well below the machine, a server is the
// bottleneck and the rest of the machine (MariaDB, clients, ZooKeeper) has room, as it would
// with one machine per server; the other processes stay uncapped.
//
// cgroup v1 (the `cpu` controller mounted on its own, e.g. /sys/fs/cgroup/cpu: cpu.cfs_period_us,
// cpu.cfs_quota_us, cgroup.procs) or v2 (a unified hierarchy whose root offers `cpu`: cpu.max).
// Needs root. The period is short (10 ms, quota = cores × period), so a server that used up its
// share waits milliseconds, not the default 100 ms period's tens of milliseconds. The kernel
// refuses a quota under 1 ms, so below 0.1 cores the period grows instead (0.06 cores: 1 ms
// every 16.7 ms). Until December 2026 (stop 18) the quota was raised to 1 ms in a 10 ms
// period: every run at `--server-cpu 0.06` was capped at 0.1 cores.
// Every cgroup is named carillon-bench-<bench pid>-<server>; `remove()` moves what is left in it
// back to the root and deletes it, an exit of the bench (even by a signal or a throw) does the
// same synchronously, and `createCpuCap` first removes the cgroups of benches that are gone.
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const PERIOD_US = 10_000;
/** The smallest quota the kernel takes (cpu.cfs_quota_us, cpu.max). */
const MIN_QUOTA_US = 1_000;
const PREFIX = 'carillon-bench-';

/** The throttling counters of a cap so far (the kernel's `cpu.stat`). */
export interface Throttling {
  /** Periods in which the group ran. */
  readonly periods: number;
  /** Periods in which it used up its quota and was stopped until the next. */
  readonly throttled: number;
  /** Time its processes waited, stopped, in ms. */
  readonly throttledMs: number;
}

/** Which cgroup hierarchy holds the `cpu` controller, and where. */
interface Hierarchy {
  readonly version: 1 | 2;
  readonly root: string;
}

/** A cgroup capping the processes put in it at `cores` CPUs. */
export interface CpuCap {
  readonly cores: number;
  readonly path: string;
  /** Moves process `pid` (all its threads) into the cgroup. */
  add(pid: number): void;
  throttling(): Throttling;
  /** Lifts the cap (no quota) until {@link restore}. */
  lift(): void;
  /** Caps the cgroup again at `cores`. */
  restore(): void;
  /** Moves what is left in the cgroup back to the root, then deletes it. */
  remove(): void;
}

const live = new Set<CpuCap>();
let exitHooked = false;

function findHierarchy(): Hierarchy {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '));
  for (const [, dir, type, options] of mounts)
    if (
      type === 'cgroup' &&
      dir !== undefined &&
      options?.split(',').includes('cpu') === true &&
      existsSync(join(dir, 'cpu.cfs_quota_us'))
    )
      return { version: 1, root: dir };
  for (const [, dir, type] of mounts)
    if (type === 'cgroup2' && dir !== undefined) {
      const controllers = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').split(/\s+/);
      if (controllers.includes('cpu')) return { version: 2, root: dir };
    }
  throw new Error(
    '--server-cpu needs a CPU cgroup: a cgroup v1 hierarchy with the cpu controller ' +
      '(cpu.cfs_quota_us, e.g. /sys/fs/cgroup/cpu) or a cgroup v2 hierarchy whose ' +
      'cgroup.controllers lists cpu; neither is mounted here (see /proc/self/mounts)',
  );
}

/** Deletes the cgroups left by benches that are no longer running (a SIGKILLed bench). */
function removeStale(hierarchy: Hierarchy): void {
  for (const name of readdirSync(hierarchy.root)) {
    const pid = /^carillon-bench-(\d+)-/.exec(name)?.[1];
    if (pid === undefined || existsSync(`/proc/${pid}`)) continue;
    release(hierarchy, join(hierarchy.root, name));
  }
}

/** Moves every process of cgroup `path` to the root and deletes it; quiet when already gone. */
function release(hierarchy: Hierarchy, path: string): void {
  try {
    const pids = readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    for (const pid of pids) {
      try {
        writeFileSync(join(hierarchy.root, 'cgroup.procs'), pid);
      } catch {
        // Gone meanwhile.
      }
    }
    rmdirSync(path);
  } catch {
    // Already removed, or never made.
  }
}

/**
 * A cgroup named for this bench and `name` (e.g. a server id), capped at `cores` CPUs (> 0).
 * Throws, naming what is missing, where no CPU cgroup can be made.
 */
export function createCpuCap(name: string, cores: number): CpuCap {
  if (!(cores > 0)) throw new Error(`--server-cpu must be a number of cores above 0: ${cores}`);
  const hierarchy = findHierarchy();
  removeStale(hierarchy);
  const path = join(hierarchy.root, `${PREFIX}${process.pid}-${name}`);
  // A longer period, not a larger quota, where cores × 10 ms is under the kernel's minimum.
  const periodUs = Math.max(PERIOD_US, Math.ceil(MIN_QUOTA_US / cores));
  const quotaUs = Math.round(cores * periodUs);
  if (periodUs > 1_000_000) throw new Error(`--server-cpu is below 0.001 cores: ${cores}`);
  /** Writes the quota (µs a period), or none (-1). */
  const setQuota = (quota: number): void => {
    if (hierarchy.version === 1) {
      writeFileSync(join(path, 'cpu.cfs_period_us'), String(periodUs));
      writeFileSync(join(path, 'cpu.cfs_quota_us'), String(quota));
    } else {
      writeFileSync(join(path, 'cpu.max'), `${quota < 0 ? 'max' : quota} ${periodUs}`);
    }
  };
  try {
    if (hierarchy.version === 2) {
      // The root hands the cpu controller to its children (a no-op when it already does).
      writeFileSync(join(hierarchy.root, 'cgroup.subtree_control'), '+cpu');
    }
    mkdirSync(path);
    setQuota(quotaUs);
  } catch (error) {
    release(hierarchy, path);
    throw new Error(
      `--server-cpu: cannot make a capped cgroup at ${path} (cgroup v${hierarchy.version}; root ` +
        `needed): ${(error as Error).message}`,
    );
  }
  const cap: CpuCap = {
    cores,
    path,
    add(pid) {
      writeFileSync(join(path, 'cgroup.procs'), String(pid));
    },
    throttling() {
      const stat = new Map(
        readFileSync(join(path, 'cpu.stat'), 'utf8')
          .split('\n')
          .map((line) => line.split(' '))
          .map(([k = '', v = '0']) => [k, Number(v)]),
      );
      return {
        periods: stat.get('nr_periods') ?? 0,
        throttled: stat.get('nr_throttled') ?? 0,
        throttledMs:
          hierarchy.version === 1
            ? (stat.get('throttled_time') ?? 0) / 1e6 // ns
            : (stat.get('throttled_usec') ?? 0) / 1e3,
      };
    },
    lift() {
      setQuota(-1);
    },
    restore() {
      setQuota(quotaUs);
    },
    remove() {
      live.delete(cap);
      release(hierarchy, path);
    },
  };
  live.add(cap);
  if (!exitHooked) {
    exitHooked = true;
    // Synchronous, so it runs on any exit; signals become exits so that it runs on them too.
    process.on('exit', () => {
      for (const c of [...live]) c.remove();
    });
    const codes = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
    for (const [signal, code] of Object.entries(codes))
      process.once(signal, () => process.exit(code));
  }
  return cap;
}

/** Throttling between two readings, over `seconds`: share of periods throttled, ms/s stopped. */
export function throttledSince(
  before: Throttling,
  after: Throttling,
  seconds: number,
): { throttledPct: number; throttledMsPerSecond: number } {
  const periods = after.periods - before.periods;
  return {
    throttledPct:
      periods === 0 ? 0 : Math.round(((after.throttled - before.throttled) / periods) * 1000) / 10,
    throttledMsPerSecond:
      Math.round(((after.throttledMs - before.throttledMs) / seconds) * 10) / 10,
  };
}
