import { checkGrpcHealth } from '@carillon/protocol';
import type { ServerObservability } from '@carillon/server';
import type { Stack, TestDatabase } from '@carillon/testkit';
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startObservedStack } from './observed-stack.js';
import type { ObservedStack } from './observed-stack.js';

/** The value of one sample of a Prometheus text exposition, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = new Map(
      [...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as const),
    );
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[4]);
  }
  return undefined;
}

describe('server metrics, and health over HTTP and gRPC (MariaDB)', () => {
  let observed: ObservedStack | undefined;
  let db: TestDatabase;
  let stack: Stack;
  let observe: ServerObservability;
  let groupId: string;
  let base: string;
  let rpc: string;

  beforeAll(async () => {
    observed = await startObservedStack('mariadb', 'observed', { port: 0 });
    ({ db, stack, observe, groupId } = observed);
    base = observe.listener?.url ?? '';
    rpc = stack.server.rpcAddress;
  });

  afterAll(() => observed?.close());

  it('a fire moves the counters and the lateness histogram', async () => {
    const scrape = async () => (await fetch(`${base}/metrics`)).text();
    const before = await scrape();
    expect(sample(before, 'carillon_fire_lateness_seconds_count', { group: groupId })).toBe(
      undefined,
    );
    expect(sample(before, 'carillon_clients_connected', { group: groupId })).toBe(1);
    expect(sample(before, 'carillon_coordinator_session_state', { state: 'connected' })).toBe(1);

    const ok = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'every second',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'echo',
    });
    const bad = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'fails every second',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'fail',
      param: 'fatal',
    });
    const after = await waitFor(
      'a success and a failure counted',
      async () => {
        const text = await scrape();
        const succeeded = sample(text, 'carillon_fires_total', {
          group: groupId,
          outcome: 'succeeded',
        });
        const failed = sample(text, 'carillon_fires_total', { group: groupId, outcome: 'failed' });
        return (succeeded ?? 0) >= 1 && (failed ?? 0) >= 1 ? text : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await stack.api('POST', `/api/v1/jobs/${ok.id}/disable`);
    await stack.api('POST', `/api/v1/jobs/${bad.id}/disable`);

    const claimed = sample(after, 'carillon_fires_total', { group: groupId, outcome: 'claimed' });
    const dispatched = sample(after, 'carillon_fires_total', {
      group: groupId,
      outcome: 'dispatched',
    });
    const succeeded = sample(after, 'carillon_fires_total', {
      group: groupId,
      outcome: 'succeeded',
    });
    const failed = sample(after, 'carillon_fires_total', { group: groupId, outcome: 'failed' });
    expect(claimed).toBeGreaterThanOrEqual(2);
    expect(dispatched).toBeGreaterThanOrEqual((succeeded ?? 0) + (failed ?? 0));
    const latenessCount = sample(after, 'carillon_fire_lateness_seconds_count', { group: groupId });
    expect(latenessCount).toBeGreaterThanOrEqual(2);
    // Every observation is in the +Inf bucket, and a started fire is not minutes late.
    expect(
      sample(after, 'carillon_fire_lateness_seconds_bucket', { group: groupId, le: '+Inf' }),
    ).toBe(latenessCount);
    expect(
      sample(after, 'carillon_fire_lateness_seconds_bucket', { group: groupId, le: '10' }),
    ).toBe(latenessCount);
    expect(
      sample(after, 'carillon_execution_run_seconds_count', {
        group: groupId,
        outcome: 'succeeded',
      }),
    ).toBe(succeeded);
    expect(sample(after, 'carillon_fires_waiting_for_client')).toBe(0);
    expect(sample(after, 'carillon_database_errors_total')).toBe(0);
    // The client declared capacity and runs nothing now; claims and changes were timed.
    expect(sample(after, 'carillon_client_free_slots')).toBeGreaterThan(0);
    for (const operation of ['claim', 'transition'])
      expect(
        sample(after, 'carillon_database_operation_seconds_count', { operation }),
      ).toBeGreaterThanOrEqual(1);

    // The same execution counts, as the store has them.
    const stored = await stack.stores.executions.get(
      (
        await stack.api<{ items: Array<{ id: string }> }>(
          'GET',
          `/api/v1/executions?jobId=${ok.id}&state=succeeded&limit=1`,
        )
      ).items[0]?.id ?? '',
    );
    expect(stored?.state).toBe('succeeded');
  });

  it('answers /livez and /readyz, and /readyz fails while the database is gone', async () => {
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'database', ok: true },
        { name: 'coordinator', ok: true },
        { name: 'claiming', ok: true },
      ],
    });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect(await checkGrpcHealth(rpc)).toBe('SERVING');
    expect(await checkGrpcHealth(rpc, { service: 'carillon.v1.Dispatcher' })).toBe('SERVING');
    expect(await checkGrpcHealth(rpc, { service: 'no.such.Service' })).toEqual({ code: 5 });

    await db.drop();
    expect(await checkGrpcHealth(rpc)).toBe('NOT_SERVING');
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { checks: Array<{ name: string; ok: boolean }> };
    expect(body.checks.find((c) => c.name === 'database')?.ok).toBe(false);
    expect(body.checks.find((c) => c.name === 'coordinator')?.ok).toBe(true);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'carillon_database_errors_total')).toBeGreaterThanOrEqual(1);
    // Liveness does not depend on the database.
    expect((await fetch(`${base}/livez`)).status).toBe(200);
  });
});
