import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Client } from '@carillon/client';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Stack } from '@carillon/testkit';
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startObservedStack } from './observed-stack.js';
import type { ObservedStack } from './observed-stack.js';

const hrMs = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;

describe('a span per fire, from claim to result (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let observed: ObservedStack | undefined;
  let stack: Stack;
  let groupId: string;

  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(contextManager.enable());
    observed = await startObservedStack('sqlite', 'traced', { processMetrics: false });
    ({ stack, groupId } = observed);
  });

  afterAll(async () => {
    await observed?.close();
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it('records claim, dispatch, start and the outcome of each fire', async () => {
    const create = async (name: string, handler: string, param: string) =>
      (
        await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
          groupId,
          name,
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler,
          param,
        })
      ).id;
    const ok = await create('traced ok', 'echo', 'hi');
    const bad = await create('traced failure', 'fail', 'fatal');
    const ofJob = (jobId: number) => (s: ReadableSpan) => s.attributes['carillon.job.id'] === jobId;
    const spans = await waitFor(
      'a finished span of each job',
      () => {
        const done = exporter.getFinishedSpans();
        return done.some(ofJob(ok)) && done.some(ofJob(bad)) ? done : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    await stack.api('POST', `/api/v1/jobs/${ok}/disable`);
    await stack.api('POST', `/api/v1/jobs/${bad}/disable`);

    const okSpan = spans.find(ofJob(ok));
    expect(okSpan?.name).toBe('carillon.fire');
    expect(okSpan?.attributes).toMatchObject({
      'carillon.group.id': groupId,
      'carillon.execution.cause': 'schedule',
      'carillon.execution.state': 'succeeded',
    });
    expect(okSpan?.events.map((e) => e.name)).toEqual(['dispatched', 'started']);
    expect(okSpan?.status.code).not.toBe(SpanStatusCode.ERROR);
    const execution = await stack.stores.executions.get(
      String(okSpan?.attributes['carillon.execution.id']),
    );
    expect(execution?.state).toBe('succeeded');
    // Begun at the claim (the row's creation), ended when the result was recorded. Not checked
    // against the instant: the first fire of a job created just before it is claimed when the
    // server learns of the job, which may be after it (claim-ahead.test.ts covers the lead).
    expect(hrMs(okSpan?.startTime ?? [0, 0])).toBe(execution?.createdAt);
    expect(hrMs(okSpan?.endTime ?? [0, 0])).toBe(execution?.finishedAt);

    const badSpan = spans.find(ofJob(bad));
    expect(badSpan?.attributes['carillon.execution.state']).toBe('failed');
    expect(badSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(badSpan?.status.message).toContain('fatal failure');
  });

  it("propagates the fire's context to the client: the handler's own span joins the trace", async () => {
    // A client of the traced group, in this process so that one provider sees both ends.
    const tokenOfGroup = await stack.api<{ token: string }>(
      'POST',
      `/api/v1/groups/${groupId}/tokens`,
      { name: 'in-process sdk' },
    );
    const client = new Client({
      console: stack.consoleUrl,
      group: groupId,
      token: tokenOfGroup.token,
    });
    client.register('traced-handler', {
      concurrency: 1,
      async execute(ctx) {
        const span = trace.getTracer('user-code').startSpan('user.work');
        span.setAttribute('carillon.execution.id', ctx.executionId);
        await new Promise((r) => setTimeout(r, 5));
        span.end();
        return 'traced';
      },
    });
    await client.start();
    try {
      const job = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
        groupId,
        name: 'traced handler',
        trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
        handler: 'traced-handler',
      });
      const spans = await waitFor(
        'the fire, client and handler spans of one execution',
        () => {
          const done = exporter.getFinishedSpans();
          const fire = done.find(
            (s) => s.name === 'carillon.fire' && s.attributes['carillon.job.id'] === job.id,
          );
          const id = fire?.attributes['carillon.execution.id'];
          const mine = done.filter((s) => s.attributes['carillon.execution.id'] === id);
          return fire !== undefined && mine.length === 3 ? mine : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      await stack.api('POST', `/api/v1/jobs/${job.id}/disable`);
      const fire = spans.find((s) => s.name === 'carillon.fire');
      const execute = spans.find((s) => s.name === 'carillon.execute');
      const work = spans.find((s) => s.name === 'user.work');
      const traceId = fire?.spanContext().traceId;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(execute?.spanContext().traceId).toBe(traceId);
      expect(execute?.parentSpanContext?.spanId).toBe(fire?.spanContext().spanId);
      expect(work?.spanContext().traceId).toBe(traceId);
      expect(work?.parentSpanContext?.spanId).toBe(execute?.spanContext().spanId);
    } finally {
      await client.stop({ graceMs: 1_000 });
    }
  });
});
