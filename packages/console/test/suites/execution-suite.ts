import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, START_MS } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob, signIn, watchGroupNotices } from '../fixtures.js';

type Fired = { executionId: string };

/** Trigger once, execution lists with cursor and filters, cancel, logs. */
export function defineExecutionSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('trigger and executions', () => {
    let h: Harness;
    let admin: string;
    let alice: { id: number; token: string };
    let notices: () => Promise<string[]>;

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      notices = watchGroupNotices(h);
      ({ admin, alice } = await signIn(h));
    });
    afterAll(async () => {
      await h?.close();
    });

    describe('trigger and executions', () => {
      let groupId: string;
      let apiJob: { id: number; param: string | null };

      beforeAll(async () => {
        groupId = await createGroup(h, alice.token, 'runs');
        apiJob = await createJob(h, alice.token, groupId, {
          name: 'by api',
          trigger: { type: 'api' },
          param: 'P0',
        });
      });

      it("trigger records a manual execution with the job's parameter or the one given", async () => {
        await notices();
        const first = await h.call('POST', `/api/v1/jobs/${apiJob.id}/trigger`, {
          token: alice.token,
        });
        expect(first.status).toBe(202);
        const id = first.body.executionId as string;
        expect(await notices()).toContain(groupId);
        const got = await h.call('GET', `/api/v1/executions/${id}`, { token: alice.token });
        expect(got.status).toBe(200);
        expect(got.body).toMatchObject({
          id,
          jobId: apiJob.id,
          groupId,
          cause: 'manual',
          state: 'claimed',
          attempt: 1,
          ownerServerId: null,
          param: 'P0',
          scheduledAt: h.clock.now(),
          clientId: null,
          startedAt: null,
          finishedAt: null,
          result: null,
        });
        const second = await h.call('POST', `/api/v1/jobs/${apiJob.id}/trigger`, {
          token: alice.token,
          body: { param: 'override' },
        });
        expect((await h.stores.executions.get(second.body.executionId as string))?.param).toBe(
          'override',
        );
      });

      it('a cron job can be triggered too; a disabled job cannot', async () => {
        const cron = await createJob(h, alice.token, groupId, { name: 'cron one' });
        expect(
          (await h.call('POST', `/api/v1/jobs/${cron.id}/trigger`, { token: alice.token })).status,
        ).toBe(202);
        await h.call('POST', `/api/v1/jobs/${cron.id}/disable`, { token: alice.token });
        const refused = await h.call('POST', `/api/v1/jobs/${cron.id}/trigger`, {
          token: alice.token,
        });
        expect(refused.status).toBe(409);
        expect(refused.body.error.message).toContain('disabled');
      });

      it('lists executions newest first, in pages, filtered by job, group and state', async () => {
        const job = await createJob(h, alice.token, groupId, {
          name: 'paged',
          trigger: { type: 'api' },
        });
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          h.clock.advance(1000);
          const answer = await h.call('POST', `/api/v1/jobs/${job.id}/trigger`, {
            token: alice.token,
          });
          ids.push(answer.body.executionId as string);
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        const sizes: number[] = [];
        do {
          const query: string = `/api/v1/executions?jobId=${job.id}&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
          const page = await h.call('GET', query, { token: alice.token });
          expect(page.status).toBe(200);
          sizes.push(page.body.items.length);
          for (const item of page.body.items as Array<{ id: string; jobId: number }>) {
            expect(item.jobId).toBe(job.id);
            seen.push(item.id);
          }
          cursor = page.body.nextCursor as string | null;
        } while (cursor !== null && sizes.length < 10);
        expect(seen).toEqual([...ids].reverse());
        expect(sizes.slice(0, 2)).toEqual([2, 2]);

        const all = await h.call('GET', `/api/v1/executions?jobId=${job.id}`, {
          token: alice.token,
        });
        const at = new Map(
          (all.body.items as Array<{ id: string; scheduledAt: number }>).map((x) => [
            x.id,
            x.scheduledAt,
          ]),
        );
        const from = at.get(ids[1] ?? '') ?? 0;
        const to = at.get(ids[3] ?? '') ?? 0;
        const window = await h.call(
          'GET',
          `/api/v1/executions?jobId=${job.id}&from=${from}&to=${to}`,
          { token: alice.token },
        );
        expect((window.body.items as Array<{ id: string }>).map((x) => x.id)).toEqual([
          ids[2],
          ids[1],
        ]);

        const claimed = await h.call('GET', `/api/v1/executions?jobId=${job.id}&state=claimed`, {
          token: alice.token,
        });
        expect(claimed.body.items).toHaveLength(5);
        const finished = await h.call(
          'GET',
          `/api/v1/executions?jobId=${job.id}&state=succeeded,failed`,
          {
            token: alice.token,
          },
        );
        expect(finished.body).toEqual({ items: [], nextCursor: null });
        const byGroup = await h.call('GET', `/api/v1/executions?groupId=${groupId}&limit=500`, {
          token: alice.token,
        });
        const groupIds = (byGroup.body.items as Array<{ id: string; groupId: string }>).map(
          (e) => e.id,
        );
        for (const id of ids) expect(groupIds).toContain(id);
        expect(
          (byGroup.body.items as Array<{ groupId: string }>).every((e) => e.groupId === groupId),
        ).toBe(true);
      });

      it('cancel marks an unfinished execution; a finished one gets 409', async () => {
        const job = await createJob(h, alice.token, groupId, {
          name: 'cancelled',
          trigger: { type: 'api' },
        });
        const a = await h.call<Fired>('POST', `/api/v1/jobs/${job.id}/trigger`, {
          token: alice.token,
        });
        await notices();
        const cancel = await h.call('POST', `/api/v1/executions/${a.body.executionId}/cancel`, {
          token: alice.token,
        });
        expect(cancel.status).toBe(202);
        expect(cancel.body.cancelRequestedAt).toBe(h.clock.now());
        expect(await notices()).toContain(groupId);

        // A server takes the second fire and runs it to success through the real store.
        const b = await h.call('POST', `/api/v1/jobs/${job.id}/trigger`, { token: alice.token });
        const taken = await h.stores.executions.takeUnowned('s-x', [job.id]);
        const mine = taken.find((e) => e.id === b.body.executionId);
        expect(mine).toBeDefined();
        const fence = { id: mine?.id ?? '', ownerServerId: 's-x', attempt: 1 };
        const now = h.clock.now();
        expect(
          await h.stores.executions.transition({ ...fence, from: ['claimed'] }, 'dispatched', {
            clientId: 'c-9',
            dispatchedAt: now,
          }),
        ).toBe(true);
        expect(
          await h.stores.executions.transition({ ...fence, from: ['dispatched'] }, 'running', {
            startedAt: now,
          }),
        ).toBe(true);
        expect(
          await h.stores.executions.transition({ ...fence, from: ['running'] }, 'succeeded', {
            finishedAt: now,
            result: 'done',
          }),
        ).toBe(true);
        const done = await h.call('GET', `/api/v1/executions/${fence.id}`, { token: alice.token });
        expect(done.body).toMatchObject({
          state: 'succeeded',
          clientId: 'c-9',
          startedAt: now,
          finishedAt: now,
          result: 'done',
          ownerServerId: 's-x',
        });
        const late = await h.call('POST', `/api/v1/executions/${fence.id}/cancel`, {
          token: alice.token,
        });
        expect(late.status).toBe(409);
      });

      it('reads logs in order after a sequence number', async () => {
        const answer = await h.call('POST', `/api/v1/jobs/${apiJob.id}/trigger`, {
          token: alice.token,
        });
        const executionId = answer.body.executionId as string;
        await h.stores.executions.appendLogs(
          ['one', 'two', 'three'].map((message, i) => ({
            executionId,
            at: START_MS + i,
            level: 'info' as const,
            message,
          })),
        );
        const all = await h.call('GET', `/api/v1/executions/${executionId}/logs`, {
          token: alice.token,
        });
        expect(all.status).toBe(200);
        expect((all.body.items as Array<{ message: string }>).map((l) => l.message)).toEqual([
          'one',
          'two',
          'three',
        ]);
        const firstSeq = all.body.items[0]?.seq as number;
        const after = await h.call(
          'GET',
          `/api/v1/executions/${executionId}/logs?afterSeq=${firstSeq}`,
          {
            token: alice.token,
          },
        );
        expect((after.body.items as Array<{ message: string }>).map((l) => l.message)).toEqual([
          'two',
          'three',
        ]);
      });

      it('admins list executions of every group; others must name a job or group', async () => {
        const all = await h.call('GET', '/api/v1/executions?limit=1', { token: admin });
        expect(all.status).toBe(200);
        expect(all.body.items).toHaveLength(1);
        const refused = await h.call('GET', '/api/v1/executions', { token: alice.token });
        expect(refused.status).toBe(400);
      });
    });
  });
}
