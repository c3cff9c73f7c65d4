// A flooding client against one server (in this process, with its console, on SQLite or
// MariaDB) while a victim client of another task group runs --jobs per-second jobs: how late the
// victim's handlers start before and during the flood, this process's CPU (server, console and
// victim client together), and whether the server closes the flooder's stream (its
// `maxMessagesPerSecond`, default 100,000). The flooder (bench/flood-client.ts) runs in a process
// of its own, authenticated with a token of its own group, and writes progress reports about a
// running execution of the victim's, as fast as its stream takes them; the server refuses each
// one it reads (`refusedPerSecond`: what it read of the flood). Prints one JSON line:
// {"bench":"client-flood","db":..,"jobs":..,"seconds":..,"rateCoolDownMs":..|"default",
//  "before":{"fires":..,"lateMs":{"p50":..,"p99":..,"max":..}},"during":{..},
//  "processCpuMsPerSecond":{"before":..,"during":..},"refusedPerSecond":..,
//  "flooder":{"written":..,"seconds":..,"closedAfterMs":..|null,"status":..|null}}
// With --rotate-ids the flooder takes a new client id for each stream.
// Usage: npm run bench:flood -- [--db sqlite|mariadb] [--jobs 100] [--seconds 10] [--cool-down MS]
//        [--rotate-ids]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client } from '@carillon/client';
import { startStack, testDatabases, waitFor } from '@carillon/testkit';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    jobs: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    // How long the server keeps a client cut off for its rate away (its `rateCoolDownMs`);
    // unset: the server's default. 0: the flooder may reconnect at once.
    'cool-down': { type: 'string' },
    'rotate-ids': { type: 'boolean', default: false },
  },
});
const jobs = Number(args.jobs);
const seconds = Number(args.seconds);

const database = testDatabases().find((d) => d.label === args.db);
if (database === undefined) throw new Error(`no database ${args.db}`);
const coolDown =
  args['cool-down'] === undefined ? {} : { rateCoolDownMs: Number(args['cool-down']) };
const stack = await startStack({ dbUrl: await database.create(), server: coolDown });
let victim: Client | undefined;

/** Lateness of the victim's handler starts: [scheduled instant, ms late]. */
const starts: Array<readonly [number, number]> = [];
const lateOver = (from: number, to: number) => {
  const late = starts
    .filter(([at]) => at >= from && at < to)
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  const at = (q: number) => late[Math.min(late.length - 1, Math.floor(q * late.length))] ?? 0;
  return { fires: late.length, lateMs: { p50: at(0.5), p99: at(0.99), max: late.at(-1) ?? 0 } };
};
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
};

try {
  const victimGroup = await stack.createGroup('victim');
  const floodGroup = await stack.createGroup('flooder');
  for (let i = 0; i < jobs; i++)
    await stack.api('POST', '/api/v1/jobs', {
      groupId: victimGroup.groupId,
      name: `victim ${i}`,
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'work',
    });
  victim = new Client({
    servers: [stack.server.rpcAddress],
    group: victimGroup.groupId,
    token: victimGroup.clientToken,
    clientId: 'victim',
  });
  // The flood's target: a run of the victim's that lasts the whole bench.
  const { id: holdJob } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
    groupId: victimGroup.groupId,
    name: 'held',
    trigger: { type: 'api' },
    handler: 'hold',
  });
  victim.register('hold', {
    concurrency: 1,
    execute: (ctx) => sleep(3 * seconds * 1_000 + 30_000, undefined, { signal: ctx.signal }),
  });
  victim.register('work', {
    concurrency: Math.max(100, jobs * 2),
    execute: (ctx) => {
      starts.push([ctx.scheduledAt, Date.now() - ctx.scheduledAt]);
      return Promise.resolve();
    },
  });
  await victim.start();
  await stack.api('POST', `/api/v1/jobs/${holdJob}/trigger`, {});
  const target = await waitFor(
    'the held run to start',
    async () => (await stack.stores.executions.listByJobAndStates(holdJob, ['running']))[0],
  );
  let refused = 0;
  stack.server.events.on('report:refused', () => void refused++);
  await sleep(5_000);

  // Whole seconds, so that each window holds whole instants.
  const before = { from: Math.ceil(Date.now() / 1_000) * 1_000, cpu: 0 };
  await sleep(before.from - Date.now());
  before.cpu = cpuMs();
  await sleep(seconds * 1_000);
  const floodFrom = Date.now();
  const cpuAtFlood = cpuMs();
  const refusedBefore = refused;
  const flooder = spawn(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      new URL('./flood-client.ts', import.meta.url).pathname,
      stack.server.rpcAddress,
      floodGroup.groupId,
      floodGroup.clientToken,
      target.id,
      String(seconds),
      ...(args['rotate-ids'] ? ['rotate'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let report = '';
  flooder.stdout.on('data', (chunk: Buffer) => (report += chunk.toString()));
  await once(flooder, 'exit');
  const floodTo = Date.now();
  const cpuAfter = cpuMs();
  const refusedDuring = refused - refusedBefore;
  // The fires due in the flood's last second start up to a second later.
  await sleep(1_500);
  console.log(
    JSON.stringify({
      bench: 'client-flood',
      db: args.db,
      jobs,
      seconds,
      rateCoolDownMs: coolDown.rateCoolDownMs ?? 'default',
      rotateIds: args['rotate-ids'],
      before: lateOver(before.from, floodFrom),
      // From the first whole second the flooder had started by (its start-up takes ~1 s).
      during: lateOver(Math.ceil(floodFrom / 1_000) * 1_000 + 1_000, floodTo),
      processCpuMsPerSecond: {
        before: Math.round((cpuAtFlood - before.cpu) / ((floodFrom - before.from) / 1_000)),
        during: Math.round((cpuAfter - cpuAtFlood) / ((floodTo - floodFrom) / 1_000)),
      },
      refusedPerSecond: Math.round(refusedDuring / ((floodTo - floodFrom) / 1_000)),
      flooder: JSON.parse(report.trim()) as unknown,
    }),
  );
} finally {
  await victim?.stop({ graceMs: 1_000 });
  await stack.stop();
  await database.drop();
}
