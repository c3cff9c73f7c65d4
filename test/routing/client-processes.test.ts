import type { Execution } from '@carillon/core';
import type { ServerMessage } from '@carillon/protocol';
import type { ClientProcess } from '@carillon/testkit';
import { startClientProcess } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawStream } from '../../packages/server/test/hostile-client.js';
import { helloOf, openRawStream } from '../../packages/server/test/hostile-client.js';
import type { RoutingKit } from './routing-kit.js';
import { countByClient, startRoutingKit } from './routing-kit.js';

// Clients in their own processes (the real SDK over real gRPC): first, last and failover on
// their client, and the move when that client dies (SIGKILL); busy-over past clients that
// refuse, each tried once per fire.
let kit: RoutingKit;
const processes = new Map<string, ClientProcess>();
const raws: RawStream[] = [];

beforeAll(async () => {
  kit = await startRoutingKit('routing-processes');
  for (const clientId of ['rp-1', 'rp-2', 'rp-3']) {
    processes.set(
      clientId,
      await startClientProcess({
        servers: [kit.stack.server.rpcAddress],
        group: kit.groupId,
        token: kit.clientToken,
        clientId,
        concurrency: 4,
      }),
    );
  }
}, 90_000);

afterAll(async () => {
  for (const raw of raws) raw.close();
  await Promise.all([...processes.values()].map((p) => p.stop().catch(() => undefined)));
  await kit?.stop();
});

const fire = async (jobId: number, count: number, label: string) => {
  const ended = await kit.ended(await kit.trigger(jobId, count));
  expect(ended.every((e) => e.state === 'succeeded')).toBe(true);
  return countByClient(label, ended);
};

describe('first, last and failover with client processes', () => {
  it('stay on their client, and move to the next when it dies', async () => {
    const first = await kit.createJob({ name: 'first', routing: 'first' });
    const last = await kit.createJob({ name: 'last', routing: 'last' });
    const failover = await kit.createJob({ name: 'failover', routing: 'failover' });
    expect(await fire(first, 8, 'first')).toEqual({ 'rp-1': 8 });
    expect(await fire(last, 8, 'last')).toEqual({ 'rp-3': 8 });
    // Failover moves on while its client is full: at most `concurrency` (4) fires at once keep
    // every one on it, however slowly their echoes end (8 spilled 3 to rp-3 once in CI).
    expect(await fire(failover, 4, 'failover')).toEqual({ 'rp-1': 4 });

    await processes.get('rp-1')!.kill();
    processes.delete('rp-1');
    // The server sees the stream end; until then a fire may still go to rp-1 and be moved
    // (client lost, same execution), so the assertion is on where they ran in the end.
    expect(await fire(first, 8, 'first after rp-1 died')).toEqual({ 'rp-2': 8 });
    expect(await fire(failover, 4, 'failover after rp-1 died')).toEqual({ 'rp-2': 4 });
    expect(await fire(last, 8, 'last after rp-1 died')).toEqual({ 'rp-3': 8 });
  });
});

describe('busy-over', () => {
  it('takes the next client when one refuses, each client tried at most once per fire', async () => {
    // Two clients that refuse every dispatch, named to come first in client order.
    for (const clientId of ['rp-0a', 'rp-0b']) {
      const raw = openRawStream(kit.stack.server.rpcAddress);
      raw.connection.on('message', (message: ServerMessage) => {
        if (message.kind !== 'dispatchBatch') return;
        for (const d of message.dispatches)
          raw.send({
            kind: 'refused',
            executionId: d.executionId,
            attempt: d.attempt,
            reason: 'at_capacity',
            message: 'always busy',
          });
      });
      raw.send(helloOf(kit.groupId, kit.clientToken, clientId, ['echo']));
      await raw.next('welcome');
      raws.push(raw);
    }
    const jobId = await kit.createJob({ name: 'busy over', routing: 'busy_over' });
    // Like failover, busy-over passes a full client by: at most `concurrency` (4) fires keep
    // every one on rp-2 however slowly they end (6 sent 1 to rp-3 once on a loaded machine).
    const ended: Execution[] = await kit.ended(await kit.trigger(jobId, 4));
    expect(countByClient('busy_over past two refusing clients', ended)).toEqual({ 'rp-2': 4 });
    // Refused by rp-0a, then by rp-0b, then run by rp-2: the third attempt, never a fourth.
    for (const e of ended) expect(e).toMatchObject({ state: 'succeeded', attempt: 3 });
  });

  it('other strategies: a fire the clients keep refusing ends at its dispatch timeout', async () => {
    // Failover excludes only the client that refused last, so the two refusing clients (first
    // in client order) take turns; the fire's deadline must not move with each refusal.
    const jobId = await kit.createJob({
      name: 'refused until timeout',
      routing: 'failover',
      dispatchTimeoutMs: 1_000,
    });
    const ended: Execution[] = await kit.ended(await kit.trigger(jobId, 2));
    for (const e of ended) {
      expect(e.state).toBe('skipped');
      expect(e.reason).toMatch(/^dispatch timeout/);
      expect(e.attempt).toBeGreaterThan(2);
    }
  });
});
