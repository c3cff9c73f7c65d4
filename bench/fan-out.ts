// Fan-out benchmark: one parallel execution of N subtasks with a no-op `process`, over C client
// processes (the real SDK, real gRPC), a server and console in this process on a fresh SQLite
// (default) or MariaDB database. Waits for the execution's end (polling it every 100 ms), then
// reads the subtasks' instants and prints one JSON line:
// {"bench":"fan-out","db":..,"subtasks":N,"clients":C,"concurrency":K,
//  "persistedPerS":..,"dispatchedPerS":..,"completedPerS":..,"totalMs":..,"state":..}
// persistedPerS: subtasks stored / time from the first createdAt to the last; dispatchedPerS:
// subtasks dispatched / from the first dispatchedAt to the last; completedPerS: subtasks
// succeeded / from the first finishedAt to the last; totalMs: from the trigger to the execution's end;
// cpuUsPerSubtask: CPU (user + system, from /proc) from the trigger to the end, per subtask, of
// this process (server, console and the polling), of the client processes together, and on
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
  let execution: Execution | undefined;
  for (;;) {
    execution = await stack.stores.executions.get(executionId);
    if (execution !== undefined && !['claimed', 'dispatched', 'running'].includes(execution.state))
      break;
    if (Date.now() - triggeredAt > 600_000) throw new Error('no end after 10 minutes');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const cpu = cpuSpent(cpuBefore, await meter.sample());
  const databaseCpu =
    databaseBefore === undefined ? undefined : await database?.spent(databaseBefore);
  // The rates come from the subtasks' own instants, read once the run is over: counting them by
  // state every 100 ms during the run cost the database more than the run did (MariaDB: ~24 ms
  // of CPU a count over 100,000 subtasks) and, on SQLite, took the server's thread.
  const seen = {
    persisted: { first: Infinity, last: 0, n: 0 },
    dispatched: { first: Infinity, last: 0, n: 0 },
    completed: { first: Infinity, last: 0, n: 0 },
  };
  const note = (which: keyof typeof seen, at: number | null): void => {
    if (at === null) return;
    const s = seen[which];
    s.first = Math.min(s.first, at);
    s.last = Math.max(s.last, at);
    s.n++;
  };
  for (let afterSeq = 0; ;) {
    const page = await stack.stores.subtasks.listByExecution(executionId, { afterSeq });
    for (const subtask of page) {
      note('persisted', subtask.createdAt);
      note('dispatched', subtask.dispatchedAt);
      if (subtask.state === 'succeeded') note('completed', subtask.finishedAt);
    }
    if (page.length === 0) break;
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }
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
