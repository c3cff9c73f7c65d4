import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from './scenario.js';
import { startScenario } from './scenario.js';

// 200 jobs firing every second for 60 seconds: no fire missed, none run twice.
const JOBS = 200;
const SECONDS = Number(process.env['CARILLON_LOAD_SECONDS'] ?? 60);

let scenario: Scenario;

beforeAll(async () => {
  scenario = await startScenario({ group: 'load' });
});

afterAll(() => scenario?.stop());

describe(`${JOBS} jobs every second for ${SECONDS} s`, () => {
  it('runs every fire exactly once', { timeout: (SECONDS + 120) * 1000 }, async () => {
    const { stack, groupId } = scenario;
    const client = await scenario.startClient('load-client', 400);
    const jobIds: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const body = {
        groupId,
        name: `load ${i}`,
        description: 'load',
        trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
        handler: 'echo',
      };
      jobIds.push((await stack.api<{ id: number }>('POST', '/api/v1/jobs', body)).id);
    }
    // Count from the first whole second after every job is in.
    const from = Math.ceil((Date.now() + 2_000) / 1000) * 1000;
    const until = from + SECONDS * 1000;
    await new Promise((r) => setTimeout(r, until - Date.now() + 1_000));
    for (const id of jobIds) await stack.api('POST', `/api/v1/jobs/${id}/disable`);

    const expected = JOBS * SECONDS;
    const rows = await waitFor(
      'every fire in the window to finish',
      async () => {
        const found = await stack.stores.executions.page({
          states: ['claimed', 'dispatched', 'running'],
          limit: 1,
        });
        if (found.items.some((e) => e.scheduledAt >= from && e.scheduledAt < until))
          return undefined;
        const all = [];
        let cursor: string | null = null;
        do {
          const page = await stack.stores.executions.page({ limit: 500, cursor });
          all.push(...page.items);
          cursor = page.nextCursor;
        } while (cursor !== null);
        return all.filter((e) => e.scheduledAt >= from && e.scheduledAt < until);
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    const seen = new Set<string>();
    let duplicates = 0;
    for (const e of rows) {
      const key = `${e.jobId}@${e.scheduledAt}`;
      if (seen.has(key)) duplicates++;
      seen.add(key);
    }
    const succeeded = rows.filter((e) => e.state === 'succeeded').length;
    const others = rows
      .filter((e) => e.state !== 'succeeded')
      .slice(0, 3)
      .map((e) => `${e.state}: ${e.reason ?? ''}`);
    expect({ rows: rows.length, duplicates, succeeded, others }).toEqual({
      rows: expected,
      duplicates: 0,
      succeeded: expected,
      others: [],
    });
    // Each execution ran exactly once on the client: one 'started' event per execution.
    const started = client.events.filter(
      (e) => e.event === 'started' && e.scheduledAt! >= from && e.scheduledAt! < until,
    );
    expect(new Set(started.map((e) => e.executionId)).size).toBe(expected);
    expect(started.length).toBe(expected);
  });
});
