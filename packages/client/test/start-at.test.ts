import { describe, expect, it } from 'vitest';
import { CancelReason, RefuseReason } from '@carillon/client';
import type { ClientMessage, ResultReport } from '@carillon/protocol';
import { harness } from './support/harness.js';
import type { TestDispatchServer } from './support/test-dispatch-server.js';

const resultOf =
  (executionId: string) =>
  (m: ClientMessage): m is ResultReport =>
    m.kind === 'result' && m.executionId === executionId;

/** The kinds of the messages the client sent about one execution, in order. */
function kindsFor(server: TestDispatchServer, executionId: string): string[] {
  return server.received
    .map((r) => r.message)
    .filter((m) => 'executionId' in m && m.executionId === executionId)
    .map((m) => m.kind);
}

/** A harness whose started client runs `simple-test` and records when each run started. */
async function startedHarness(options?: Parameters<typeof harness>[0]) {
  const h = await harness(options);
  const startedAt: number[] = [];
  h.client.register('simple-test', {
    concurrency: 2,
    execute() {
      startedAt.push(Date.now());
      return 'ok';
    },
  });
  return { ...h, startedAt };
}

describe('a dispatch sent ahead of its instant', () => {
  it('is accepted on arrival and started at its start instant', async () => {
    const { server, client, startedAt } = await startedHarness();
    await client.start();
    const startAt = Date.now() + 400;
    const [order] = server.dispatch({ scheduledAt: startAt, startAt });
    const { message: result } = await server.waitFor(resultOf(order!.executionId));
    expect(result.outcome).toBe('succeeded');
    expect(startedAt[0]).toBeGreaterThanOrEqual(startAt);
    expect(kindsFor(server, order!.executionId)).toEqual(['accepted', 'started', 'result']);
    const started = server.messages('started').find((m) => m.executionId === order!.executionId);
    expect(started?.at).toBeGreaterThanOrEqual(startAt);
  });

  it.each([
    ['ahead of', 5_000],
    ['behind', -5_000],
  ])(
    'starts at the same real instant when the server clock is %s the client by 5 s',
    async (_, clockAheadMs) => {
      const { server, client, startedAt } = await startedHarness();
      server.helloAnswer = { welcome: { clockAheadMs } };
      // The Hello and its Welcome happen within start(), so its duration bounds their round trip.
      const beforeStart = Date.now();
      await client.start();
      const roundTripBound = Date.now() - beforeStart;
      const realStart = Date.now() + 400;
      const startAt = realStart + clockAheadMs;
      const [order] = server.dispatch({ scheduledAt: startAt, startAt });
      const { message: result } = await server.waitFor(resultOf(order!.executionId), 10_000);
      expect(result.outcome).toBe('succeeded');
      // The skew is corrected to within the Hello's round trip (a loaded machine stretches it,
      // so the bound is measured, not fixed); a client that ignored it would be 5 s off.
      expect(startedAt[0]).toBeGreaterThanOrEqual(realStart - roundTripBound - 5);
      expect(startedAt[0]).toBeLessThan(realStart + 2_000);
    },
  );

  it('reports CANCELLED without running the handler when cancelled before its instant', async () => {
    const { server, client, startedAt } = await startedHarness();
    await client.start();
    const startAt = Date.now() + 500;
    const [order] = server.dispatch({ scheduledAt: startAt, startAt });
    server.cancel(order!, CancelReason.Requested, 'changed my mind');
    const { message: result } = await server.waitFor(resultOf(order!.executionId));
    expect(result.outcome).toBe('cancelled');
    expect(startedAt).toEqual([]);
    expect(kindsFor(server, order!.executionId)).toEqual(['accepted', 'result']);
  });

  it('hands a held dispatch back with Refused STOPPING when the client stops', async () => {
    const { server, client, startedAt } = await startedHarness();
    await client.start();
    const startAt = Date.now() + 2_000;
    const [order] = server.dispatch({ scheduledAt: startAt, startAt });
    await server.waitFor((m) => m.kind === 'accepted' && m.executionId === order!.executionId);
    await client.stop({ graceMs: 5_000 });
    const refused = server.messages('refused').find((m) => m.executionId === order!.executionId);
    expect(refused?.reason).toBe(RefuseReason.Stopping);
    expect(kindsFor(server, order!.executionId)).toEqual(['accepted', 'refused']);
    await new Promise((resolve) => setTimeout(resolve, startAt - Date.now() + 100));
    expect(startedAt).toEqual([]);
  });
});
