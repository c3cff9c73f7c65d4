import type { AlertDelivery, Execution } from '@carillon/core';
import type { ConsoleApp } from '@carillon/console';
import { createConsole } from '@carillon/console';
import type { ServerObservability } from '@carillon/server';
import { CarillonServer, observeServer } from '@carillon/server';
import type { ClientProcess, Stack, TestDatabase } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, startWebhookReceiver } from './alert-sinks.js';

const SECRET = 'a-webhook-secret-of-some-length';
const SERVER = { misfireThresholdMs: 1_000 } as const;

describe.each(testDatabases().map((db) => [db.label, db] as const))(
  'alerts raised by the server (%s)',
  (_label, db: TestDatabase) => {
    let stack: Stack;
    let observe: ServerObservability;
    let client: ClientProcess | undefined;
    let webhook: Awaited<ReturnType<typeof startWebhookReceiver>>;
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
    let groupId: string;
    let testingConsole: ConsoleApp | undefined;

    const observeOn = (server: CarillonServer) =>
      observeServer({
        server,
        stores: stack.stores,
        coordinator: stack.coordinator,
        processMetrics: false,
        alerts: {
          smtp: { url: smtp.url, from: 'carillon@example.test' },
          backoffMs: 50,
          maxAttempts: 3,
        },
      });
    const deliveries = (ruleId: number) =>
      stack.api<{ items: AlertDelivery[] }>(
        'GET',
        `/api/v1/groups/${groupId}/alerts/${ruleId}/deliveries`,
      );
    const createRule = (body: object, expectStatus?: number) =>
      stack.api<{ id: number; hasSecret: boolean; secret?: string }>(
        'POST',
        `/api/v1/groups/${groupId}/alerts`,
        body,
        expectStatus,
      );
    const createJob = async (body: object) =>
      (
        await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
          groupId,
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          ...body,
        })
      ).id;
    const disable = (jobId: number) => stack.api('POST', `/api/v1/jobs/${jobId}/disable`);

    beforeAll(async () => {
      webhook = await startWebhookReceiver(SECRET, 1);
      smtp = await startSmtpSink();
      stack = await startStack({ dbUrl: await db.create(), server: SERVER });
      observe = await observeOn(stack.server);
      const group = await stack.createGroup('alerted');
      groupId = group.groupId;
      client = await startClientProcess({
        console: stack.consoleUrl,
        group: groupId,
        token: group.clientToken,
        clientId: 'alerted-client',
      });
    });

    afterAll(async () => {
      await client?.stop();
      await testingConsole?.close();
      await observe?.close();
      await stack?.stop();
      await webhook?.close();
      await smtp?.close();
      await db.drop();
    });

    it('refuses bad rules with a clear error and creates nothing', async () => {
      const noSecret = await stack.api<{ error: { code: string; details?: { field?: string } } }>(
        'POST',
        `/api/v1/groups/${groupId}/alerts`,
        { name: 'x', triggers: ['failed'], channel: 'webhook', target: webhook.url },
        400,
      );
      expect(noSecret.error).toMatchObject({
        code: 'CARILLON_INVALID_ARGUMENT',
        details: { field: 'secret' },
      });
      await createRule(
        { name: 'x', triggers: ['failed'], channel: 'email', target: 'not an address' },
        400,
      );
      await createRule(
        { name: 'x', triggers: ['failed'], channel: 'webhook', target: 'ftp://x', secret: SECRET },
        400,
      );
      await createRule(
        { name: 'x', triggers: ['exploded'], channel: 'email', target: 'a@b.test' },
        400,
      );
      await createRule(
        { name: 'x', triggers: ['failed'], channel: 'email', target: 'a@b.test', jobId: 999_999 },
        400,
      );
      const list = await stack.api<{ items: unknown[] }>('GET', `/api/v1/groups/${groupId}/alerts`);
      expect(list.items).toEqual([]);
    });

    it('a failed fire posts a signed webhook, retried after a 503, then rate limited', async () => {
      const rule = await createRule({
        name: 'failures',
        triggers: ['failed'],
        channel: 'webhook',
        target: webhook.url,
        secret: SECRET,
        minIntervalMs: 600_000,
      });
      expect(rule.hasSecret).toBe(true);
      expect(rule.secret).toBeUndefined();
      const jobId = await createJob({ name: 'always fails', handler: 'fail', param: 'fatal' });
      const seen = await waitFor(
        'one delivered and one suppressed alert',
        async () => {
          const { items } = await deliveries(rule.id);
          return items.some((d) => d.state === 'delivered') &&
            items.some((d) => d.state === 'suppressed')
            ? items
            : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      await disable(jobId);
      expect(seen.filter((d) => d.state === 'delivered')).toHaveLength(1);
      const delivered = seen.find((d) => d.state === 'delivered');
      expect(delivered).toMatchObject({ trigger: 'failed', jobId, attempts: 2, lastError: null });
      expect(webhook.received.map((r) => r.status).slice(0, 2)).toEqual([503, 200]);
      for (const r of webhook.received) expect(r.signatureValid).toBe(true);
      const body = webhook.received[1]?.body;
      expect(body).toMatchObject({ trigger: 'failed', ruleId: rule.id, groupId, jobId });
      const execution = await stack.stores.executions.get(String(body?.executionId));
      expect(execution?.state).toBe('failed');
      const audit = await stack.api<{ items: Array<{ action: string }> }>(
        'GET',
        '/api/v1/audit?limit=50',
      );
      expect(audit.items.map((a) => a.action)).toContain('alert:create');
    });

    it('a timed-out fire sends an e-mail through SMTP', async () => {
      const rule = await createRule({
        name: 'timeouts',
        triggers: ['timed_out'],
        channel: 'email',
        target: 'oncall@example.test, lead@example.test',
      });
      const jobId = await createJob({
        name: 'too slow',
        handler: 'sleep',
        param: '5000',
        timeoutMs: 300,
        trigger: { type: 'cron', cron: '0/5 * * * * ?', timeZone: 'UTC' },
      });
      const mail = await waitFor('a mail', () => smtp.mails[0], {
        timeoutMs: 20_000,
        intervalMs: 100,
      });
      await disable(jobId);
      expect(mail.from).toBe('carillon@example.test');
      expect([...mail.to].sort()).toEqual(['lead@example.test', 'oncall@example.test']);
      expect(mail.data).toContain(`timed_out: job ${jobId}`);
      const { items } = await waitFor('the delivery recorded', async () => {
        const answer = await deliveries(rule.id);
        return answer.items.some((d) => d.state === 'delivered') ? answer : undefined;
      });
      expect(items[0]).toMatchObject({ trigger: 'timed_out', jobId, attempts: 1 });
    });

    it('a fire no client takes raises "no client" for a rule of that job only', async () => {
      // A fire that no client takes within its job's dispatch timeout is "no client".
      const lonely = await createJob({
        name: 'nobody runs this',
        handler: 'nobody',
        dispatchTimeoutMs: 1_000,
      });
      const other = await createJob({
        name: 'nor this',
        handler: 'nobody-either',
        dispatchTimeoutMs: 1_000,
      });
      const rule = await createRule({
        name: 'no client for lonely',
        jobId: lonely,
        triggers: ['no_client'],
        channel: 'webhook',
        target: webhook.url,
        secret: SECRET,
      });
      const delivered = await waitFor(
        'a no-client alert',
        async () => (await deliveries(rule.id)).items.find((d) => d.state === 'delivered'),
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      await disable(lonely);
      await disable(other);
      expect(delivered).toMatchObject({ trigger: 'no_client', jobId: lonely });
      const execution = await stack.stores.executions.get(delivered.executionId ?? '');
      // Recorded by the backlog rule: skipped, never sent, with the dispatch timeout as reason.
      expect(execution?.state).toBe('skipped');
      expect(execution?.reason).toMatch(/^dispatch timeout:/);
      expect(execution?.jobId).toBe(lonely);
      const bodies = webhook.received.filter((r) => r.body.trigger === 'no_client');
      expect(bodies.every((r) => r.body.jobId === lonely)).toBe(true);
    });

    it('missed instants across a stopped server raise "missed"', async () => {
      const jobId = await createJob({
        name: 'missed while down',
        handler: 'echo',
        misfire: 'skip',
      });
      const rule = await createRule({
        name: 'missed',
        jobId,
        triggers: ['missed'],
        channel: 'webhook',
        target: webhook.url,
        secret: SECRET,
      });
      await waitFor('a first fire', async () => {
        const page = await stack.api<{ items: Execution[] }>(
          'GET',
          `/api/v1/executions?jobId=${jobId}&limit=5`,
        );
        return page.items.some((e) => e.state === 'succeeded');
      });
      const rpc = stack.server.rpcAddress;
      const serverId = stack.server.serverId;
      await observe.close();
      await stack.stopServer();
      // Down across instants older than the misfire threshold when the server comes back.
      await new Promise((r) => setTimeout(r, 3_000));
      const server = await CarillonServer.create({
        serverId,
        cluster: 101,
        serverGroup: 1,
        room: 'r1',
        stores: stack.stores,
        coordinator: stack.coordinator,
        rpcPort: Number(rpc.slice(rpc.lastIndexOf(':') + 1)),
        ...SERVER,
      });
      stack.server = server;
      observe = await observeOn(server);
      await server.start();
      const delivered = await waitFor(
        'a missed alert',
        async () => (await deliveries(rule.id)).items.find((d) => d.state === 'delivered'),
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      await disable(jobId);
      expect(delivered).toMatchObject({ trigger: 'missed', jobId, executionId: null });
      const body = webhook.received.find((r) => r.body.trigger === 'missed')?.body;
      expect(String(body?.reason)).toMatch(/instant\(s\) of job \d+ passed unfired/);
    });

    it('"send a test" delivers through the rule now; a console without delivery answers 503', async () => {
      const rule = await createRule({
        name: 'test me',
        triggers: ['failed'],
        channel: 'email',
        target: 'tester@example.test',
      });
      await stack.api('POST', `/api/v1/groups/${groupId}/alerts/${rule.id}/test`, undefined, 503);
      const changed = await stack.api<{ enabled: boolean; triggers: string[]; name: string }>(
        'PATCH',
        `/api/v1/groups/${groupId}/alerts/${rule.id}`,
        { enabled: false, triggers: ['failed', 'missed'] },
      );
      expect(changed).toMatchObject({
        enabled: false,
        triggers: ['failed', 'missed'],
        name: 'test me',
      });
      await stack.api('PATCH', `/api/v1/groups/${groupId}/alerts/${rule.id}`, {}, 400);
      await stack.api(
        'PATCH',
        `/api/v1/groups/${groupId}/alerts/${rule.id}`,
        { target: 'x@y.z' },
        400,
      );
      await stack.api('PATCH', `/api/v1/groups/${groupId}/alerts/999999`, { enabled: true }, 404);
      testingConsole = await createConsole({
        stores: stack.stores,
        coordinator: stack.coordinator,
        cluster: 101,
        serverGroups: [1],
        alertTester: (r, m) => observe.alerts.deliver(r, m),
      });
      const answer = await testingConsole.fastify.inject({
        method: 'POST',
        url: `/api/v1/groups/${groupId}/alerts/${rule.id}/test`,
        headers: { authorization: `Bearer ${stack.adminToken}` },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ trigger: 'test', state: 'delivered', attempts: 1 });
      expect(smtp.mails.some((m) => m.to.includes('tester@example.test'))).toBe(true);
      await stack.api('DELETE', `/api/v1/groups/${groupId}/alerts/${rule.id}`, undefined, 204);
      await stack.api(
        'GET',
        `/api/v1/groups/${groupId}/alerts/${rule.id}/deliveries`,
        undefined,
        404,
      );
    });
  },
);
