import type { Client } from '@carillon/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingKit } from './routing-kit.js';
import { countByClient, startRoutingKit } from './routing-kit.js';

// Three SDK clients (real gRPC) on one server over SQLite; each strategy's distribution over
// them, printed as `[routing] <strategy>: {client: count}` and asserted by its rule.
let kit: RoutingKit;
const clients = new Map<string, Client>();

beforeAll(async () => {
  kit = await startRoutingKit('routing');
  for (const id of ['rt-a', 'rt-b', 'rt-c']) clients.set(id, await kit.client(id));
});

afterAll(() => kit?.stop());

const run = async (routing: string, fires: number, spec: Record<string, unknown> = {}) => {
  const jobId = await kit.createJob({ name: routing, routing, ...spec });
  const ended = await kit.ended(await kit.trigger(jobId, fires));
  expect(ended.every((e) => e.state === 'succeeded')).toBe(true);
  return { jobId, ended, counts: countByClient(routing, ended) };
};

describe('routing strategies over three clients', () => {
  it('round_robin: even over the clients', async () => {
    const { counts } = await run('round_robin', 30);
    const values = ['rt-a', 'rt-b', 'rt-c'].map((c) => counts[c] ?? 0);
    // Even: a client momentarily full only shifts the turn, so allow a step of two.
    expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(2);
    expect(values.reduce((a, b) => a + b)).toBe(30);
  });

  it('random: every client gets some', async () => {
    const { counts } = await run('random', 45);
    // (2/3)^45 per client of getting none: this never fails by chance in practice.
    for (const c of ['rt-a', 'rt-b', 'rt-c']) expect(counts[c] ?? 0).toBeGreaterThan(0);
  });

  it('first and last: always the first and the last client by client id', async () => {
    expect((await run('first', 12)).counts).toEqual({ 'rt-a': 12 });
    expect((await run('last', 12)).counts).toEqual({ 'rt-c': 12 });
  });

  it('failover: the first client by id while it has room', async () => {
    expect((await run('failover', 12)).counts).toEqual({ 'rt-a': 12 });
  });

  it('least_loaded: follows load, away from a client kept busy', async () => {
    // rt-a (first by id) is kept busy with three of its four slots for a while.
    const busyJob = await kit.createJob({
      name: 'busy',
      routing: 'first',
      handler: 'sleep',
      param: '4000',
    });
    const busy = await kit.trigger(busyJob, 3);
    const jobId = await kit.createJob({
      name: 'least loaded',
      routing: 'least_loaded',
      handler: 'sleep',
      param: '1500',
    });
    const ended = await kit.ended(await kit.trigger(jobId, 6));
    const counts = countByClient('least_loaded (rt-a running 3 of 4)', ended);
    // Loads: rt-a 3/4, the others 0/4 and rising with each fire; rt-a is never the least
    // loaded until the others reach 3, which six fires only just do.
    expect(counts).toEqual({ 'rt-b': 3, 'rt-c': 3 });
    await kit.ended(busy);
  });

  it('consistent_hash: a job stays on one client; when it leaves only its jobs move', async () => {
    const jobs: number[] = [];
    for (let i = 0; i < 12; i++)
      jobs.push(await kit.createJob({ name: `hash ${i}`, routing: 'consistent_hash' }));
    const owner = new Map<number, string>();
    for (const jobId of jobs) {
      const ended = await kit.ended(await kit.trigger(jobId, 3));
      const on = new Set(ended.map((e) => e.clientId));
      expect(on.size, `job ${jobId} on ${[...on].join(', ')}`).toBe(1);
      owner.set(jobId, ended[0]!.clientId!);
    }
    const perClient = countByClient(
      'consistent_hash owners of 12 jobs',
      [...owner.values()].map((clientId) => ({ clientId }) as never),
    );
    // The client owning most jobs leaves (it owns at least 4 of 12).
    const leaving = Object.entries(perClient).sort((a, b) => b[1] - a[1])[0]![0];
    await clients.get(leaving)!.stop({ graceMs: 500 });
    clients.delete(leaving);
    let moved = 0;
    for (const jobId of jobs) {
      const ended = await kit.ended(await kit.trigger(jobId, 2));
      const on = new Set(ended.map((e) => e.clientId));
      expect(on.size).toBe(1);
      const now = ended[0]!.clientId!;
      if (owner.get(jobId) === leaving) {
        expect(now).not.toBe(leaving);
        moved++;
      } else {
        expect(now, `job ${jobId} moved though its client stayed`).toBe(owner.get(jobId));
      }
    }
    console.log(
      `[routing] consistent_hash: ${leaving} left; ${moved} of 12 jobs moved (all its own)`,
    );
    expect(moved).toBe(perClient[leaving]);
    // Back as it was for the tests after this one.
    clients.set(leaving, await kit.client(leaving));
  });
});

describe('pinning by labels and room', () => {
  it('a pinned job runs only on matching clients, whatever the strategy; waits for one to come', async () => {
    const gpuA = await kit.client('pin-a', { labels: ['gpu'], room: 'r1' });
    const gpuB = await kit.client('pin-b', { labels: ['gpu', 'ssd'], room: 'r2' });
    void gpuA;
    void gpuB;
    const listed = await kit.stack.api<{ items: Array<{ clientId: string; labels?: string[] }> }>(
      'GET',
      `/api/v1/clients?groupId=${kit.groupId}`,
    );
    expect(listed.items.find((c) => c.clientId === 'pin-b')?.labels).toEqual(['gpu', 'ssd']);
    expect(listed.items.find((c) => c.clientId === 'rt-a')?.labels).toBeUndefined();
    const byLabel = await run('round_robin', 20, { routeLabels: ['gpu'] });
    expect(Object.keys(byLabel.counts).sort()).toEqual(['pin-a', 'pin-b']);
    const byLabelAndRoom = await run('least_loaded', 10, { routeLabels: ['gpu'], routeRoom: 'r2' });
    expect(byLabelAndRoom.counts).toEqual({ 'pin-b': 10 });
    const byRoom = await run('last', 5, { routeRoom: 'r1' });
    expect(byRoom.counts).toEqual({ 'pin-a': 5 });

    // No client has `tpu`: the fire waits (never goes to another client) until one comes.
    const jobId = await kit.createJob({ name: 'tpu', routing: 'random', routeLabels: ['tpu'] });
    const [waiting] = await kit.trigger(jobId, 1);
    await new Promise((r) => setTimeout(r, 1_500));
    const still = await kit.stack.api<{ state: string; clientId: string | null }>(
      'GET',
      `/api/v1/executions/${waiting}`,
    );
    expect(still).toMatchObject({ state: 'claimed', clientId: null });
    await kit.client('pin-tpu', { labels: ['tpu', 'gpu'] });
    const [ended] = await kit.ended([waiting!]);
    countByClient('pinned to tpu, waited for its client', [ended!]);
    expect(ended).toMatchObject({ state: 'succeeded', clientId: 'pin-tpu' });
  });
});
