// Insert/claim rates of the store on MariaDB and SQLite. Prints one JSON line per measurement:
//   {"bench":"store-claims","db":"mariadb","case":"claim-batch-100","rows":N,"rowsPerSec":x,
//    "duplicates":0,"missing":0,"rounds":3,"load1":0.4}
// rowsPerSec is the median of the rounds. Cases:
//   claim-batch-B       one claimer, claimFires with B fires per call, one call at a time
//   race-batch-B        two store instances (two pools / two SQLite handles) claim the same
//                       fires at once, B per call, each with its own ids; rows = fires decided.
//                       duplicates = fires both won (must be 0), missing = fires neither won
//   transition-serial   fenced claimed → dispatched transitions, one at a time
//   transition-parallel the same with 16 in flight
//   transition-batch-100 the same through transitionMany, 100 changes a call, one call at a
//                       time (what the server's execution writer does)
// Usage: npm run bench:store -- [--db mariadb|sqlite|all] [--rounds 3]
//        [--mysql-url mysql://root@127.0.0.1:3306/]
// Each run uses its own database: carillon_bench_<random> on MariaDB (dropped after), a temp
// directory for SQLite (removed after).
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ExecutionCause, ExecutionState, newExecutionId } from '@carillon/core';
import type { FireClaim, Job } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { onEachBenchDatabase } from './bench-databases.js';
import type { BenchDatabase } from './bench-databases.js';
import { median } from './median.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'all' },
    rounds: { type: 'string', default: '3' },
    'mysql-url': { type: 'string', default: 'mysql://root@127.0.0.1:3306/' },
  },
});
const ROUNDS = Math.max(1, Number(args.rounds));
const T0 = Date.UTC(2026, 0, 1);
const JOBS = 100;

function report(
  db: string,
  name: string,
  rows: number,
  rates: readonly number[],
  extra: object,
): void {
  const line = {
    bench: 'store-claims',
    db,
    case: name,
    rows,
    rowsPerSec: Math.round(median(rates)),
    duplicates: 0,
    missing: 0,
    ...extra,
    rounds: rates.length,
    // The figures shift with whatever else runs on the machine: say how busy it was.
    load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Hands out fresh (job, instant) pairs, so that every round claims fires nobody claimed before. */
let nextSlot = 0;
interface Fire {
  readonly jobId: number;
  readonly groupId: string;
  readonly at: number;
}
function fires(jobs: readonly Job[], count: number): Fire[] {
  const first = nextSlot;
  nextSlot += count;
  return Array.from({ length: count }, (_, i) => {
    const k = first + i;
    const job = jobs[k % jobs.length] as Job;
    return { jobId: job.id, groupId: job.groupId, at: T0 + Math.floor(k / jobs.length) * 1000 };
  });
}

function claimsFor(list: readonly Fire[]): FireClaim[] {
  return list.map((f) => ({
    id: newExecutionId(f.at),
    jobId: f.jobId,
    groupId: f.groupId,
    scheduledAt: f.at,
    cause: ExecutionCause.Schedule,
    param: null,
  }));
}

function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function claimBatches(
  stores: SqlStores,
  serverId: string,
  claims: readonly FireClaim[],
  size: number,
): Promise<Set<string>> {
  const won = new Set<string>();
  for (const batch of batchesOf(claims, size)) {
    for (const id of await stores.executions.claimFires(serverId, batch, T0)) won.add(id);
  }
  return won;
}

async function benchClaims(label: string, a: SqlStores, jobs: readonly Job[]): Promise<void> {
  for (const [size, total] of [
    [1, 500],
    [10, 2000],
    [100, 10_000],
    [1000, 20_000],
  ] as const) {
    const rates: number[] = [];
    let missing = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const claims = claimsFor(fires(jobs, total));
      const start = performance.now();
      const won = await claimBatches(a, 'bench-a', claims, size);
      rates.push(total / ((performance.now() - start) / 1000));
      missing += total - won.size;
    }
    report(label, `claim-batch-${size}`, total, rates, { missing });
  }
}

async function benchRace(
  label: string,
  a: SqlStores,
  b: SqlStores,
  jobs: readonly Job[],
): Promise<void> {
  for (const [size, total] of [
    [10, 2000],
    [100, 10_000],
    [1000, 20_000],
  ] as const) {
    const rates: number[] = [];
    let duplicates = 0;
    let missing = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const list = fires(jobs, total);
      // The same fires, each claimer with its own ids, as two holders of the jobs would.
      const mine = claimsFor(list);
      const theirs = claimsFor(list);
      const start = performance.now();
      const [wonA, wonB] = await Promise.all([
        claimBatches(a, 'bench-a', mine, size),
        claimBatches(b, 'bench-b', theirs, size),
      ]);
      rates.push(total / ((performance.now() - start) / 1000));
      for (let i = 0; i < total; i++) {
        const winners =
          (wonA.has(mine[i]?.id ?? '') ? 1 : 0) + (wonB.has(theirs[i]?.id ?? '') ? 1 : 0);
        if (winners > 1) duplicates++;
        if (winners === 0) missing++;
      }
    }
    report(label, `race-batch-${size}`, total, rates, { duplicates, missing });
  }
}

async function benchTransitions(label: string, a: SqlStores, jobs: readonly Job[]): Promise<void> {
  for (const [name, inFlight, total] of [
    ['transition-serial', 1, 500],
    ['transition-parallel', 16, 2000],
  ] as const) {
    const rates: number[] = [];
    let missing = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const claims = claimsFor(fires(jobs, total));
      await claimBatches(a, 'bench-a', claims, 500);
      let next = 0;
      let applied = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < claims.length; i = next++) {
          const fence = {
            id: claims[i]?.id ?? '',
            from: [ExecutionState.Claimed],
            ownerServerId: 'bench-a',
            attempt: 1,
          };
          if (await a.executions.transition(fence, ExecutionState.Dispatched, { dispatchedAt: T0 }))
            applied++;
        }
      };
      const start = performance.now();
      await Promise.all(Array.from({ length: inFlight }, worker));
      rates.push(total / ((performance.now() - start) / 1000));
      missing += total - applied;
    }
    report(label, name, total, rates, { missing, inFlight });
  }
  const total = 2000;
  const rates: number[] = [];
  let missing = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const claims = claimsFor(fires(jobs, total));
    await claimBatches(a, 'bench-a', claims, 500);
    let applied = 0;
    const start = performance.now();
    for (let i = 0; i < claims.length; i += 100) {
      const changes = claims.slice(i, i + 100).map((claim) => ({
        fence: {
          id: claim.id,
          from: [ExecutionState.Claimed],
          ownerServerId: 'bench-a',
          attempt: 1,
        },
        state: ExecutionState.Dispatched,
        patch: { dispatchedAt: T0, clientId: `client-${i % 7}` },
      }));
      applied += (await a.executions.transitionMany(changes)).filter(Boolean).length;
    }
    rates.push(total / ((performance.now() - start) / 1000));
    missing += total - applied;
  }
  report(label, 'transition-batch-100', total, rates, { missing, inFlight: 1 });
}

async function run(database: BenchDatabase): Promise<void> {
  const a = await openStores({ url: database.url, poolSize: 16 });
  const b = await openStores({ url: database.url, poolSize: 16, migrate: false });
  try {
    const group = await a.groups.create(
      { cluster: 1, serverGroup: 1, backups: 2, name: 'bench' },
      T0,
    );
    const jobs: Job[] = [];
    for (let i = 0; i < JOBS; i++) {
      jobs.push(
        await a.jobs.create(
          {
            groupId: group.id,
            name: `bench ${i}`,
            description: '',
            trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
            handler: 'bench',
            kind: 'simple',
            param: null,
            routing: 'least_loaded',
            overlap: 'allow',
            misfire: 'skip',
            timeoutMs: 0,
            maxRetries: 0,
          },
          ['bench-a', 'bench-b'],
          T0,
        ),
      );
    }
    await benchClaims(database.label, a, jobs);
    await benchRace(database.label, a, b, jobs);
    await benchTransitions(database.label, a, jobs);
  } finally {
    await b.close();
    await a.close();
  }
}

await onEachBenchDatabase(args.db, args['mysql-url'], run);
