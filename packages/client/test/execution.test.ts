import { describe, expect, it } from 'vitest';
import {
  AbortReason,
  CancelReason,
  ExecutionAbortedError,
  NonRetryableError,
} from '@carillon/client';
import type { ExecutionContext } from '@carillon/client';
import type { ClientMessage, ResultReport } from '@carillon/protocol';
import { gate, nextEvent } from './support/events.js';
import { harness } from './support/harness.js';

const resultOf =
  (executionId: string) =>
  (m: ClientMessage): m is ResultReport =>
    m.kind === 'result' && m.executionId === executionId;

describe('running a dispatch', () => {
  it('runs the handler once and reports Started, its log lines, progress and the Result', async () => {
    const { server, client } = await harness();
    const contexts: ExecutionContext[] = [];
    client.register('simple-test', {
      concurrency: 4,
      async execute(ctx) {
        contexts.push(ctx);
        ctx.log(`job ${ctx.jobId} ran`);
        ctx.log('careful', 'warn');
        ctx.progress(0.5, 'half way');
        await Promise.resolve();
        return 'done';
      },
    });
    await client.start();
    const finished = nextEvent(client, 'execution:finished');
    const [order] = server.dispatch({
      jobId: 7,
      jobName: 'simple task test',
      param: 'TestParam',
      scheduledAt: 1_700_000_000_000,
      attempt: 2,
    });
    const { executionId } = order!;
    const { message: result } = await server.waitFor(resultOf(executionId));

    expect(result).toMatchObject({ attempt: 2, outcome: 'succeeded', result: 'done', error: null });
    expect(await finished).toMatchObject({ executionId, outcome: 'succeeded', result: 'done' });
    expect(contexts).toHaveLength(1);
    expect(contexts[0]).toMatchObject({
      executionId,
      attempt: 2,
      jobId: 7,
      jobName: 'simple task test',
      handler: 'simple-test',
      param: 'TestParam',
      scheduledAt: 1_700_000_000_000,
      cause: 'schedule',
      timeoutMs: 0,
    });
    expect(contexts[0]?.signal.aborted).toBe(false);
    const reports = server.received
      .map((r) => r.message)
      .filter((m) => 'executionId' in m && m.executionId === executionId);
    expect(reports.map((m) => m.kind)).toEqual(['started', 'log', 'log', 'progress', 'result']);
    expect(reports[1]).toMatchObject({ level: 'info', message: 'job 7 ran' });
    expect(reports[2]).toMatchObject({ level: 'warn', message: 'careful' });
    expect(reports[3]).toMatchObject({ fraction: 0.5, message: 'half way' });
  });

  it('reports a thrown error as FAILED, retryable unless it is a NonRetryableError', async () => {
    const { server, client } = await harness();
    client.register('simple-test', {
      execute(ctx) {
        if (ctx.param === 'final') throw new NonRetryableError('bad parameter');
        throw new TypeError('boom');
      },
    });
    await client.start();
    const [plain] = server.dispatch({});
    const { message: failed } = await server.waitFor(resultOf(plain!.executionId));
    expect(failed).toMatchObject({
      outcome: 'failed',
      result: null,
      error: { type: 'TypeError', message: 'boom', retryable: true },
    });
    expect(failed.error?.stack).toContain('TypeError: boom');

    const [final] = server.dispatch({ param: 'final' });
    const { message: nonRetryable } = await server.waitFor(resultOf(final!.executionId));
    expect(nonRetryable).toMatchObject({
      outcome: 'failed',
      error: { type: 'NonRetryableError', message: 'bad parameter', retryable: false },
    });
  });

  it('sends non-string results as JSON and no result for undefined', async () => {
    const { server, client } = await harness();
    client.register('simple-test', {
      concurrency: 2,
      execute: (ctx) => (ctx.param === 'json' ? { rows: 3 } : undefined),
    });
    await client.start();
    const [json, nothing] = server.dispatch({ param: 'json' }, {});
    expect((await server.waitFor(resultOf(json!.executionId))).message.result).toBe('{"rows":3}');
    expect((await server.waitFor(resultOf(nothing!.executionId))).message).toMatchObject({
      outcome: 'succeeded',
      result: null,
    });
  });

  it('aborts the signal when the timeout passes and reports TIMED_OUT', async () => {
    const { server, client } = await harness();
    let reason: unknown;
    client.register('simple-test', {
      async execute(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        reason = ctx.signal.reason;
        ctx.signal.throwIfAborted();
      },
    });
    await client.start();
    const [order] = server.dispatch({ timeoutMs: 100 });
    const { message: result } = await server.waitFor(resultOf(order!.executionId));
    expect(result).toMatchObject({
      outcome: 'timed_out',
      error: { type: 'ExecutionAbortedError', retryable: true },
    });
    expect(reason).toBeInstanceOf(ExecutionAbortedError);
    expect((reason as ExecutionAbortedError).reason).toBe(AbortReason.TimedOut);
  });

  it('aborts the signal on Cancel and reports CANCELLED (TIMED_OUT for a timeout cancel)', async () => {
    const { server, client } = await harness();
    client.register('simple-test', {
      concurrency: 2,
      execute: (ctx) =>
        new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped'))),
        ),
    });
    await client.start();
    const [requested, timedOut] = server.dispatch({}, {});
    await server.waitFor((m) => m.kind === 'started' && m.executionId === timedOut!.executionId);
    const cancelled = nextEvent(client, 'execution:cancelled');
    server.cancel(requested!, CancelReason.Requested, 'by a user');
    server.cancel(timedOut!, CancelReason.TimedOut);
    expect(await cancelled).toMatchObject({
      executionId: requested!.executionId,
      reason: 'requested',
    });
    const first = await server.waitFor(resultOf(requested!.executionId));
    expect(first.message).toMatchObject({
      outcome: 'cancelled',
      error: { message: 'cancelled by the server (requested): by a user' },
    });
    expect((await server.waitFor(resultOf(timedOut!.executionId))).message.outcome).toBe(
      'timed_out',
    );
  });

  it('shows a handler that reads its signal only after a Cancel that it is aborted, and why', async () => {
    const { server, client } = await harness();
    const cancelledSeen = gate();
    let signal: AbortSignal | undefined;
    client.register('simple-test', {
      async execute(ctx) {
        // The signal is made when first read: here only after the abort.
        await cancelledSeen.promise;
        signal = ctx.signal;
        signal.throwIfAborted();
        return 'not aborted';
      },
    });
    await client.start();
    const [order] = server.dispatch({});
    await server.waitFor((m) => m.kind === 'started' && m.executionId === order!.executionId);
    const cancelled = nextEvent(client, 'execution:cancelled');
    server.cancel(order!, CancelReason.Requested);
    await cancelled;
    cancelledSeen.open();
    const { message: result } = await server.waitFor(resultOf(order!.executionId));
    expect(result.outcome).toBe('cancelled');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(ExecutionAbortedError);
    expect((signal?.reason as ExecutionAbortedError).reason).toBe(AbortReason.Cancelled);
  });

  it('ignores a Cancel for an execution it does not hold, and reports in-flight load', async () => {
    const { server, client } = await harness();
    server.helloAnswer = { welcome: { heartbeatIntervalMs: 30 } };
    const release = gate();
    client.register('simple-test', {
      concurrency: 3,
      execute: () => release.promise.then(() => 'late'),
    });
    await client.start();
    const [order] = server.dispatch({});
    server.cancel({ executionId: 'not-held', attempt: 1 }, CancelReason.Requested);
    await server.waitFor(
      (m) => m.kind === 'heartbeat' && m.inFlight === 1 && m.handlers[0]?.inFlight === 1,
    );
    release.open();
    expect((await server.waitFor(resultOf(order!.executionId))).message.result).toBe('late');
  });
});
