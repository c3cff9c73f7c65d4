import { describe, expect, it } from 'vitest';
import type { ClientMessage, DispatchOrder, RefusedReport, ResultReport } from '@carillon/protocol';
import { gate, nextEvent } from './support/events.js';
import { harness, onCleanup } from './support/harness.js';
import { TestDispatchServer } from './support/test-dispatch-server.js';

const refusalOf =
  (executionId: string) =>
  (m: ClientMessage): m is RefusedReport =>
    m.kind === 'refused' && m.executionId === executionId;
const resultOf =
  (executionId: string) =>
  (m: ClientMessage): m is ResultReport =>
    m.kind === 'result' && m.executionId === executionId;

describe('admission', () => {
  it('refuses a dispatch beyond the handler concurrency with AT_CAPACITY', async () => {
    const { server, client } = await harness();
    const release = gate();
    let runs = 0;
    client.register('simple-test', {
      concurrency: 2,
      execute: async () => {
        runs += 1;
        await release.promise;
      },
    });
    await client.start();
    const refused = nextEvent(client, 'execution:refused');
    const [a, b, c] = server.dispatch({}, {}, {});
    const { message } = await server.waitFor(refusalOf(c!.executionId));
    expect(message).toMatchObject({ attempt: 1, reason: 'at_capacity' });
    expect(await refused).toMatchObject({ executionId: c!.executionId, reason: 'at_capacity' });
    await server.waitFor((m) => m.kind === 'started' && m.executionId === b!.executionId);
    expect(runs).toBe(2);
    expect(server.messages('started').map((m) => m.executionId)).toEqual([
      a!.executionId,
      b!.executionId,
    ]);

    // A slot frees when a handler ends; the next dispatch is taken.
    release.open();
    await server.waitFor(resultOf(b!.executionId));
    const [d] = server.dispatch({});
    await server.waitFor(resultOf(d!.executionId));
  });

  it('refuses beyond the client capacity across handlers', async () => {
    const { server, client } = await harness({ capacity: 1 });
    const release = gate();
    client.register('simple-test', { concurrency: 5, execute: () => release.promise });
    client.register('other', { concurrency: 5, execute: () => release.promise });
    await client.start();
    expect(server.hellos[0]?.capacity).toBe(1);
    const [, second] = server.dispatch({}, { handler: 'other' });
    expect((await server.waitFor(refusalOf(second!.executionId))).message.reason).toBe(
      'at_capacity',
    );
    release.open();
  });

  it('refuses a dispatch for a handler it has not registered', async () => {
    const { server, client } = await harness();
    client.register('simple-test', { execute: () => 'ok' });
    await client.start();
    const [order] = server.dispatch({ handler: 'no-such-handler' });
    expect((await server.waitFor(refusalOf(order!.executionId))).message.reason).toBe(
      'unknown_handler',
    );
  });

  it('accepts a dispatch it already holds again without running it twice', async () => {
    const { server, client } = await harness();
    const release = gate();
    let runs = 0;
    client.register('simple-test', {
      concurrency: 4,
      execute: async () => {
        runs += 1;
        await release.promise;
        return 'once';
      },
    });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');
    server.dispatch(order!);
    await server.waitFor((m) => m.kind === 'accepted' && m.executionId === order!.executionId);
    release.open();
    await server.waitFor(resultOf(order!.executionId));

    // Sent again after it ended: the same Result comes back, and the handler does not run.
    const before = server.messages('result').length;
    server.dispatch(order!);
    await server.waitFor((m) => m.kind === 'result' && server.messages('result').length > before);
    expect(runs).toBe(1);
    expect(server.messages('result').map((m) => m.result)).toEqual(['once', 'once']);
    expect(server.messages('started')).toHaveLength(1);

    // The next attempt of the same execution is a new dispatch.
    server.dispatch({ ...order!, attempt: 2 });
    await server.waitFor((m) => m.kind === 'result' && m.attempt === 2);
    expect(runs).toBe(2);
  });

  it('answers an order sent again with its Result for at least the last 1,000 executions', async () => {
    const { server, client } = await harness();
    let runs = 0;
    client.register('simple-test', {
      concurrency: 500,
      execute: (ctx) => {
        runs += 1;
        return `done ${ctx.executionId}`;
      },
    });
    await client.start();
    const orders: DispatchOrder[] = [];
    for (let batch = 0; batch < 3; batch++) {
      orders.push(...server.dispatch(...Array.from({ length: 500 }, () => ({}))));
      await server.waitFor(() => server.messages('result').length === orders.length);
    }
    // The 600th is among the last 1,000 of 1,500.
    const again = orders[599]!;
    server.dispatch(again);
    await server.waitFor(() => server.messages('result').length === orders.length + 1);
    expect(runs).toBe(1_500);
    expect(server.messages('result').at(-1)).toMatchObject({
      executionId: again.executionId,
      result: `done ${again.executionId}`,
    });
  });

  it('an order sent again at the same attempt by another server moves its reports there', async () => {
    const { server, console, client } = await harness();
    // The adopter of a departed owner's executions asks the client about them again.
    const adopter = await TestDispatchServer.start('test-server-2');
    onCleanup(() => adopter.stop());
    console.servers = [
      ...console.servers,
      { serverId: adopter.serverId, address: adopter.address, room: 'room-b' },
    ];
    const release = gate();
    let runs = 0;
    client.register('simple-test', {
      execute: async () => {
        runs += 1;
        await release.promise;
        return 'once';
      },
    });
    await client.start();
    await adopter.waitFor((m) => m.kind === 'hello' || m.kind === 'heartbeat', 10_000);
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');
    adopter.dispatch(order!);
    await adopter.waitFor((m) => m.kind === 'accepted' && m.executionId === order!.executionId);
    release.open();
    const { message } = await adopter.waitFor(resultOf(order!.executionId));
    expect(message).toMatchObject({ attempt: 1, result: 'once' });
    expect(runs).toBe(1);
    expect(server.messages('result')).toEqual([]);
  });
});
