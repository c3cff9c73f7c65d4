// What standing by costs (issue 7): the CPU a server spends per fire of jobs it holds only as a
// standby, apart from everything else. One CarillonServer (`sb`) runs in this process on MariaDB
// with an in-process coordinator; every job fires every second and has holders [ghost, sb];
// `ghost` is a live member with no process: MariaDB itself writes its rows (one statement a
// second, whatever the number of jobs), already `succeeded`, 1.5 s ahead of each instant, as a
// live preferred holder's rows are by the time a standby looks. So `sb` does what a standby does
// per fire (its schedule, its watch, its reads) and nothing a preferred holder does, and no other
// process's CPU is mixed in. CPU time (process.cpuUsage: user + system, every thread), not wall
// time: it depends far less on how loaded the machine is. Each round runs every --jobs count
// (0 gives the fixed cost: heartbeat, polls, timers); the cost per standby fire is
// (cpu(N) - cpu(0)) / N per second, from the medians. Prints one JSON line per count and round,
// then one per count:
//   {"bench":"standby-cost","jobs":400,"round":1,"cpuMsPerSecond":..,"firesChecked":..,
//    "standbyClaimed":0,"load1":..}
//   {"bench":"standby-cost","summary":true,"jobs":400,"cpuMsPerSecondP50":..,
//    "usPerStandbyFireP50":..}
// `firesChecked`: fires the standby watch had looked up by its last log line (it logs every
// ~10 s), to show it worked; `standbyClaimed` must be 0: it found every row and claimed none.
// Usage: node --conditions=source --import tsx bench/standby-cost.ts [--jobs 0,200,400]
//   [--seconds 10] [--rounds 3] [--liveness-ms 100] [--mysql-url mysql://root@127.0.0.1:3306/]
// --liveness-ms sets the server's heartbeat interval (livenessWriteMs, default 100): a huge
// value (100000) leaves the heartbeat out, to see its share of the fixed cost.
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { InProcessCoordinator, InProcessHub } from '@carillon/coordination';
import type { Job, Logger } from '@carillon/core';
import { CarillonServer } from '@carillon/server';
import { openStores } from '@carillon/storage';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '0,200,400' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    'liveness-ms': { type: 'string' },
    'mysql-url': { type: 'string', default: 'mysql://root@127.0.0.1:3306/' },
  },
});
const COUNTS = args.jobs.split(',').map(Number);
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const WARM_UP_MS = 4_000;
const CLUSTER = 101;
const SERVER_GROUP = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A logger that keeps only the standby watch's count of fires looked up. */
function countingLogger(counts: { firesChecked: number }): Logger {
  const logger: Logger = {
    child: () => logger,
    debug: () => undefined,
    info: (fields, message) => {
      if (message === 'standby watch')
        counts.firesChecked = (fields as { fires?: number }).fires ?? 0;
    },
    warn: () => undefined,
    error: () => undefined,
  };
  return logger;
}

/**
 * The preferred holder `ghost`, played by MariaDB: every second, 1.5 s ahead of the next
 * instant, one statement writes that instant's row for every job, already `succeeded`. One
 * statement whatever the number of jobs, so this process's CPU does not grow with it.
 */
function ghostFires(admin: Connection, database: string): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    if (stopped) return;
    const at = Math.ceil((Date.now() + 1_500) / 1000) * 1000;
    timer = setTimeout(
      () => {
        void admin
          .query(
            `INSERT IGNORE INTO ${database}.executions (id, job_id, group_id, scheduled_at,
             scheduled_fire, cause, state, owner_server_id, attempt, created_at, dispatched_at,
             started_at, finished_at)
           SELECT CONCAT('ghost-', ?, '-', id), id, group_id, ?, ?, 'schedule', 'succeeded',
             'ghost', 1, ?, ?, ?, ? FROM ${database}.jobs`,
            [at, at, at, at - 1000, at - 300, at, at],
          )
          // A missing row shows as the standby claiming it (`standbyClaimed` > 0).
          .catch((error: unknown) =>
            process.stderr.write(`ghost rows not written: ${String(error)}\n`),
          )
          .finally(next);
      },
      Math.max(0, at - 1_500 - Date.now()),
    );
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

async function once(count: number, round: number): Promise<number> {
  const serverUrl = args['mysql-url'];
  const database = `carillon_bench_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: serverUrl });
  await admin.query(`CREATE DATABASE ${database}`);
  const stores = await openStores({ url: new URL(database, serverUrl).toString() });
  const hub = new InProcessHub();
  const ghost = new InProcessCoordinator(hub);
  const coordinator = new InProcessCoordinator(hub);
  let server: CarillonServer | undefined;
  let stopGhost = (): void => undefined;
  try {
    const now = Date.now();
    const group = await stores.groups.create(
      { cluster: CLUSTER, serverGroup: SERVER_GROUP, backups: 2, name: 'standby-cost' },
      now,
    );
    const jobs: Job[] = [];
    for (let i = 0; i < count; i++)
      jobs.push(
        await stores.jobs.create(
          {
            groupId: group.id,
            name: `every second ${i}`,
            description: '',
            trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
            handler: 'echo',
            kind: 'simple',
            param: null,
            routing: 'least_loaded',
            overlap: 'allow',
            misfire: 'skip',
            timeoutMs: 0,
            maxRetries: 0,
          },
          ['ghost', 'sb'],
          now,
        ),
      );
    stopGhost = ghostFires(admin, database);
    await sleep(2_000);
    await ghost.start();
    await ghost.registerServer({
      serverId: 'ghost',
      cluster: CLUSTER,
      serverGroup: SERVER_GROUP,
      room: 'a',
      rpcAddress: '127.0.0.1:1',
    });
    await coordinator.start();
    const counts = { firesChecked: 0 };
    server = await CarillonServer.create({
      serverId: 'sb',
      cluster: CLUSTER,
      serverGroup: SERVER_GROUP,
      room: 'b',
      stores,
      coordinator,
      logger: countingLogger(counts),
      ...(args['liveness-ms'] === undefined
        ? {}
        : { livenessWriteMs: Number(args['liveness-ms']) }),
    });
    await server.start();
    await sleep(WARM_UP_MS);
    const before = process.cpuUsage();
    const monotonicFrom = process.hrtime.bigint() / 1000n;
    await sleep(SECONDS * 1000);
    const spent = process.cpuUsage(before);
    // The window on the monotonic clock that CPU profiles use (µs), to cut them to it.
    if (process.env['CARILLON_BENCH_VERBOSE'] !== undefined)
      process.stderr.write(
        `window (monotonic µs): ${monotonicFrom} ${process.hrtime.bigint() / 1000n}\n`,
      );
    const cpuMsPerSecond = Math.round((spent.user + spent.system) / 10 / SECONDS) / 100;
    await server.stop();
    server = undefined;
    const [owned] = await admin.query(
      `SELECT COUNT(*) AS n FROM ${database}.executions WHERE owner_server_id = 'sb'`,
    );
    console.log(
      JSON.stringify({
        bench: 'standby-cost',
        jobs: count,
        round,
        cpuMsPerSecond,
        firesChecked: counts.firesChecked,
        standbyClaimed: Number((owned as { n: number }[])[0]?.n ?? 0),
        load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      }),
    );
    return cpuMsPerSecond;
  } finally {
    await server?.stop();
    stopGhost();
    await coordinator.stop();
    await ghost.stop();
    await stores.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const results = new Map<number, number[]>(COUNTS.map((c) => [c, []]));
for (let round = 1; round <= ROUNDS; round++)
  for (const count of COUNTS) results.get(count)?.push(await once(count, round));
const idle = median(results.get(0) ?? []);
for (const [count, cpu] of results) {
  const p50 = median(cpu);
  console.log(
    JSON.stringify({
      bench: 'standby-cost',
      summary: true,
      jobs: count,
      cpuMsPerSecondP50: p50,
      ...(count === 0 || !results.has(0)
        ? {}
        : { usPerStandbyFireP50: Math.round(((p50 - idle) / count) * 1000 * 10) / 10 }),
    }),
  );
}
