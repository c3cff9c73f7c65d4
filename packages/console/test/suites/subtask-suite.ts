import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubtaskState } from '@carillon/core';
import { ADMIN, Harness } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob, grant } from '../fixtures.js';

type User = { id: number; token: string };
type Listed = {
  id: string;
  seq: number;
  payload: string;
  state: string;
  attempt: number;
  clientId: string | null;
  dispatchedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  result: string | null;
  reason: string | null;
  truncated: string[];
};
type SubtaskPage = { items: Listed[]; nextAfter: number | null };

const SERVER = 's-sub';

/**
 * Subtask progress on execution detail and the paged subtask list, over subtasks written straight
 * through the store (as the server writes them), with the rights of reading an execution.
 */
export function defineSubtaskSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('subtasks of parallel executions', () => {
    let h: Harness;
    let admin: string;
    let owner: User;
    let viewer: User;
    let stranger: User;
    let groupId: string;
    let executionId: string;
    let simpleExecutionId: string;
    /** Subtask ids by position (1-based, index 0 unused). */
    const ids: string[] = [''];

    /** An execution of a job that the store says is parallel (the console refuses the kind). */
    const parallelExecution = async (name: string): Promise<{ id: string; jobId: number }> => {
      const job = await createJob(h, owner.token, groupId, { name, trigger: { type: 'api' } });
      const changed = await h.stores.jobs.update(
        job.id,
        job.version,
        { kind: 'parallel' },
        h.clock.now(),
      );
      expect(changed?.kind).toBe('parallel');
      const fired = await h.call('POST', `/api/v1/jobs/${job.id}/trigger`, {
        token: owner.token,
      });
      expect(fired.status).toBe(202);
      return { id: fired.body.executionId as string, jobId: job.id };
    };

    /** Moves subtask `seq` through the store, as the owning server would. */
    const move = async (
      seq: number,
      from: SubtaskState,
      to: SubtaskState,
      patch: Record<string, unknown> = {},
    ): Promise<void> => {
      const applied = await h.stores.subtasks.transition(
        { id: ids[seq] ?? '', from: [from], ownerServerId: SERVER, attempt: 1 },
        to,
        patch,
      );
      expect(applied, `subtask ${seq} ${from} → ${to}`).toBe(true);
    };

    const list = (path: string, token = owner.token) =>
      h.call<SubtaskPage>('GET', `/api/v1/executions/${executionId}/subtasks${path}`, { token });

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      admin = await h.login(ADMIN.username, ADMIN.password);
      owner = await h.user(admin, 'sub-owner');
      viewer = await h.user(admin, 'sub-viewer');
      stranger = await h.user(admin, 'sub-stranger');
      groupId = await createGroup(h, owner.token, 'fan-out');
      await grant(h, owner.token, groupId, viewer.id, 'viewer');
      await createGroup(h, stranger.token, 'elsewhere');
      const simple = await createJob(h, owner.token, groupId, {
        name: 'simple',
        trigger: { type: 'api' },
      });
      const fired = await h.call('POST', `/api/v1/jobs/${simple.id}/trigger`, {
        token: owner.token,
      });
      simpleExecutionId = fired.body.executionId as string;

      const parallel = await parallelExecution('parallel task test');
      executionId = parallel.id;
      // 250 subtasks: the 7th has a long payload with characters outside the BMP.
      const long = `${'🔔'.repeat(300)}${'x'.repeat(700)}`;
      const made = await h.stores.subtasks.insertBatch(
        executionId,
        Array.from({ length: 250 }, (_, i) => ({
          id: randomUUID(),
          payload: i === 6 ? long : `item-${i + 1}`,
        })),
        h.clock.now(),
      );
      for (const s of made) ids[s.seq] = s.id;
      const taken = await h.stores.executions.takeUnowned(SERVER, [parallel.jobId]);
      expect(taken.map((e) => e.id)).toContain(executionId);
    });
    afterAll(async () => {
      await h?.close();
    });

    it('execution detail has subtaskProgress: zeros before dispatch, null for a simple job', async () => {
      const simple = await h.call('GET', `/api/v1/executions/${simpleExecutionId}`, {
        token: owner.token,
      });
      expect(simple.status).toBe(200);
      expect(simple.body.subtaskProgress).toBeNull();
      const empty = await parallelExecution('not dispatched yet');
      const none = await h.call('GET', `/api/v1/executions/${empty.id}`, { token: owner.token });
      expect(none.body.subtaskProgress).toEqual({
        total: 0,
        pending: 0,
        dispatched: 0,
        running: 0,
        succeeded: 0,
        failed: 0,
        timedOut: 0,
        cancelled: 0,
      });
      // Lists leave it out: it would cost one query per row.
      const rows = await h.call('GET', `/api/v1/executions?groupId=${groupId}`, {
        token: owner.token,
      });
      expect(rows.body.items.length).toBeGreaterThan(0);
      for (const row of rows.body.items) expect(row).not.toHaveProperty('subtaskProgress');
    });

    it('counts subtasks by state as they move, and lists them with what the server recorded', async () => {
      const now = h.clock.now();
      for (let seq = 1; seq <= 12; seq++) {
        await move(seq, 'pending', 'dispatched', { clientId: `c-${seq % 3}`, dispatchedAt: now });
      }
      for (let seq = 4; seq <= 12; seq++) {
        await move(seq, 'dispatched', 'running', { startedAt: now + 1 });
      }
      for (let seq = 6; seq <= 9; seq++) {
        await move(seq, 'running', 'succeeded', { finishedAt: now + 2, result: `ok ${seq}` });
      }
      await move(10, 'running', 'failed', { finishedAt: now + 3, reason: 'boom' });
      await move(11, 'running', 'timed_out', { finishedAt: now + 4, reason: 'too slow' });
      await move(12, 'running', 'cancelled', { finishedAt: now + 5 });
      await move(13, 'pending', 'cancelled', { reason: 'by a user' });

      const detail = await h.call('GET', `/api/v1/executions/${executionId}`, {
        token: viewer.token,
      });
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ id: executionId, state: 'claimed' });
      expect(detail.body.subtaskProgress).toEqual({
        total: 250,
        pending: 237,
        dispatched: 3,
        running: 2,
        succeeded: 4,
        failed: 1,
        timedOut: 1,
        cancelled: 2,
      });

      const page = await list('?limit=13', viewer.token);
      expect(page.status).toBe(200);
      expect(page.body.items.map((s) => s.seq)).toEqual(
        Array.from({ length: 13 }, (_, i) => i + 1),
      );
      expect(page.body.nextAfter).toBe(13);
      expect(page.body.items[0]).toEqual({
        id: ids[1],
        executionId,
        seq: 1,
        payload: 'item-1',
        state: 'dispatched',
        attempt: 1,
        clientId: 'c-1',
        createdAt: now,
        dispatchedAt: now,
        startedAt: null,
        finishedAt: null,
        result: null,
        reason: null,
        truncated: [],
      });
      expect(page.body.items[7]).toMatchObject({
        seq: 8,
        state: 'succeeded',
        clientId: 'c-2',
        startedAt: now + 1,
        finishedAt: now + 2,
        result: 'ok 8',
      });
      expect(page.body.items[9]).toMatchObject({ state: 'failed', reason: 'boom' });
      expect(page.body.items[10]).toMatchObject({ state: 'timed_out', reason: 'too slow' });
    });

    it('pages by seq with after and limit (default 100); nextAfter is null exactly on the last page', async () => {
      const seen: number[] = [];
      const sizes: number[] = [];
      let after: number | null = 0;
      while (after !== null && sizes.length < 10) {
        const page = await list(after === 0 ? '' : `?after=${after}`);
        expect(page.status).toBe(200);
        sizes.push(page.body.items.length);
        seen.push(...page.body.items.map((s) => s.seq));
        after = page.body.nextAfter;
      }
      expect(sizes).toEqual([100, 100, 50]);
      expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
      // A page that ends on the last subtask says so, though it is full.
      const exact = await list('?after=200&limit=50');
      expect(exact.body.items).toHaveLength(50);
      expect(exact.body.nextAfter).toBeNull();
      const beyond = await list('?after=250');
      expect(beyond.body).toEqual({ items: [], nextAfter: null });
      const most = await list('?limit=1000');
      expect(most.body.items).toHaveLength(250);
    });

    it('filters by state (comma-separated) and pages the filtered list', async () => {
      const ended = await list('?state=failed,timed_out,cancelled');
      expect(ended.body.items.map((s) => [s.seq, s.state])).toEqual([
        [10, 'failed'],
        [11, 'timed_out'],
        [12, 'cancelled'],
        [13, 'cancelled'],
      ]);
      const first = await list('?state=succeeded&limit=3');
      expect(first.body.items.map((s) => s.seq)).toEqual([6, 7, 8]);
      expect(first.body.nextAfter).toBe(8);
      const rest = await list('?state=succeeded&limit=3&after=8');
      expect(rest.body.items.map((s) => s.seq)).toEqual([9]);
      expect(rest.body.nextAfter).toBeNull();
      const pending = await list('?state=pending&limit=1000');
      expect(pending.body.items).toHaveLength(237);
      expect(pending.body.items.every((s) => s.state === 'pending')).toBe(true);
    });

    it('cuts long text in the list to 500 characters and gives it whole from the subtask route', async () => {
      const page = await list('?after=6&limit=1');
      const item = page.body.items[0];
      expect(item?.seq).toBe(7);
      expect(item?.truncated).toEqual(['payload']);
      // 500 code points, never half a surrogate pair.
      expect([...(item?.payload ?? '')]).toHaveLength(500);
      expect(item?.payload).toBe(`${'🔔'.repeat(300)}${'x'.repeat(200)}`);
      const whole = await h.call<Listed>(
        'GET',
        `/api/v1/executions/${executionId}/subtasks/${ids[7]}`,
        { token: viewer.token },
      );
      expect(whole.status).toBe(200);
      expect(whole.body.payload).toBe(`${'🔔'.repeat(300)}${'x'.repeat(700)}`);
      expect(whole.body.truncated).toEqual([]);
    });

    it('refuses bad query values with a 400 that names the field', async () => {
      for (const query of [
        '?limit=0',
        '?limit=1001',
        '?limit=ten',
        '?after=-1',
        '?after=1.5',
        '?state=',
        '?cursor=abc',
      ]) {
        const answer = await list(query);
        expect(answer.status, query).toBe(400);
        expect((answer.body as unknown as { error: { code: string } }).error.code, query).toBe(
          'CARILLON_INVALID_REQUEST',
        );
      }
      const unknown = await list('?state=succeeded,done');
      expect(unknown.status).toBe(400);
      const error = (unknown.body as unknown as { error: { code: string; message: string } }).error;
      expect(error.code).toBe('CARILLON_INVALID_ARGUMENT');
      expect(error.message).toContain('query.state');
      expect(error.message).toContain('done');
    });

    it('a subtask of another execution, or none, is 404; a malformed subtask id too', async () => {
      const other = await parallelExecution('another');
      const [foreign] = await h.stores.subtasks.insertBatch(
        other.id,
        [{ id: randomUUID(), payload: 'elsewhere' }],
        h.clock.now(),
      );
      for (const subtaskId of [foreign?.id, randomUUID(), 'not-a-uuid']) {
        const answer = await h.call(
          'GET',
          `/api/v1/executions/${executionId}/subtasks/${subtaskId}`,
          { token: owner.token },
        );
        expect(answer.status, subtaskId).toBe(404);
        expect(answer.body.error.code).toBe('CARILLON_NOT_FOUND');
      }
      const missing = await h.call('GET', `/api/v1/executions/${randomUUID()}/subtasks`, {
        token: admin,
      });
      expect(missing.status).toBe(404);
    });

    it('a user without a role on the group gets the 403 of execution detail, whether it exists or not', async () => {
      const paths = [
        `/api/v1/executions/${executionId}`,
        `/api/v1/executions/${executionId}/subtasks`,
        `/api/v1/executions/${executionId}/subtasks?state=failed&limit=5`,
        `/api/v1/executions/${executionId}/subtasks/${ids[1]}`,
      ];
      const detail = await h.call('GET', paths[0] ?? '', { token: stranger.token });
      expect(detail.status).toBe(403);
      for (const path of paths) {
        const answer = await h.call('GET', path, { token: stranger.token });
        expect(answer.status, path).toBe(403);
        expect(answer.body).toEqual(detail.body);
        const missing = await h.call('GET', path.replace(executionId, randomUUID()), {
          token: stranger.token,
        });
        expect(missing.body, path).toEqual(detail.body);
      }
      const unauthenticated = await h.call('GET', paths[1] ?? '');
      expect(unauthenticated.status).toBe(401);
    });
  });
}
