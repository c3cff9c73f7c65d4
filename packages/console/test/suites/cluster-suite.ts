import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@carillon/core';
import { Harness } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob, signIn } from '../fixtures.js';

const SERVER_ID = /^s-/;

/** Client tokens, discovery for the SDK, holders, and the servers and clients the console shows. */
export function defineClusterSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('client tokens, discovery and the cluster', () => {
    let h: Harness;
    let admin: string;
    let alice: { id: number; token: string };

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      ({ admin, alice } = await signIn(h));
    });
    afterAll(async () => {
      await h?.close();
    });

    describe('client tokens and discovery', () => {
      let groupId: string;
      let otherGroupId: string;
      let clientToken: string;

      beforeAll(async () => {
        groupId = await createGroup(h, alice.token, 'executors');
        otherGroupId = await createGroup(h, alice.token, 'other executors');
        const sg = Number(groupId.split('-')[1]);
        await h.coordinator.registerServer({
          serverId: 's-a',
          cluster: 101,
          serverGroup: sg,
          room: 'r1',
          rpcAddress: '127.0.0.1:7801',
        });
        await h.coordinator.registerServer({
          serverId: 's-b',
          cluster: 101,
          serverGroup: sg,
          room: 'r2',
          rpcAddress: '127.0.0.1:7802',
        });
        await h.coordinator.registerServer({
          serverId: 's-c',
          cluster: 101,
          serverGroup: 3 - sg,
          room: 'r1',
          rpcAddress: '127.0.0.1:7803',
        });
      });

      it('issues a client token that is stored only as a hash', async () => {
        const answer = await h.call('POST', `/api/v1/groups/${groupId}/tokens`, {
          token: alice.token,
          body: { name: 'worker fleet' },
        });
        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({ groupId, name: 'worker fleet' });
        clientToken = answer.body.token as string;
        expect(clientToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const { hashTokenSecret } = await import('@carillon/core');
        const stored = await h.stores.users.findToken(hashTokenSecret(clientToken));
        expect(stored).toMatchObject({ kind: 'client', groupId, userId: null });
      });

      it("discovery lists the live servers of the group's ServerGroup", async () => {
        const answer = await h.call('GET', `/api/v1/discovery?groupId=${groupId}`, {
          token: clientToken,
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({
          groupId,
          servers: [
            { serverId: 's-a', address: '127.0.0.1:7801', room: 'r1' },
            { serverId: 's-b', address: '127.0.0.1:7802', room: 'r2' },
          ],
        });
      });

      it('discovery names the group groupId=, like the rest of the API', async () => {
        const old = await h.call('GET', `/api/v1/discovery?group=${groupId}`, {
          token: clientToken,
        });
        expect(old.status).toBe(400);
      });

      it('discovery refuses other groups, strangers and bad tokens', async () => {
        const other = await h.call('GET', `/api/v1/discovery?groupId=${otherGroupId}`, {
          token: clientToken,
        });
        expect(other.status).toBe(403);
        const stranger = await h.user(admin, 'stranger-d');
        const byStranger = await h.call('GET', `/api/v1/discovery?groupId=${groupId}`, {
          token: stranger.token,
        });
        expect(byStranger.status).toBe(403);
        expect(byStranger.body).toEqual(other.body);
        const bad = await h.call('GET', `/api/v1/discovery?groupId=${groupId}`, {
          token: 'B'.repeat(43),
        });
        expect(bad.status).toBe(401);
        const owner = await h.call('GET', `/api/v1/discovery?groupId=${groupId}`, {
          token: alice.token,
        });
        expect(owner.status).toBe(200);
      });

      it('a client token serves discovery only', async () => {
        const answer = await h.call('GET', `/api/v1/groups/${groupId}`, { token: clientToken });
        expect(answer.status).toBe(403);
        const jobs = await h.call('GET', `/api/v1/jobs?groupId=${groupId}`, { token: clientToken });
        expect(jobs.status).toBe(403);
      });

      it('a revoked client token no longer discovers', async () => {
        const issued = await h.call('POST', `/api/v1/groups/${groupId}/tokens`, {
          token: alice.token,
          body: {},
        });
        const token = issued.body.token as string;
        expect(
          (await h.call('GET', `/api/v1/discovery?groupId=${groupId}`, { token })).status,
        ).toBe(200);
        const revoked = await h.call('POST', `/api/v1/groups/${groupId}/tokens/revoke`, {
          token: alice.token,
          body: { token },
        });
        expect(revoked.status).toBe(204);
        expect(
          (await h.call('GET', `/api/v1/discovery?groupId=${groupId}`, { token })).status,
        ).toBe(401);
      });

      it('jobs get holders among the live servers, in different rooms', async () => {
        const job = await createJob(h, alice.token, groupId);
        expect([...(job.holders as string[])].sort()).toEqual(['s-a', 's-b']);
      });

      it('jobs take turns as first holder (the one that claims their fires)', async () => {
        for (let i = 0; i < 19; i++) await createJob(h, alice.token, groupId);
        const list = await h.call<{ items: Job[] }>('GET', `/api/v1/jobs?groupId=${groupId}`, {
          token: alice.token,
        });
        const firsts = new Map<string, number>();
        for (const job of list.body.items) {
          const first = job.holders[0] ?? '';
          firsts.set(first, (firsts.get(first) ?? 0) + 1);
        }
        // Half each, give or take the one job the test before may have made. At random, 20
        // jobs came out that even about one time in six.
        const [a, b] = [firsts.get('s-a') ?? 0, firsts.get('s-b') ?? 0];
        expect(a + b, JSON.stringify(Object.fromEntries(firsts))).toBe(list.body.items.length);
        expect(Math.abs(a - b), JSON.stringify(Object.fromEntries(firsts))).toBeLessThanOrEqual(1);
      });

      it('GET /servers and GET /clients show what the coordinator knows', async () => {
        const servers = await h.call('GET', '/api/v1/servers', { token: alice.token });
        expect(servers.status).toBe(200);
        const ids = (servers.body.items as Array<{ serverId: string; live: boolean }>)
          .filter((s) => SERVER_ID.test(s.serverId))
          .map((s) => [s.serverId, s.live]);
        expect(ids).toEqual([
          ['s-a', true],
          ['s-b', true],
          ['s-c', true],
        ]);
        await h.coordinator.registerClient({
          clientId: 'c-1',
          groupId,
          serverId: 's-a',
          handlers: ['simple-test'],
          room: 'r1',
        });
        const clients = await h.call('GET', `/api/v1/clients?groupId=${groupId}`, {
          token: alice.token,
        });
        expect(clients.status).toBe(200);
        expect(clients.body.items).toEqual([
          { clientId: 'c-1', groupId, serverId: 's-a', handlers: ['simple-test'], room: 'r1' },
        ]);
      });
    });
  });
}
