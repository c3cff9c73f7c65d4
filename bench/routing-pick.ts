// The cost of picking a client per routing strategy, the work the server does per dispatch.
// Prints one JSON line per strategy and client count:
//   {"bench":"routing-pick","strategy":"consistent_hash","clients":100,"picksPerSec":x,
//    "spread":{"min":a,"max":b},"rounds":3,"load1":0.4}
// picksPerSec is the median of the rounds; spread is the fewest and most picks a client got
// over 100 keys × 100 picks (for consistent_hash, the keys are job ids).
// Usage: npm run bench:routing -- [--rounds 3] [--picks 200000]
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { RoutingStrategy, pickClient } from '@carillon/core';
import type { RouteCandidate } from '@carillon/core';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    picks: { type: 'string', default: '200000' },
  },
});
const ROUNDS = Number(args.rounds);
const PICKS = Number(args.picks);

function candidates(count: number): RouteCandidate[] {
  return Array.from({ length: count }, (_, i) => ({
    clientId: `client-${String(i).padStart(4, '0')}`,
    inFlight: i % 7,
    capacity: 8,
    freeSlots: 8 - (i % 7),
  }));
}

for (const clients of [3, 100]) {
  const list = candidates(clients);
  for (const strategy of Object.values(RoutingStrategy)) {
    const rates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const cursor = { next: 0 };
      const started = performance.now();
      for (let i = 0; i < PICKS; i++)
        pickClient(list, strategy, cursor, Math.random, String(i % 1000));
      rates.push(PICKS / ((performance.now() - started) / 1000));
    }
    const counts = new Map<string, number>();
    const cursor = { next: 0 };
    for (let key = 0; key < 100; key++)
      for (let i = 0; i < 100; i++) {
        const pick = pickClient(list, strategy, cursor, Math.random, String(key));
        if (pick !== undefined) counts.set(pick.clientId, (counts.get(pick.clientId) ?? 0) + 1);
      }
    const per = list.map((c) => counts.get(c.clientId) ?? 0);
    rates.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        bench: 'routing-pick',
        strategy,
        clients,
        picksPerSec: Math.round(rates[Math.floor(rates.length / 2)] ?? 0),
        spread: { min: Math.min(...per), max: Math.max(...per) },
        rounds: ROUNDS,
        load1: Number(loadavg()[0]?.toFixed(2)),
      }),
    );
  }
}
