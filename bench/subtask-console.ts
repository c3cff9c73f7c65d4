// What the console's subtask reads cost on one large parallel execution, over HTTP, on MariaDB
// and SQLite. The execution page asks for the detail (with subtaskProgress) and one page of
// subtasks every second while the execution runs, so these are its per-viewer costs.
// Prints one JSON line per case:
//   {"bench":"subtask-console","db":"sqlite","case":"detail","subtasks":100000,"calls":40,
//    "medianMs":x,"p95Ms":y,"load1":0.4}
// Cases:
//   detail              GET /executions/{id} (one job read and one grouped count of subtasks)
//   page-first          GET /executions/{id}/subtasks (100 from the start)
//   page-deep           the same with after = 90% of the subtasks
//   page-1000           limit=1000 from the start
//   page-pending        state=pending (most subtasks), 100 from the middle
//   page-failed         state=failed (1% of the subtasks, spread), 100 from the start
// Usage: npm run bench:subtask-console -- [--db mariadb|sqlite|all] [--subtasks 100000]
//        [--calls 40] [--mysql-url mysql://root@127.0.0.1:3306/]
// Each run uses its own database: carillon_bench_<random> on MariaDB (dropped after), a temp
// directory for SQLite (removed after).
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { InProcessCoordinator } from '@carillon/coordination';
import { createConsole, ensureAdmin } from '@carillon/console';
import { openStores } from '@carillon/storage';
import { onEachBenchDatabase } from './bench-databases.js';
import type { BenchDatabase } from './bench-databases.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'all' },
    subtasks: { type: 'string', default: '100000' },
    calls: { type: 'string', default: '40' },
    'mysql-url': { type: 'string', default: 'mysql://root@127.0.0.1:3306/' },
  },
});
const SUBTASKS = Math.max(1000, Number(args.subtasks));
const CALLS = Math.max(5, Number(args.calls));
const PASSWORD = 'bench-password-1';
const SERVER = 'bench-server';

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

async function run(db: BenchDatabase): Promise<void> {
  const stores = await openStores({ url: db.url });
  const coordinator = new InProcessCoordinator();
  await coordinator.start();
  await ensureAdmin(stores, 'admin', PASSWORD);
  const app = await createConsole({ stores, coordinator, cluster: 101, serverGroups: [1] });
  const url = await app.listen();
  try {
    const call = async <T>(method: string, path: string, body?: unknown, token?: string) => {
      const answer = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!answer.ok) throw new Error(`${path}: ${answer.status} ${await answer.text()}`);
      return (await answer.json()) as T;
    };
    const { token } = await call<{ token: string }>('POST', '/auth/login', {
      username: 'admin',
      password: PASSWORD,
    });
    const groupId = (await call<{ id: string }>('POST', '/groups', { name: 'bench' }, token)).id;
    const job = await call<{ id: number; version: number }>(
      'POST',
      '/jobs',
      { groupId, name: 'fan-out', trigger: { type: 'api' }, handler: 'fan' },
      token,
    );
    await stores.jobs.update(job.id, job.version, { kind: 'parallel' }, Date.now());
    const { executionId } = await call<{ executionId: string }>(
      'POST',
      `/jobs/${job.id}/trigger`,
      {},
      token,
    );
    await stores.executions.takeUnowned(SERVER, [job.id]);
    const seeded = performance.now();
    const failing: string[] = [];
    for (let start = 0; start < SUBTASKS; start += 5000) {
      const batch = Array.from({ length: Math.min(5000, SUBTASKS - start) }, (_, i) => ({
        id: randomUUID(),
        payload: `item-${start + i + 1}`,
      }));
      const made = await stores.subtasks.insertBatch(executionId, batch, Date.now());
      for (const s of made) if (s.seq % 100 === 0) failing.push(s.id);
    }
    for (const id of failing) {
      await stores.subtasks.transition(
        { id, from: ['pending'], ownerServerId: SERVER, attempt: 1 },
        'failed',
        { finishedAt: Date.now(), reason: 'bench' },
      );
    }
    process.stderr.write(
      `${db.label}: seeded ${SUBTASKS} subtasks in ${Math.round(performance.now() - seeded)} ms\n`,
    );
    const cases: [string, string][] = [
      ['detail', `/executions/${executionId}`],
      ['page-first', `/executions/${executionId}/subtasks`],
      ['page-deep', `/executions/${executionId}/subtasks?after=${Math.floor(SUBTASKS * 0.9)}`],
      ['page-1000', `/executions/${executionId}/subtasks?limit=1000`],
      [
        'page-pending',
        `/executions/${executionId}/subtasks?state=pending&after=${Math.floor(SUBTASKS / 2)}`,
      ],
      ['page-failed', `/executions/${executionId}/subtasks?state=failed`],
    ];
    for (const [name, path] of cases) {
      await call('GET', path, undefined, token);
      const times: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const started = performance.now();
        await call('GET', path, undefined, token);
        times.push(performance.now() - started);
      }
      const line = {
        bench: 'subtask-console',
        db: db.label,
        case: name,
        subtasks: SUBTASKS,
        calls: CALLS,
        medianMs: Math.round(percentile(times, 0.5) * 10) / 10,
        p95Ms: Math.round(percentile(times, 0.95) * 10) / 10,
        // The figures shift with whatever else runs on the machine: say how busy it was.
        load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  } finally {
    await app.close();
    await coordinator.stop();
    await stores.close();
  }
}

await onEachBenchDatabase(args.db, args['mysql-url'], run);
