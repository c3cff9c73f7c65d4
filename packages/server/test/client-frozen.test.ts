// A client process stopped (SIGSTOP: a debugger, a VM paused or migrated, a swap storm) while a
// handler runs, for longer than the fence interval. Its streams look open to it throughout and
// it reconnects within a fraction of a second once it runs again, so the fence timer it arms
// when a stream ends would never fire: the stop itself must fence it.
// - Stopped past the server's keepalive and fence: the server has dispatched the execution to
//   another client at attempt 2; the thawed handler must stop at once, not run beside it.
// - Stopped past the fence but not long enough for the server to notice: the client gives the
//   run up all the same, and the server must run it again rather than end it as cancelled.
import type { Execution } from '@carillon/core';
import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS } from '@carillon/protocol';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FENCE_MS = 3_000;
/** Past the server's keepalive detection and its fence interval, with room to spare. */
const FROZEN_MS = KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS + FENCE_MS + 3_000;
const HANDLER_MS = FROZEN_MS + 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a client stopped past the fence interval while its handler runs', () => {
  const database = testDatabases().find((d) => d.label === 'mariadb');
  if (database === undefined) throw new Error('no mariadb');
  let stack: Stack;
  const clients: ClientProcess[] = [];

  beforeAll(async () => {
    stack = await startStack({ dbUrl: await database.create(), server: { fenceMs: FENCE_MS } });
  });

  afterAll(async () => {
    for (const c of clients) c.resume();
    for (const c of clients) await c.stop();
    await stack?.stop();
    await database.drop();
  });

  /** A new task group with a `sleep` job of `sleepMs`: starts its clients, triggers the job. */
  async function scenario(name: string, sleepMs: number) {
    const { groupId, clientToken: token } = await stack.createGroup(name);
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name,
      description: 'sleeps',
      trigger: { type: 'api' },
      handler: 'sleep',
      param: String(sleepMs),
    });
    return {
      async client(clientId: string) {
        const c = await startClientProcess({
          console: stack.consoleUrl,
          group: groupId,
          token,
          clientId,
        });
        clients.push(c);
        return c;
      },
      async trigger() {
        return (
          await stack.api<{ executionId: string }>('POST', `/api/v1/jobs/${jobId}/trigger`, {})
        ).executionId;
      },
    };
  }

  it('stops its handler as soon as it runs again; the execution runs on elsewhere at attempt 2', async () => {
    const s = await scenario('frozen past detection', HANDLER_MS);
    const frozen = await s.client('frozen');
    const executionId = await s.trigger();
    await frozen.waitForEvent((e) => e.event === 'started' && e.executionId === executionId);
    const spare = await s.client('spare');
    const staleResult = new Promise<void>((resolve) => {
      const off = stack.server.events.on('report:stale', (e) => {
        if (e.executionId !== executionId || e.attempt !== 1 || e.kind !== 'result') return;
        off();
        resolve();
      });
    });
    frozen.pause();
    let resumedAt: number;
    try {
      const again = await spare.waitForEvent(
        (e) => e.event === 'started' && e.executionId === executionId,
        FROZEN_MS + 30_000,
      );
      expect(again.attempt).toBe(2);
      // Stopped for as long as the test says, whatever the server took to dispatch again.
      const left = FROZEN_MS - (Date.now() - (again.at ?? Date.now()));
      if (left > 0) await sleep(left);
    } finally {
      resumedAt = Date.now();
      frozen.resume();
    }
    const stopped = await frozen.waitForEvent(
      (e) => e.event === 'finished' && e.executionId === executionId,
      HANDLER_MS,
    );
    const stoppedAfterMs = (stopped.at ?? Number.NaN) - resumedAt;
    console.log(`client-frozen figures ${JSON.stringify({ stoppedAfterMs, FROZEN_MS })}`);
    expect(stopped).toMatchObject({ attempt: 1, outcome: 'failed', aborted: true });
    // At once: far under the fence interval, which the client would otherwise wait out (if
    // it stayed cut off) or never (it reconnects).
    expect(stoppedAfterMs).toBeLessThan(FENCE_MS / 2);
    // The frozen attempt's result, sent once it is back, changes nothing: the execution runs
    // on the spare at attempt 2.
    await staleResult;
    const record = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
    expect(record).toMatchObject({ state: 'running', attempt: 2, clientId: 'spare' });
  }, 120_000);

  it('stopped too briefly for the server to notice: the run it gave up runs again, not ended cancelled', async () => {
    const s = await scenario('stopped briefly', 4_000);
    const brief = await s.client('brief');
    const executionId = await s.trigger();
    await brief.waitForEvent((e) => e.event === 'started' && e.executionId === executionId);
    // Past the fence, well within the server's keepalive timeout: its stream stays up.
    brief.pause();
    await sleep(FENCE_MS + 1_000);
    brief.resume();
    const givenUp = await brief.waitForEvent(
      (e) => e.event === 'finished' && e.executionId === executionId,
    );
    expect(givenUp).toMatchObject({ attempt: 1, aborted: true });
    const record = await waitFor('the execution to end', async () => {
      const e = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
      return ['succeeded', 'failed', 'cancelled', 'timed_out'].includes(e.state) ? e : undefined;
    });
    expect(record).toMatchObject({ state: 'succeeded', attempt: 2, clientId: 'brief' });
  }, 60_000);
});
