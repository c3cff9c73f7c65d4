// What a fan-out's subtasks cost the store, per database: insertBatch, then the two fenced
// changes of every subtask through transitionMany (pending → dispatched on one of 4 clients,
// dispatched → succeeded with a result), in batches of 500 as the server's writer makes them,
// one batch at a time. Prints one JSON line per database and step:
//   {"bench":"subtask-writes","db":"mariadb","step":"dispatch","rows":N,"batch":500,
//    "wallUsPerRow":x,"cpuUsPerRow":{"bench":y,"mariadbd":z,"mariadbdConnections":w},"load1":0.4}
// wallUsPerRow is the median over the batches; cpuUsPerRow is over the whole step, from /proc:
// this process (which builds the statements and, on SQLite, runs them), mariadbd (the whole
// service, shared with whatever else uses it) and its threads serving this bench's connections.
// Usage: node --conditions=source --import tsx bench/subtask-writes.ts [--db sqlite|mariadb|all]
//        [--subtasks 20000]
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ExecutionCause, newExecutionId } from '@carillon/core';
import type { NewSubtask, SubtaskChange } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { testDatabases } from '@carillon/testkit';
import { CpuMeter, MysqlCpuMeter, cpuSpent } from './process-cpu.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'all' },
    subtasks: { type: 'string', default: '20000' },
  },
});
const N = Number(args.subtasks);
const BATCH = 500;
const T0 = Date.UTC(2026, 0, 1);
const OWNER = 'bench-server';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Runs `work` over `items` in batches; prints the step's line. */
async function step<T>(
  label: string,
  name: string,
  meter: CpuMeter,
  database: MysqlCpuMeter | undefined,
  items: readonly T[],
  batch: number,
  work: (some: T[]) => Promise<void>,
): Promise<void> {
  const perRow: number[] = [];
  const before = await meter.sample();
  const databaseBefore = await database?.sample();
  for (let i = 0; i < items.length; i += batch) {
    const some = items.slice(i, i + batch);
    const start = performance.now();
    await work(some);
    perRow.push(((performance.now() - start) * 1000) / some.length);
  }
  const cpu = cpuSpent(before, await meter.sample());
  const databaseCpu =
    databaseBefore === undefined ? undefined : await database?.spent(databaseBefore);
  const us = (ms: number | undefined): number =>
    Math.round(((ms ?? 0) * 10_000) / items.length) / 10;
  const line = {
    bench: 'subtask-writes',
    db: label,
    step: name,
    rows: items.length,
    batch,
    wallUsPerRow: Math.round(median(perRow) * 10) / 10,
    cpuUsPerRow: {
      bench: us(cpu['bench']),
      ...(databaseCpu === undefined
        ? {}
        : { mariadbd: us(databaseCpu.all), mariadbdConnections: us(databaseCpu.connections) }),
    },
    load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function run(label: string, url: string, stores: SqlStores): Promise<void> {
  const group = await stores.groups.create(
    { cluster: 1, serverGroup: 1, backups: 2, name: 'bench' },
    T0,
  );
  const job = await stores.jobs.create(
    {
      groupId: group.id,
      name: 'bench',
      description: '',
      trigger: { type: 'api' },
      handler: 'bench',
      kind: 'parallel',
      param: null,
      routing: 'least_loaded',
      overlap: 'allow',
      misfire: 'skip',
      timeoutMs: 0,
      maxRetries: 0,
    },
    [OWNER],
    T0,
  );
  const executionId = newExecutionId(T0);
  await stores.executions.claimFires(
    OWNER,
    [
      {
        id: executionId,
        jobId: job.id,
        groupId: group.id,
        scheduledAt: T0,
        cause: ExecutionCause.Manual,
        param: null,
      },
    ],
    T0,
  );
  const meter = new CpuMeter();
  const database = label === 'mariadb' ? await MysqlCpuMeter.create(url) : undefined;
  const subtasks: NewSubtask[] = Array.from({ length: N }, (_, i) => ({
    id: newExecutionId(T0 + i),
    payload: `"item-${i}"`,
  }));
  await step(label, 'insert', meter, database, subtasks, 1000, async (some) => {
    await stores.subtasks.insertBatch(executionId, some, T0);
  });
  const changes = async (some: SubtaskChange[]): Promise<void> => {
    const applied = await stores.subtasks.transitionMany(some);
    if (!applied.every(Boolean)) throw new Error('a change did not apply');
  };
  const fence = (id: string, from: 'pending' | 'dispatched') => ({
    id,
    from: [from],
    ownerServerId: OWNER,
    attempt: 1,
  });
  await step(
    label,
    'dispatch',
    meter,
    database,
    subtasks.map((s, i): SubtaskChange => ({
      fence: fence(s.id, 'pending'),
      state: 'dispatched',
      patch: { clientId: `fan-${(i % 4) + 1}`, dispatchedAt: T0 + 1 },
    })),
    BATCH,
    changes,
  );
  await step(
    label,
    'succeed',
    meter,
    database,
    subtasks.map((s, i): SubtaskChange => ({
      fence: fence(s.id, 'dispatched'),
      state: 'succeeded',
      patch: { result: '"ok"', reason: null, finishedAt: T0 + 2 + i },
    })),
    BATCH,
    changes,
  );
}

for (const database of testDatabases()) {
  if (args.db !== 'all' && args.db !== database.label) continue;
  const url = await database.create();
  const stores = await openStores({ url });
  try {
    await run(database.label, url, stores);
  } finally {
    await stores.close();
    await database.drop();
  }
}
