// Measures next-fire computation of the cron engine: for each representative expression, chains
// `nextAfter` (each call starts from the previous fire, as a scheduler does) and prints one JSON
// line: {"bench":"cron-next","expr","tz","calls","rounds","nsPerCallP50","callsPerSec"}, where
// nsPerCallP50 is the median over rounds of the mean time per call.
//
//   npm run bench:cron   (the built packages, as the server runs them)
import { parseCron } from '@carillon/core';

interface BenchCase {
  readonly expr: string;
  readonly tz: string;
  readonly from: string;
}

const CASES: readonly BenchCase[] = [
  { expr: '* * * * * ?', tz: 'UTC', from: '2026-01-01T00:00:00Z' },
  { expr: '0 0/1 * * * ?', tz: 'UTC', from: '2026-01-01T00:00:00Z' },
  { expr: '0 15 10 ? * MON-FRI', tz: 'UTC', from: '2026-01-01T00:00:00Z' },
  { expr: '0 0 12 L * ?', tz: 'UTC', from: '2026-01-01T00:00:00Z' },
  { expr: '0 0 0 29 2 ?', tz: 'UTC', from: '2026-01-01T00:00:00Z' },
  { expr: '0 0 12 ? * 6#3', tz: 'Europe/Berlin', from: '2026-01-01T00:00:00Z' },
  // Every 15 minutes across both daylight-saving changes of the year, many times over.
  { expr: '0 0/15 * * * ?', tz: 'America/New_York', from: '2026-03-01T00:00:00Z' },
  { expr: '* * * * * ?', tz: 'America/New_York', from: '2026-11-01T05:30:00Z' },
  { expr: '0 30 2 * * ?', tz: 'America/New_York', from: '2026-01-01T00:00:00Z' },
];

const CALLS = 200_000;
const ROUNDS = 7;

function runRound(schedule: ReturnType<typeof parseCron>, bench: BenchCase): number {
  const start = Date.parse(bench.from);
  let after = start;
  const began = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    // A schedule that runs out (Feb 29 up to 2199) starts over, so every call does full work.
    after = schedule.nextAfter(after, bench.tz) ?? start;
  }
  return Number(process.hrtime.bigint() - began) / CALLS;
}

for (const bench of CASES) {
  const schedule = parseCron(bench.expr);
  runRound(schedule, bench);
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) samples.push(runRound(schedule, bench));
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
  console.log(
    JSON.stringify({
      bench: 'cron-next',
      expr: bench.expr,
      tz: bench.tz,
      calls: CALLS,
      rounds: ROUNDS,
      nsPerCallP50: Math.round(median),
      callsPerSec: Math.round(1e9 / median),
    }),
  );
}
