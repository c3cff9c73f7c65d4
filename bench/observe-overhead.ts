// Measures what observing a server costs per fire on its event loop: one fire's events
// (claimed, dispatched, started, finished) through a ServerEventBus with nothing attached, with
// ServerMetrics, and with ServerMetrics + FireTracer (no tracer provider: the default). Prints
// one JSON line per case: {"bench":"observe-overhead","case","fires","rounds","nsPerFireP50"}.
//
//   npm run bench:observe   (the built packages, as the server runs them)
import type { Execution } from '@carillon/core';
import { FireTracer, ServerEventBus, ServerMetrics } from '@carillon/server';

const FIRES = 100_000;
const ROUNDS = 7;
const GROUPS = 20;

function execution(i: number): Execution {
  const at = 1_767_225_600_000 + i;
  return {
    id: `0190a5b2-7c3d-7e4f-8a1b-${String(i).padStart(12, '0')}`,
    jobId: (i % 1000) + 1,
    groupId: `101-1-2-${(i % GROUPS) + 1}`,
    scheduledAt: at,
    cause: 'schedule',
    state: 'claimed',
    ownerServerId: 's1',
    attempt: 1,
    param: null,
    clientId: null,
    createdAt: at - 300,
    dispatchedAt: null,
    startedAt: null,
    finishedAt: null,
    result: null,
    reason: null,
    progress: null,
    cancelRequestedAt: null,
  };
}

function round(events: ServerEventBus): number {
  const began = process.hrtime.bigint();
  for (let i = 0; i < FIRES; i++) {
    const e = execution(i);
    events.emit('fires:claimed', { executions: [e] });
    events.emit('execution:dispatched', {
      execution: { ...e, state: 'dispatched' },
      clientId: 'c1',
    });
    events.emit('execution:started', { executionId: e.id, clientId: 'c1', at: e.scheduledAt + 2 });
    events.emit('execution:finished', {
      execution: {
        ...e,
        state: 'succeeded',
        startedAt: e.scheduledAt + 2,
        finishedAt: e.scheduledAt + 50,
      },
    });
  }
  return Number(process.hrtime.bigint() - began) / FIRES;
}

const cases: Record<string, (events: ServerEventBus) => () => void> = {
  'bus only': () => () => {},
  metrics: (events) => {
    const m = new ServerMetrics({
      events,
      stats: () => ({ held: 0, scheduled: 0, inFlight: 0, waiting: 0, freeClientSlots: 0 }),
      sessionState: () => 'connected',
    });
    return () => m.close();
  },
  'metrics + tracer': (events) => {
    const m = new ServerMetrics({
      events,
      stats: () => ({ held: 0, scheduled: 0, inFlight: 0, waiting: 0, freeClientSlots: 0 }),
      sessionState: () => 'connected',
    });
    const t = new FireTracer(events);
    return () => {
      t.close();
      m.close();
    };
  },
};

for (const [name, attach] of Object.entries(cases)) {
  const events = new ServerEventBus();
  const detach = attach(events);
  round(events); // warm-up
  const samples = Array.from({ length: ROUNDS }, () => round(events)).sort((a, b) => a - b);
  detach();
  console.log(
    JSON.stringify({
      bench: 'observe-overhead',
      case: name,
      fires: FIRES,
      rounds: ROUNDS,
      nsPerFireP50: Math.round(samples[Math.floor(ROUNDS / 2)] ?? 0),
    }),
  );
}
