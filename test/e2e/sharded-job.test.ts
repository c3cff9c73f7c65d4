import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Execution, Subtask } from '@carillon/core';
import type { ClientProcess, LedgerLine, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Sharded jobs and broadcast routing with clients in their own processes (the real SDK over
// real gRPC), on MariaDB and SQLite: every shard of every fire runs exactly once with its param, spread over
// the clients; a client SIGKILLed mid-shard has its shard run again elsewhere, nothing done
// twice; a broadcast fire runs once on each client (of the pinned room), and a client killed
// mid-share fails its share without it moving.

const FENCE_MS = 2_000;
const UNFINISHED = ['claimed', 'dispatched', 'running'];

for (const db of testDatabases()) {
  describe(`sharded jobs and broadcast routing on ${db.label}, clients in separate processes`, () => {
    let stack: Stack;
    let groupId: string;
    let clientToken: string;
    const clients = new Map<string, ClientProcess>();
    const ledger = join(mkdtempSync(join(tmpdir(), 'carillon-sharded-')), 'ledger.jsonl');

    const lines = async (): Promise<LedgerLine[]> =>
      (await readFile(ledger, 'utf8').catch(() => ''))
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as LedgerLine);

    const startClient = async (clientId: string, room: string): Promise<void> => {
      clients.set(
        clientId,
        await startClientProcess({
          console: stack.consoleUrl,
          group: groupId,
          token: clientToken,
          clientId,
          concurrency: 4,
          ledger,
          room,
        }),
      );
    };

    beforeAll(async () => {
      stack = await startStack({ dbUrl: await db.create(), server: { fenceMs: FENCE_MS } });
      ({ groupId, clientToken } = await stack.createGroup('sharded'));
      await startClient('a', 'r1');
      await startClient('b', 'r1');
      await startClient('c', 'r2');
    }, 120_000);

    afterAll(async () => {
      for (const client of clients.values()) await client.stop().catch(() => undefined);
      await stack?.stop();
      await db.drop();
    });

    const createJob = (body: Record<string, unknown>): Promise<{ id: number }> =>
      stack.api<{ id: number }>('POST', '/api/v1/jobs', { groupId, description: '', ...body });

    const finished = (executionId: string): Promise<Execution> =>
      waitFor(
        'the execution to end',
        async () => {
          const e = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
          return UNFINISHED.includes(e.state) ? undefined : e;
        },
        { timeoutMs: 60_000 },
      );

    /** The first `n` fires of a per-second job, once ended (the job disabled after them). */
    const fires = async (jobId: number, n: number): Promise<Execution[]> => {
      const page = await waitFor(`${n} fires of job ${jobId}`, async () => {
        const p = await stack.api<{ items: Execution[] }>(
          'GET',
          `/api/v1/executions?jobId=${jobId}&limit=50`,
        );
        return p.items.length >= n ? p.items : undefined;
      });
      await stack.api('POST', `/api/v1/jobs/${jobId}/disable`);
      const first = page.sort((x, y) => x.scheduledAt - y.scheduledAt).slice(0, n);
      return Promise.all(first.map((e) => finished(e.id)));
    };

    const subtasksOf = (executionId: string): Promise<readonly Subtask[]> =>
      stack.stores.subtasks.listByExecution(executionId);

    it(
      'runs every shard of every fire exactly once with its param, over all clients',
      { timeout: 120_000 },
      async () => {
        const params = ['Beijing', 'Shanghai', 'Guangzhou', null, 'Shenzhen', 'Hangzhou'];
        const { id } = await createJob({
          name: 'sharded task test',
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler: 'echo',
          kind: 'sharded',
          shardCount: 6,
          shardParams: '0=Beijing,1=Shanghai,2=Guangzhou,4=Shenzhen,5=Hangzhou',
        });
        const executions = await fires(id, 3);
        const all = await lines();
        const used = new Set<string>();
        for (const e of executions) {
          expect(e.state, e.reason ?? '').toBe('succeeded');
          const subtasks = await subtasksOf(e.id);
          expect(subtasks).toHaveLength(6);
          for (const s of subtasks) {
            const index = s.seq - 1;
            expect(s.state).toBe('succeeded');
            expect(s.attempt).toBe(1);
            expect(s.result).toBe(`shard ${index}/6:${params[index] ?? ''}`);
          }
          const ends = all.filter((l) => l.parentId === e.id && l.event === 'end');
          // Exactly once each: six runs, six shards, each with its own param.
          expect(ends).toHaveLength(6);
          expect(ends.map((l) => l.shard?.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
          for (const l of ends) {
            expect(l.outcome).toBe('succeeded');
            expect(l.shard?.count).toBe(6);
            expect(l.shard?.param).toBe(params[l.shard?.index ?? -1]);
            used.add(l.clientId);
          }
          // The store agrees with the ledger on where each shard ran.
          const where = new Map(ends.map((l) => [l.executionId, l.clientId]));
          for (const s of subtasks) expect(s.clientId).toBe(where.get(s.id));
          // The console shows the shards as the execution's subtasks.
          const viewed = await stack.api<{ subtaskProgress: { total: number; succeeded: number } }>(
            'GET',
            `/api/v1/executions/${e.id}`,
          );
          expect(viewed.subtaskProgress).toMatchObject({ total: 6, succeeded: 6 });
          const listed = await stack.api<{ items: Array<{ payload: string }> }>(
            'GET',
            `/api/v1/executions/${e.id}/subtasks`,
          );
          expect(listed.items.map((s) => JSON.parse(s.payload) as unknown)).toEqual(
            params.map((param, index) => ({ index, param })),
          );
          // Spread: a fire's shards go to the clients with the most free slots. A fire that
          // comes while the last one's Results are still on their way may find one client full,
          // so each fire is asked to use two clients at least, and all fires together all three.
          const perClient = new Map<string, number>();
          for (const l of ends) perClient.set(l.clientId, (perClient.get(l.clientId) ?? 0) + 1);
          console.log(`[sharded] fire ${e.id}: ${JSON.stringify(Object.fromEntries(perClient))}`);
          expect(perClient.size).toBeGreaterThanOrEqual(2);
        }
        expect([...used].sort()).toEqual(['a', 'b', 'c']);
      },
    );

    it(
      'a broadcast fire runs once on each client of the pinned room, each fire',
      { timeout: 120_000 },
      async () => {
        const { id } = await createJob({
          name: 'broadcast to r1',
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler: 'echo',
          routing: 'broadcast',
          routeRoom: 'r1',
        });
        const executions = await fires(id, 2);
        const all = await lines();
        for (const e of executions) {
          expect(e.state, e.reason ?? '').toBe('succeeded');
          const subtasks = await subtasksOf(e.id);
          expect(subtasks.map((s) => s.clientId).sort()).toEqual(['a', 'b']);
          const ends = all.filter((l) => l.parentId === e.id && l.event === 'end');
          expect(ends.map((l) => l.clientId).sort()).toEqual(['a', 'b']);
          expect(ends.map((l) => `${l.shard?.index}/${l.shard?.count}`).sort()).toEqual([
            '0/2',
            '1/2',
          ]);
        }

        const everyone = await createJob({
          name: 'broadcast to all',
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler: 'echo',
          routing: 'broadcast',
        });
        for (const e of await fires(everyone.id, 2)) {
          expect(e.state, e.reason ?? '').toBe('succeeded');
          const ends = (await lines()).filter((l) => l.parentId === e.id && l.event === 'end');
          expect(ends.map((l) => l.clientId).sort()).toEqual(['a', 'b', 'c']);
        }
      },
    );

    it(
      'a client SIGKILLed mid-shard: its shard runs again elsewhere, nothing twice as done',
      { timeout: 180_000 },
      async () => {
        await startClient('doomed', 'r2');
        const { id } = await createJob({
          name: 'sharded, a client dies',
          trigger: { type: 'api' },
          handler: 'sleep',
          param: '3000',
          kind: 'sharded',
          shardCount: 8,
        });
        const { executionId } = await stack.api<{ executionId: string }>(
          'POST',
          `/api/v1/jobs/${id}/trigger`,
          {},
        );
        const doomed = clients.get('doomed') as ClientProcess;
        const held = await waitFor(
          'the doomed client running a shard',
          async () => {
            const mine = (await lines()).filter(
              (l) => l.parentId === executionId && l.clientId === 'doomed' && l.event === 'start',
            );
            return mine.length > 0 ? mine : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 20 },
        );
        await doomed.kill();
        clients.delete('doomed');

        const e = await finished(executionId);
        expect(e.state, e.reason ?? '').toBe('succeeded');
        const subtasks = await subtasksOf(executionId);
        expect(subtasks).toHaveLength(8);
        expect(subtasks.every((s) => s.state === 'succeeded')).toBe(true);
        const all = (await lines()).filter((l) => l.parentId === executionId);
        const ends = all.filter((l) => l.event === 'end' && l.outcome === 'succeeded');
        // Each shard ended well once in the ledger (the killed client never reported its end).
        expect(ends.map((l) => l.shard?.index).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
        for (const s of subtasks) {
          const end = ends.find((l) => l.executionId === s.id);
          expect(end?.clientId).toBe(s.clientId);
          expect(end?.attempt).toBe(s.attempt);
        }
        // What the killed client held ran again elsewhere, at the next attempt.
        for (const run of held) {
          const s = subtasks.find((x) => x.id === run.executionId);
          expect(s?.clientId).not.toBe('doomed');
          expect(s?.attempt).toBe(run.attempt + 1);
        }
      },
    );

    it(
      'a broadcast share whose client is SIGKILLed fails as lost; it does not move',
      { timeout: 180_000 },
      async () => {
        await startClient('doomed2', 'r2');
        const { id } = await createJob({
          name: 'broadcast, a client dies',
          trigger: { type: 'api' },
          handler: 'sleep',
          param: '2000',
          routing: 'broadcast',
        });
        const { executionId } = await stack.api<{ executionId: string }>(
          'POST',
          `/api/v1/jobs/${id}/trigger`,
          {},
        );
        const doomed = clients.get('doomed2') as ClientProcess;
        await waitFor(
          'the doomed client running its share',
          async () =>
            (await lines()).some(
              (l) => l.parentId === executionId && l.clientId === 'doomed2' && l.event === 'start',
            ) || undefined,
          { timeoutMs: 30_000, intervalMs: 20 },
        );
        await doomed.kill();
        clients.delete('doomed2');

        const e = await finished(executionId);
        expect(e.state).toBe('partially_failed');
        expect(e.reason).toBe('1 of 4 subtasks did not succeed');
        const subtasks = await subtasksOf(executionId);
        const lost = subtasks.find((s) => s.clientId === 'doomed2');
        expect(lost?.state).toBe('failed');
        expect(lost?.reason).toContain('doomed2 lost');
        expect(
          subtasks
            .filter((s) => s.state === 'succeeded')
            .map((s) => s.clientId)
            .sort(),
        ).toEqual(['a', 'b', 'c']);
        // Nobody else ran the lost share.
        const runsOfLost = (await lines()).filter(
          (l) => l.executionId === lost?.id && l.event === 'start',
        );
        expect(runsOfLost.map((l) => l.clientId)).toEqual(['doomed2']);
      },
    );
  });
}
