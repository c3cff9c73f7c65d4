import { describe, expect, it } from 'vitest';
import type { ExecutionAbortedError } from '@carillon/client';
import { AbortReason } from '@carillon/client';
import type { ClientMessage, ResultReport } from '@carillon/protocol';
import { gate, nextEvent } from './support/events.js';
import { harness } from './support/harness.js';

const resultOf =
  (executionId: string) =>
  (m: ClientMessage): m is ResultReport =>
    m.kind === 'result' && m.executionId === executionId;

describe('reconnection', () => {
  it('reconnects after the server drops the stream, names the running execution, and reports on the new stream', async () => {
    const { server, client } = await harness();
    const release = gate();
    client.register('simple-test', { execute: () => release.promise.then(() => 'survived') });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');

    const disconnected = nextEvent(client, 'server:disconnected');
    const reconnected = nextEvent(client, 'server:connected');
    server.dropStreams();
    expect(await disconnected).toMatchObject({ address: server.address, code: 14 });
    await reconnected;
    const { stream } = await server.waitFor((m, s) => m.kind === 'hello' && s.index === 2);
    expect(stream.hello?.running).toEqual([{ executionId: order!.executionId, attempt: 1 }]);

    release.open();
    const { message, stream: on } = await server.waitFor(resultOf(order!.executionId));
    expect(message.result).toBe('survived');
    expect(on.index).toBe(2);
  });

  it('keeps a Result produced while no stream is open and sends it once one is', async () => {
    const { server, client } = await harness();
    const release = gate();
    client.register('simple-test', { execute: () => release.promise.then(() => 'kept') });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');

    server.accepting = false;
    const disconnected = nextEvent(client, 'server:disconnected');
    server.dropStreams();
    await disconnected;
    const finished = nextEvent(client, 'execution:finished');
    release.open();
    await finished;
    // Streams keep being refused: the client is retrying with backoff, holding the Result.
    await new Promise((resolve) => server.once('closed', resolve));
    expect(server.messages('result')).toHaveLength(0);

    server.accepting = true;
    const { message, stream } = await server.waitFor(resultOf(order!.executionId));
    expect(message).toMatchObject({ outcome: 'succeeded', result: 'kept' });
    expect(stream.hello?.running).toEqual([]);
  });

  it('sends a Result again on the new stream when its stream broke just after it was written', async () => {
    const { server, client } = await harness();
    client.register('simple-test', { execute: () => 'maybe lost' });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor(resultOf(order!.executionId));
    // No acks: the client cannot know the Result arrived before the break, so it resends it.
    server.dropStreams();
    const { message, stream } = await server.waitFor(
      (m, s): m is ResultReport => resultOf(order!.executionId)(m) && s.index === 2,
    );
    expect(message.result).toBe('maybe lost');
    expect(stream.hello?.running).toEqual([]);
  });

  it('does not send a Result again after a clean close', async () => {
    const { server, client } = await harness();
    client.register('simple-test', { execute: () => 'once' });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor(resultOf(order!.executionId));
    await client.stop();
    expect(server.messages('result')).toHaveLength(1);
    expect(server.streams).toHaveLength(1);
  });
});

describe('fencing', () => {
  it('aborts running handlers when cut off from every server past fence_ms, and reports them when back', async () => {
    const { server, client } = await harness();
    // Long enough that a loaded machine holding this process up does not fence it first (the
    // stop test below).
    server.helloAnswer = { welcome: { fenceMs: 2_000 } };
    let reason: unknown;
    client.register('simple-test', {
      execute: (ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            reason = ctx.signal.reason;
            reject(ctx.signal.reason as Error);
          }),
        ),
    });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');

    const fenced = nextEvent(client, 'fenced');
    const cutAt = Date.now();
    await server.stop();
    const event = await fenced;
    expect(Date.now() - cutAt).toBeGreaterThanOrEqual(1_950);
    expect(event).toMatchObject({
      stopped: false,
      fenceMs: 2_000,
      aborted: [{ executionId: order!.executionId, attempt: 1 }],
    });
    expect(event.cutOffMs).toBeGreaterThanOrEqual(2_000);
    expect((reason as ExecutionAbortedError).reason).toBe(AbortReason.Fenced);

    await server.listen();
    const { message, stream } = await server.waitFor(resultOf(order!.executionId));
    expect(message).toMatchObject({
      outcome: 'cancelled',
      error: { message: 'fenced: cut off from every server' },
    });
    expect(stream.hello?.running).toEqual([]);
  });

  it('aborts running handlers once it runs again after its process was stopped past fence_ms', async () => {
    const { server, client } = await harness();
    server.helloAnswer = { welcome: { fenceMs: 1_000 } };
    client.register('simple-test', {
      execute: (ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)),
        ),
    });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started');

    const fenced = nextEvent(client, 'fenced');
    // The whole process stands still, as under SIGSTOP: no timer, no socket. The stream stays
    // open, so only the stop itself can tell the client its work may have gone elsewhere.
    const end = Date.now() + 2_500;
    while (Date.now() < end) {
      // Busy.
    }
    const event = await fenced;
    expect(event).toMatchObject({
      stopped: true,
      fenceMs: 1_000,
      aborted: [{ executionId: order!.executionId, attempt: 1 }],
    });
    expect(event.cutOffMs).toBeGreaterThanOrEqual(2_500);
    const { message } = await server.waitFor(resultOf(order!.executionId));
    expect(message).toMatchObject({ outcome: 'cancelled' });
    expect(message.error?.message).toMatch(/^fenced: this process was stopped for \d+ ms$/);
  });

  it('does not fence while one server stays connected', async () => {
    const { server, client } = await harness();
    // Not shorter: a process that does not run for longer than its fence interval is fenced
    // (above), and a loaded test machine can hold a process up for a few hundred ms.
    server.helloAnswer = { welcome: { fenceMs: 1_000 } };
    client.register('simple-test', { execute: () => 'ok' });
    await client.start();
    let fenced = false;
    client.on('fenced', () => {
      fenced = true;
    });
    // A dropped stream that reconnects at once stays well inside the fence interval.
    const reconnected = nextEvent(client, 'server:connected');
    server.dropStreams();
    await reconnected;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(fenced).toBe(false);
  });
});
