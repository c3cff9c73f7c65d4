import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleApp } from '@carillon/console';
import { createConsole } from '@carillon/console';
import type { ClientProcess, Stack, TestDatabase } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { createUser, launchBrowser, newPage, signIn } from './browser.js';
import type { Nginx } from './nginx.js';
import { startNginx } from './nginx.js';

interface Execution {
  id: string;
  state: string;
  scheduledAt: number;
  cause: string;
}

// The seed system's console high-availability test: three consoles behind a real nginx (the
// shipped deploy/nginx/carillon.conf), two stopped at random while a browser stays on the page
// and an SDK-like caller keeps calling the API through nginx.
describe('three consoles behind nginx, two of them stopped', () => {
  let db: TestDatabase;
  let stack: Stack;
  let consoles: ConsoleApp[] = [];
  let nginx: Nginx;
  let browser: Browser;
  let page: Page;
  let client: ClientProcess;

  beforeAll(async () => {
    const sqlite = testDatabases().find((d) => d.label === 'sqlite');
    if (sqlite === undefined) throw new Error('no SQLite test database');
    db = sqlite;
    stack = await startStack({ dbUrl: await db.create() });
    consoles = [stack.console];
    for (let i = 0; i < 2; i++) {
      const app = await createConsole({
        stores: stack.stores,
        coordinator: stack.coordinator,
        cluster: 101,
        serverGroups: [1],
        trustProxy: '127.0.0.1',
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      consoles.push(app);
    }
    nginx = await startNginx(consoles.map((c) => new URL(c.url ?? '').host));
    browser = await launchBrowser();
    page = await newPage(browser);
  });
  afterAll(async () => {
    await client?.stop();
    await browser?.close();
    await nginx?.stop();
    for (const app of consoles.slice(1)) await app.close();
    await stack?.stop();
    await db?.drop();
  });

  it('the page keeps working, API calls keep succeeding and jobs keep firing', async () => {
    const { groupId, clientToken } = await stack.createGroup('ha');
    const cron = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'every second',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'echo',
      param: 'ha',
    });
    const manual = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'on demand',
      trigger: { type: 'api' },
      handler: 'echo',
    });
    // The client finds the servers through nginx, like any SDK user behind it.
    client = await startClientProcess({
      console: nginx.url,
      group: groupId,
      token: clientToken,
      clientId: 'ha-client',
    });
    const operator = await createUser(stack, 'operator', true);
    await signIn(page, nginx.url, 'operator', operator.password);

    // The SDK-like caller: a bearer token from sign-in through nginx, then calls without pause.
    const login = await fetch(`${nginx.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'operator', password: operator.password }),
    });
    const { token } = (await login.json()) as { token: string };
    const calls = { ok: 0, failed: [] as string[] };
    let calling = true;
    const caller = (async () => {
      const paths = [
        `/api/v1/jobs?groupId=${groupId}`,
        `/api/v1/executions?jobId=${cron.id}&limit=5`,
        '/api/v1/me',
      ];
      for (let i = 0; calling; i++) {
        const path = paths[i % paths.length] ?? '/api/v1/me';
        try {
          const answer = await fetch(`${nginx.url}${path}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          if (answer.ok) calls.ok += 1;
          else calls.failed.push(`${path}: ${answer.status} ${await answer.text()}`);
        } catch (error) {
          calls.failed.push(`${path}: ${String(error)}`);
        }
      }
    })();

    const startsOfCron = (after: number) =>
      client.events.filter(
        (e) => e.event === 'started' && e.jobId === cron.id && (e.at ?? 0) > after,
      ).length;
    const triggerOnceInPage = async (param: string, expectedRuns: number): Promise<void> => {
      await page.getByRole('link', { name: /Task groups/ }).click();
      await page.getByRole('link', { name: groupId }).click();
      const row = page.locator(`tr[data-job-id="${manual.id}"]`);
      await row.getByRole('button', { name: 'Trigger once' }).click();
      await row.getByPlaceholder(/Parameter/).fill(param);
      await row.getByRole('button', { name: 'Run now' }).click();
      await page.getByText(`Triggered job ${manual.id}`).waitFor();
      await waitFor(
        `the client to run "${param}"`,
        () =>
          client.events.filter((e) => e.event === 'started' && e.jobId === manual.id).length >=
          expectedRuns,
      );
    };

    await client.waitForEvent((e) => e.event === 'started' && e.jobId === cron.id);
    const order = [0, 1, 2].sort(() => Math.random() - 0.5);
    const survivor = order[2] ?? 0;
    for (const [round, victim] of order.slice(0, 2).entries()) {
      const stoppedAt = Date.now();
      await consoles[victim]?.close();
      // The page, on whichever console nginx picks: navigate, read, trigger.
      await triggerOnceInPage(`round ${round}`, round + 1);
      await page
        .getByRole('link', { name: /Executions/ })
        .first()
        .click();
      await page.goto(`${nginx.url}/executions?jobId=${cron.id}`);
      await page.locator('.executions .state-succeeded').first().waitFor();
      // Jobs keep firing: the client runs fresh fires of the cron job after the stop.
      await waitFor(`fires after console ${victim} stopped`, () => startsOfCron(stoppedAt) >= 2);
      const callsBefore = calls.ok;
      await waitFor('API calls through nginx to go on', () => calls.ok >= callsBefore + 20);
    }
    calling = false;
    await caller;

    expect(calls.failed).toEqual([]);
    // Every console served requests, and requests that met a stopped one went on to the next.
    const upstreams = await nginx.upstreamsOfRequests();
    for (const app of consoles) {
      const host = new URL(app.url ?? '').host;
      expect(upstreams.some((u) => u.includes(host))).toBe(true);
    }
    expect(upstreams.some((u) => u.includes(','))).toBe(true);
    expect(calls.ok).toBeGreaterThan(40);
    expect(consoles.filter((c) => c.state === 'closed')).toHaveLength(2);
    expect(consoles[survivor]?.state).toBe('listening');
    const viaNginx = async (path: string) => {
      const answer = await fetch(`${nginx.url}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return (await answer.json()) as { items: Execution[] };
    };
    const manualRuns = await viaNginx(`/api/v1/executions?jobId=${manual.id}&limit=50`);
    // One "Trigger once" per round, each run once: nothing lost, nothing doubled by a retry.
    expect(manualRuns.items.map((x) => x.cause).sort()).toEqual(['manual', 'manual']);
    await waitFor('both manual runs to succeed', async () => {
      const now = await viaNginx(`/api/v1/executions?jobId=${manual.id}&limit=50`);
      return now.items.every((x) => x.state === 'succeeded');
    });
  }, 120_000);
});
