// The execution writer behind a slow database: what a server spends recording changes when
// results pile up. A store that answers each batch after --batch-ms holds the writer back while
// --backlog changes nothing waits for (results) are queued, then --instants times --awaited
// `dispatched` changes (which a send waits for) arrive, --per-turn at a time, as a backlog's
// fires leave the waiting room a few at a time while clients answer; --rounds times. Before the writer
// kept the two kinds apart it scanned its whole queue for the awaited ones at every batch; at
// 500 fires a second under a CPU cap that was an eighth of a server's time (docs/cluster.md).
// Prints one JSON line per round and a summary:
//   {"bench":"writer-backlog","backlog":20000,"round":1,"cpuMs":x,"batches":n}
//   {"bench":"writer-backlog","backlog":20000,"medianCpuMs":x,"rounds":5,"load1":0.4}
// cpuMs: this process's CPU (user + system) from the first change queued to the last written.
// Usage: node --conditions=source --import tsx bench/writer-backlog.ts [--backlog 20000]
//   [--rounds 5] [--awaited 300] [--per-turn 5] [--instants 20] [--batch-ms 2]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { ExecutionChange, ExecutionStore } from '@carillon/core';
import { silentLogger } from '@carillon/core';
import { ExecutionWriter } from '../packages/server/src/dispatch/execution-writer.js';

const { values: args } = parseArgs({
  options: {
    backlog: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    awaited: { type: 'string', default: '300' },
    'per-turn': { type: 'string', default: '5' },
    instants: { type: 'string', default: '20' },
    'batch-ms': { type: 'string', default: '2' },
  },
});
const BACKLOG = Number(args.backlog);
const AWAITED = Number(args.awaited);
const PER_TURN = Number(args['per-turn']);
const INSTANTS = Number(args.instants);
const BATCH_MS = Number(args['batch-ms']);

async function round(n: number): Promise<{ cpuMs: number; batches: number }> {
  let batches = 0;
  const store = {
    transitionMany: async (changes: readonly ExecutionChange[]) => {
      batches++;
      await new Promise((resolve) => setTimeout(resolve, BATCH_MS));
      return changes.map(() => true);
    },
  } as unknown as ExecutionStore;
  const writer = new ExecutionWriter(store, silentLogger);
  const fence = (id: string, from: 'running' | 'claimed') => ({
    id,
    from: [from] as const,
    ownerServerId: 's1',
    attempt: 1,
  });
  const started = process.cpuUsage();
  const written: Promise<boolean>[] = [];
  for (let i = 0; i < BACKLOG; i++)
    written.push(writer.write({ fence: fence(`r${n}-${i}`, 'running'), state: 'succeeded' }));
  for (let t = 0; t < INSTANTS; t++) {
    for (let i = 0; i < AWAITED; i += PER_TURN) {
      const sends: Promise<boolean>[] = [];
      for (let k = i; k < Math.min(AWAITED, i + PER_TURN); k++) {
        const change = { fence: fence(`d${n}-${t}-${k}`, 'claimed'), state: 'dispatched' as const };
        sends.push(writer.write(change));
      }
      await Promise.all(sends);
    }
  }
  await Promise.all(written);
  const spent = process.cpuUsage(started);
  return { cpuMs: Math.round((spent.user + spent.system) / 100) / 10, batches };
}

const ROUNDS = Number(args.rounds);
const spent: number[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  const { cpuMs, batches } = await round(r);
  spent.push(cpuMs);
  console.log(
    JSON.stringify({ bench: 'writer-backlog', backlog: BACKLOG, round: r, cpuMs, batches }),
  );
}
spent.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    bench: 'writer-backlog',
    backlog: BACKLOG,
    medianCpuMs: spent[Math.floor(spent.length / 2)],
    rounds: ROUNDS,
    load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  }),
);
