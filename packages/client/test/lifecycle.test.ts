import { describe, expect, it } from 'vitest';
import { Client, ClientErrorCode } from '@carillon/client';
import type { ClientMessage, ResultReport } from '@carillon/protocol';
import { gate, nextEvent } from './support/events.js';
import { GROUP, TOKEN, harness, onCleanup } from './support/harness.js';
import { TestDispatchServer } from './support/test-dispatch-server.js';

const resultOf =
  (executionId: string) =>
  (m: ClientMessage): m is ResultReport =>
    m.kind === 'result' && m.executionId === executionId;

/** Handles and requests that keep the event loop alive, by kind. */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

describe('lifecycle', () => {
  it('stop() lets a running handler finish within the grace period and refuses new dispatches', async () => {
    const { server, client } = await harness();
    const release = gate();
    let aborted = false;
    client.register('simple-test', {
      concurrency: 4,
      async execute(ctx) {
        await release.promise;
        aborted = ctx.signal.aborted;
        return 'finished in grace';
      },
    });
    const states: string[] = [];
    client.on('state:changed', ({ to }) => states.push(to));
    await client.start();
    const [running] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');

    const stopped = client.stop({ graceMs: 5_000 });
    expect(client.state).toBe('stopping');
    // It tells the servers it takes no more work, then refuses what comes anyway.
    await server.waitFor((m) => m.kind === 'heartbeat' && m.capacity === 0);
    const [late] = server.dispatch({});
    expect(
      (await server.waitFor((m) => m.kind === 'refused' && m.executionId === late!.executionId))
        .message,
    ).toMatchObject({ reason: 'stopping' });

    release.open();
    await stopped;
    expect(client.state).toBe('stopped');
    expect(aborted).toBe(false);
    expect((await server.waitFor(resultOf(running!.executionId))).message.result).toBe(
      'finished in grace',
    );
    // The client half-closed: the stream ended with OK, not a cancellation.
    expect(server.streams[0]?.status?.code).toBe(0);
    expect(states).toEqual(['starting', 'running', 'stopping', 'stopped']);
  });

  it('stop() aborts handlers still running after the grace period and reports them CANCELLED', async () => {
    const { server, client } = await harness();
    client.register('simple-test', {
      execute: (ctx) =>
        new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('too late'))),
    });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');
    await client.stop({ graceMs: 100 });
    expect((await server.waitFor(resultOf(order!.executionId))).message).toMatchObject({
      outcome: 'cancelled',
      error: { message: 'the client is stopping' },
    });
  });

  it('stop() does not wait forever for a handler that ignores its signal', async () => {
    const { server, client } = await harness();
    const never = gate();
    onCleanup(() => {
      never.open();
      return Promise.resolve();
    });
    client.register('simple-test', { execute: () => never.promise });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');
    const startedAt = Date.now();
    await client.stop({ graceMs: 50 });
    expect(Date.now() - startedAt).toBeLessThan(4_000);
    expect(client.inFlight).toBe(1);
    expect((await server.waitFor(resultOf(order!.executionId))).message).toMatchObject({
      outcome: 'cancelled',
      error: { message: 'the client stopped before the handler ended' },
    });
  });

  it('leaves no timer, socket or other handle behind after stop()', async () => {
    const server = await TestDispatchServer.start();
    onCleanup(() => server.stop());
    server.helloAnswer = { welcome: { heartbeatIntervalMs: 20, fenceMs: 1_000 } };
    const before = activeResources();
    const client = new Client({
      servers: [server.address],
      group: GROUP,
      token: TOKEN,
      discoveryIntervalMs: 50,
    });
    client.register('simple-test', {
      execute: (ctx) => {
        ctx.progress(0.1);
        ctx.progress(0.2); // held by the throttle: a timer
        return 'ok';
      },
    });
    await client.start();
    server.dispatch({ timeoutMs: 60_000 });
    await server.waitFor((m) => m.kind === 'result');
    // A dropped stream leaves a reconnect timer armed, and the fence armed, for stop to clear.
    const disconnected = nextEvent(client, 'server:disconnected');
    server.dropStreams();
    await disconnected;
    await client.stop({ graceMs: 1_000 });
    await server.stop();

    const extra = () =>
      [...activeResources()].filter(([kind, count]) => count > (before.get(kind) ?? 0));
    // Sockets close asynchronously on both ends; wait a bounded time for them to go.
    const until = Date.now() + 3_000;
    while (extra().length > 0 && Date.now() < until) await new Promise((r) => setImmediate(r));
    expect(extra()).toEqual([]);
  });

  it('supports await using, and refuses register() after start()', async () => {
    const { server } = await harness();
    {
      await using client = new Client({ servers: [server.address], group: GROUP, token: TOKEN });
      client.register('simple-test', { execute: () => 'ok' });
      await client.start();
      expect(() => client.register('late', { execute: () => 'ok' })).toThrow(
        expect.objectContaining({ code: ClientErrorCode.InvalidState }),
      );
      await expect(client.start()).rejects.toMatchObject({ code: ClientErrorCode.InvalidState });
    }
    expect((await server.ended(1)).status?.code).toBe(0);
  });

  it('stop() during start() makes start() reject', async () => {
    const server = await TestDispatchServer.start();
    onCleanup(() => server.stop());
    server.accepting = false;
    const client = new Client({ servers: [server.address], group: GROUP, token: TOKEN });
    const starting = client.start().catch((error: unknown) => error);
    await server.ended(1);
    await client.stop();
    expect(await starting).toMatchObject({ code: ClientErrorCode.Stopped });
    expect(client.state).toBe('stopped');
  });
});
