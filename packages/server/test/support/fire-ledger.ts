import type { Execution } from '@carillon/core';
import type { ServerEvents } from '@carillon/server';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { waitFor } from '@carillon/testkit';
import { expect } from 'vitest';

/** Creates `count` per-second jobs (handler `echo`, misfire `skip`) and returns their ids. */
export async function createPerSecondJobs(
  stack: Stack,
  groupId: string,
  count: number,
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: `every second ${i}`,
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'echo',
      // A wrongly missed instant shows as a skipped row, not as a fire that merely ran late.
      misfire: 'skip',
    });
    ids.push(id);
  }
  return ids;
}

/** Every execution of a job, oldest instant first. */
export async function executionsOf(stack: Stack, jobId: number): Promise<Execution[]> {
  const items: Execution[] = [];
  let cursor: string | null = null;
  do {
    const page = await stack.stores.executions.page({ jobId, limit: 500, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return items.sort((a, b) => a.scheduledAt - b.scheduledAt);
}

/** Resolves with the next `name` event of the stack's current server. */
export function nextServerEvent<K extends keyof ServerEvents>(
  stack: Stack,
  name: K,
  timeoutMs = 30_000,
): Promise<ServerEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = stack.server.events.on(name, (payload) => {
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/**
 * Waits until every job has fired past `until` and everything up to it has finished, then
 * checks the record: from each job's first fire to `until`, one execution per second, none
 * missing, none doubled, each a scheduled fire (not a misfire) that succeeded at its first
 * attempt and was started exactly once by the client.
 */
export async function expectEveryFireOnce(
  stack: Stack,
  client: ClientProcess,
  jobIds: readonly number[],
  until: number,
): Promise<void> {
  for (const jobId of jobIds) {
    const executions = await waitFor(
      `job ${jobId}: every fire up to ${new Date(until).toISOString()} finished`,
      async () => {
        const all = await executionsOf(stack, jobId);
        const upTo = all.filter((e) => e.scheduledAt <= until);
        const past = all.some((e) => e.scheduledAt > until);
        return past && upTo.every((e) => e.finishedAt !== null) ? upTo : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const instants = executions.map((e) => e.scheduledAt);
    expect(new Set(instants).size, `job ${jobId}: doubled instants`).toBe(instants.length);
    const gaps = instants.slice(1).filter((at, i) => at - instants[i]! !== 1_000);
    expect(gaps, `job ${jobId}: instants without an execution`).toEqual([]);
    const odd = executions.filter(
      (e) => e.cause !== 'schedule' || e.state !== 'succeeded' || e.attempt !== 1,
    );
    expect(
      odd.map(
        (e) =>
          `${new Date(e.scheduledAt).toISOString()} ${e.cause} ${e.state} #${e.attempt} ${e.reason}`,
      ),
      `job ${jobId}: fires not run once as scheduled`,
    ).toEqual([]);
    const starts = client.events.filter((e) => e.event === 'started' && e.jobId === jobId);
    for (const e of executions) {
      const started = starts.filter((s) => s.executionId === e.id);
      expect(started.length, `job ${jobId}: starts of ${e.id}`).toBe(1);
    }
  }
}

/** Waits until the client has started a fire of every job. */
export async function waitForFirstFires(
  client: ClientProcess,
  jobIds: readonly number[],
): Promise<void> {
  for (const jobId of jobIds)
    await client.waitForEvent((e) => e.event === 'started' && e.jobId === jobId);
}
