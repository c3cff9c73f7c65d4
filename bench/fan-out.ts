// Fan-out benchmark: one parallel execution of N subtasks with a no-op `process`, over C client
// processes (the real SDK, real gRPC), a server and console in this process on a fresh SQLite
// (default) or MariaDB database. Samples the subtasks' counts by state every 100 ms and prints
// one JSON line:
// {"bench":"fan-out","db":..,"subtasks":N,"clients":C,"concurrency":K,
//  "persistedPerS":..,"dispatchedPerS":..,"completedPerS":..,"totalMs":..,"state":..}
// persistedPerS: subtasks stored / time from the first stored to the last; dispatchedPerS:
// subtasks past pending / time from the first to the last; completedPerS: subtasks succeeded /
// time from the first to the last; totalMs: from the trigger to the execution's end;
// cpuUsPerSubtask: CPU (user + system, from /proc) from the trigger to the end, per subtask, of
// this process (server, console and the sampling), of the client processes together, and on
// MariaDB of mariadbd: `mariadbd` the whole process (an upper bound: the service is shared with
// whatever else runs), `mariadbdConnections` its threads serving this database's connections
// (a lower bound: without the background threads, purge and flushing, that serve everyone);
// loadAvg: the machine's 1-minute load average at the trigger (other work on it shows there).
// Usage: npm run bench:fan-out -- [--subtasks 100000] [--clients 4] [--concurrency 256]
//        [--db sqlite|mariadb]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Execution } from '@carillon/core';
import type { ClientProcess } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases } from '@carillon/testkit';
import { CpuMeter, MysqlCpuMeter, cpuSpent } from './process-cpu.js';

const { values } = parseArgs({
  options: {
    subtasks: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '256' },
    db: { type: 'string', default: 'sqlite' },
  },
});
const N = Number(values.subtasks);
const CLIENTS = Number(values.clients);
const CONCURRENCY = Number(values.concurrency);
const db = testDatabases().find((d) => d.label === values.db);
if (db === undefined) throw new Error(`no test database ${values.db ?? ''}`);

const dbUrl = await db.create();
const stack = await startStack({ dbUrl });
const clients: ClientProcess[] = [];
try {
  const { groupId, clientToken } = await stack.createGroup('fan-out');
  for (let i = 1; i <= CLIENTS; i++) {
    clients.push(
      await startClientProcess({
        console: stack.consoleUrl,
        group: groupId,
        token: clientToken,
        clientId: `fan-${i}`,
        concurrency: CONCURRENCY,
      }),
    );
  }
  const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
    groupId,
    name: 'fan-out',
    description: 'bench',
    trigger: { type: 'api' },
    handler: 'parallel-test',
    kind: 'parallel',
    param: JSON.stringify({ items: N, quiet: true }),
    maxRetries: 0,
  });
  const meter = new CpuMeter();
  for (const [i, c] of clients.entries()) meter.add(`client${i + 1}`, c.child.pid);
  const database = db.label === 'mariadb' ? await MysqlCpuMeter.create(dbUrl) : undefined;
  const cpuBefore = await meter.sample();
  const databaseBefore = await database?.sample();
  const loadAvg = loadavg()[0] ?? 0;
  const triggeredAt = Date.now();
  const { executionId } = await stack.api<{ executionId: string }>(
    'POST',
    `/api/v1/jobs/${id}/trigger`,
    {},
  );
  // First and last instants at which each count moved.
  const seen = {
    persisted: { first: 0, last: 0, n: 0 },
    dispatched: { first: 0, last: 0, n: 0 },
    completed: { first: 0, last: 0, n: 0 },
  };
  const note = (which: keyof typeof seen, n: number, at: number): void => {
    const s = seen[which];
    if (n > s.n) {
      if (s.n === 0) s.first = at;
      s.last = at;
      s.n = n;
    }
  };
  let execution: Execution | undefined;
  for (;;) {
    const at = Date.now();
    const counts = await stack.stores.subtasks.countByState(executionId);
    let total = 0;
    for (const n of counts.values()) total += n;
    const pending = counts.get('pending') ?? 0;
    note('persisted', total, at);
    note('dispatched', total - pending, at);
    note('completed', counts.get('succeeded') ?? 0, at);
    execution = await stack.stores.executions.get(executionId);
    if (execution !== undefined && !['claimed', 'dispatched', 'running'].includes(execution.state))
      break;
    if (at - triggeredAt > 600_000) throw new Error('no end after 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const cpu = cpuSpent(cpuBefore, await meter.sample());
  const databaseCpu =
    databaseBefore === undefined ? undefined : await database?.spent(databaseBefore);
  let clientsMs = 0;
  for (const [name, ms] of Object.entries(cpu)) if (name.startsWith('client')) clientsMs += ms;
  const perSubtask = (ms: number): number => Math.round((ms * 1000) / Math.max(1, N));
  const rate = (s: { first: number; last: number; n: number }): number =>
    Math.round(s.n / Math.max(0.1, (s.last - s.first) / 1000));
  console.log(
    JSON.stringify({
      bench: 'fan-out',
      db: db.label,
      subtasks: N,
      clients: CLIENTS,
      concurrency: CONCURRENCY,
      persistedPerS: rate(seen.persisted),
      dispatchedPerS: rate(seen.dispatched),
      completedPerS: rate(seen.completed),
      totalMs: (execution.finishedAt ?? Date.now()) - triggeredAt,
      state: execution.state,
      ...(execution.reason === null ? {} : { reason: execution.reason }),
      cpuUsPerSubtask: {
        server: perSubtask(cpu['bench'] ?? 0),
        clients: perSubtask(clientsMs),
        ...(databaseCpu === undefined
          ? {}
          : {
              mariadbd: perSubtask(databaseCpu.all),
              mariadbdConnections: perSubtask(databaseCpu.connections),
            }),
      },
      loadAvg: Math.round(loadAvg * 10) / 10,
    }),
  );
} finally {
  for (const c of clients) await c.stop().catch(() => undefined);
  await stack.stop();
  await db.drop();
}
