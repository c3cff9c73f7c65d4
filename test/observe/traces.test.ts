import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ServerObservability } from '@carillon/server';
import { observeServer } from '@carillon/server';
import type { ClientProcess, Stack, TestDatabase } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const hrMs = (t: [number, number]): number => t[0] * 1000 + t[1] / 1e6;

describe('a span per fire, from claim to result (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let db: TestDatabase;
  let stack: Stack;
  let observe: ServerObservability;
  let client: ClientProcess | undefined;
  let groupId: string;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    const found = testDatabases().find((d) => d.label === 'sqlite');
    if (found === undefined) throw new Error('no SQLite test database');
    db = found;
    stack = await startStack({ dbUrl: await db.create() });
    observe = await observeServer({
      server: stack.server,
      stores: stack.stores,
      coordinator: stack.coordinator,
      processMetrics: false,
    });
    const group = await stack.createGroup('traced');
    groupId = group.groupId;
    client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: group.clientToken,
      clientId: 'traced-client',
    });
  });

  afterAll(async () => {
    await client?.stop();
    await observe?.close();
    await stack?.stop();
    await db?.drop();
    await provider.shutdown();
    trace.disable();
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
    // Claimed ahead of the instant; ended when the result was recorded.
    expect(hrMs(okSpan?.startTime ?? [0, 0])).toBeLessThanOrEqual(execution?.scheduledAt ?? 0);
    expect(hrMs(okSpan?.endTime ?? [0, 0])).toBe(execution?.finishedAt);

    const badSpan = spans.find(ofJob(bad));
    expect(badSpan?.attributes['carillon.execution.state']).toBe('failed');
    expect(badSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(badSpan?.status.message).toContain('fatal failure');
  });
});
