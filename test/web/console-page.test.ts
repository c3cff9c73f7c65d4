import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '@carillon/core';
import type { ClientProcess, Stack, TestDatabase } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import {
  SCREENSHOTS,
  createUser,
  cspViolations,
  launchBrowser,
  newPage,
  signIn,
} from './browser.js';

interface Job {
  id: number;
  version: number;
}

// The seed system's tests, driven through the page in headless Chromium against a real console,
// a real server and a real client process (the SDK over gRPC).
describe('the web console in Chromium', () => {
  let db: TestDatabase;
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let client: ClientProcess | undefined;
  let groupId = '';
  let clientToken = '';
  let operator: { id: number; password: string };

  const executions = async (jobId: number): Promise<Execution[]> =>
    (await stack.api<{ items: Execution[] }>('GET', `/api/v1/executions?jobId=${jobId}&limit=500`))
      .items;
  const shot = (name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });

  beforeAll(async () => {
    const sqlite = testDatabases().find((d) => d.label === 'sqlite');
    if (sqlite === undefined) throw new Error('no SQLite test database');
    db = sqlite;
    stack = await startStack({ dbUrl: await db.create() });
    browser = await launchBrowser();
    operator = await createUser(stack, 'operator', true);
    page = await newPage(browser);
  });
  afterAll(async () => {
    await client?.stop();
    await browser?.close();
    await stack?.stop();
    await db?.drop();
  });

  it('simple task test: a group and a job made in the page run on their cron, and the page shows the execution with its log', async () => {
    await signIn(page, stack.consoleUrl, 'operator', operator.password);
    await page.getByRole('link', { name: /Task groups/ }).click();
    await page.getByText('No task groups yet').waitFor();
    await page.getByPlaceholder(/New group name/).fill('simple task test');
    await page.getByRole('button', { name: 'Create group' }).click();
    groupId = (await page.locator('.notice code.group-id').textContent()) ?? '';
    expect(groupId).toMatch(/^101-1-\d+-\d+$/);
    await shot('task-groups');

    await page.getByRole('link', { name: 'Open it' }).click();
    await page.getByText('No jobs in this group yet').waitFor();
    await page.getByPlaceholder(/Label, e.g./).fill('web test client');
    await page.getByRole('button', { name: 'Create token' }).click();
    clientToken = (await page.locator('code.secret').textContent()) ?? '';
    expect(clientToken.length).toBeGreaterThan(20);
    client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: clientToken,
      clientId: 'web-client-1',
    });

    await page.getByRole('link', { name: 'New job' }).click();
    await page.getByLabel('Name').fill('simple task');
    await page.getByLabel(/Handler/).fill('echo');
    await page.getByLabel('Parameter').fill('TestParam');
    await page.getByLabel('Which client runs it').selectOption('consistent_hash');
    await page.locator('input[name="retryDelayMs"]').fill('250');
    await page.getByLabel(/Dispatch timeout/).fill('30000');
    await page.getByLabel('When its client dies mid-run').selectOption('fail');
    const cron = page.getByLabel('Cron expression');
    // Checked as it is typed: a broken expression is named, a good one explained with its
    // next 10 instants.
    await cron.fill('0 0/1 * * *');
    await page.locator('.cron-preview.invalid').waitFor();
    await cron.fill('0/2 * * * * ?');
    await page.locator('.cron-preview:not(.invalid) li').nth(9).waitFor();
    expect(await page.locator('.cron-preview li').count()).toBe(10);
    await shot('job-form');
    await page.getByRole('button', { name: 'Create job' }).click();
    const row = page.locator('tr', { hasText: 'simple task' });
    await row.waitFor();
    const jobId = Number(await row.getAttribute('data-job-id'));
    expect(jobId).toBeGreaterThan(0);
    expect(await stack.api<Job>('GET', `/api/v1/jobs/${jobId}`)).toMatchObject({
      routing: 'consistent_hash',
      routeLabels: [],
      routeRoom: null,
      retryBackoff: 'exponential',
      retryDelayMs: 250,
      dispatchTimeoutMs: 30000,
      onClientLost: 'fail',
      kind: 'simple',
      shardCount: 0,
    });
    await shot('group');

    const started = await client.waitForEvent((e) => e.event === 'started' && e.jobId === jobId);
    const ran = await client.waitForEvent(
      (e) => e.event === 'finished' && e.executionId === started.executionId,
    );
    expect(ran.outcome).toBe('succeeded');
    await row.getByRole('link', { name: 'Executions' }).click();
    await page.locator('.executions .state-succeeded').nth(1).waitFor({ timeout: 20_000 });
    await shot('executions');
    await page
      .locator('.executions tr', { has: page.locator('.state-succeeded') })
      .first()
      .click();
    await page.getByTestId('execution-log').getByText('echo TestParam').waitFor();
    expect(await page.locator('.timeline li.done').count()).toBe(5);
    expect(await page.locator('.facts').textContent()).toContain('web-client-1');
    await shot('execution');
  }, 90_000);

  it('a sharded job made in the page keeps its shard count and params, shown again when edited', async () => {
    await page.goto(`${stack.consoleUrl}/groups/${groupId}/jobs/new`);
    await page.getByLabel('Name').fill('sharded task');
    await page.getByLabel(/Handler/).fill('echo');
    await page.getByRole('radio', { name: /Only by API/ }).check();
    expect(await page.locator('input[name="shardCount"]').count()).toBe(0);
    await page.getByLabel('Kind').selectOption('sharded');
    await page.getByLabel(/Shards per fire/).fill('3');
    await page.getByLabel(/Shard parameters/).fill('0=Beijing,5=Nowhere');
    await page.getByRole('button', { name: 'Create job' }).click();
    // Out of range: the API's 400 is shown, naming the field, and nothing is created.
    await page.getByText(/shardParams/).waitFor();
    await page.getByLabel(/Shard parameters/).fill('0=Beijing,2=Guangzhou');
    await page.getByRole('button', { name: 'Create job' }).click();
    const row = page.locator('tr', { hasText: 'sharded task' });
    await row.waitFor();
    const jobId = Number(await row.getAttribute('data-job-id'));
    expect(await stack.api<Job>('GET', `/api/v1/jobs/${jobId}`)).toMatchObject({
      kind: 'sharded',
      shardCount: 3,
      shardParams: ['Beijing', null, 'Guangzhou'],
    });
    await page.goto(`${stack.consoleUrl}/groups/${groupId}/jobs/${jobId}`);
    await expect
      .poll(() => page.locator('input[name="shardParams"]').inputValue())
      .toBe('0=Beijing,2=Guangzhou');
    expect(await page.locator('input[name="shardCount"]').inputValue()).toBe('3');
  }, 60_000);

  it('trigger test: "Trigger once" on an API-triggered job makes the client run it once', async () => {
    const job = await stack.api<Job>('POST', '/api/v1/jobs', {
      groupId,
      name: 'api triggered',
      trigger: { type: 'api' },
      handler: 'echo',
    });
    await page.goto(`${stack.consoleUrl}/groups/${groupId}`);
    const row = page.locator(`tr[data-job-id="${job.id}"]`);
    await row.getByRole('button', { name: 'Trigger once' }).click();
    await row.getByPlaceholder(/Parameter/).fill('once');
    await row.getByRole('button', { name: 'Run now' }).click();
    await page.getByText(`Triggered job ${job.id}`).waitFor();
    const ran = await client!.waitForEvent((e) => e.event === 'started' && e.jobId === job.id);
    const done = await waitFor('the manual execution to finish', async () => {
      const all = await executions(job.id);
      return all.every((x) => x.finishedAt !== null) && all.length > 0 ? all : undefined;
    });
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ cause: 'manual', state: 'succeeded', param: 'once' });
    expect(client!.events.filter((e) => e.event === 'started' && e.jobId === job.id)).toHaveLength(
      1,
    );
    expect(ran.executionId).toBe(done[0]?.id);
    await page.getByRole('link', { name: 'Follow the execution' }).click();
    await page.getByTestId('execution-log').getByText('echo once').waitFor();
  }, 60_000);

  it('permission test: a viewer sees the group and its jobs but cannot change them', async () => {
    const viewer = await createUser(stack, 'viewer', false);
    await stack.api('PUT', `/api/v1/groups/${groupId}/members/${viewer.id}`, { role: 'viewer' });
    const jobs = (await stack.api<{ items: Job[] }>('GET', `/api/v1/jobs?groupId=${groupId}`))
      .items;
    const auditBefore = await stack.api<{ items: { action: string }[] }>(
      'GET',
      '/api/v1/audit?limit=500',
    );
    const viewerPage = await newPage(browser);
    try {
      await signIn(viewerPage, stack.consoleUrl, 'viewer', viewer.password);
      await viewerPage.goto(`${stack.consoleUrl}/groups/${groupId}`);
      await viewerPage.locator('tr', { hasText: 'simple task' }).waitFor();
      expect(await viewerPage.getByText('viewer: read only').count()).toBe(1);
      expect(await viewerPage.getByRole('link', { name: 'New job' }).count()).toBe(0);
      for (const button of await viewerPage.getByRole('button', { name: 'Trigger once' }).all()) {
        expect(await button.isDisabled()).toBe(true);
      }
      // The API is what refuses: the edit form, reached directly, gets the 403 and says so.
      const first = jobs[0];
      if (first === undefined) throw new Error('no job');
      await viewerPage.goto(`${stack.consoleUrl}/groups/${groupId}/jobs/${first.id}`);
      await viewerPage.getByLabel('Name').fill('renamed by a viewer');
      await viewerPage.getByRole('button', { name: 'Save changes' }).click();
      await viewerPage
        .getByRole('alert')
        .getByText(/forbidden/)
        .waitFor();
      const after = (await stack.api<{ items: Job[] }>('GET', `/api/v1/jobs?groupId=${groupId}`))
        .items;
      expect(after).toEqual(jobs);
      const auditAfter = await stack.api<{ items: { action: string }[] }>(
        'GET',
        '/api/v1/audit?limit=500',
      );
      // Only the viewer's sign-in was recorded: no change.
      const changes = (items: { action: string }[]) =>
        items.filter((e) => !e.action.startsWith('auth:'));
      expect(changes(auditAfter.items)).toEqual(changes(auditBefore.items));
    } finally {
      await viewerPage.context().close();
    }
  });

  it('the dashboard, servers and clients, audit log and users pages show what the API has', async () => {
    await page.goto(stack.consoleUrl);
    await page.locator('.topology .server').first().waitFor();
    await page.getByText(/Fires per minute/).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.chart.fires rect').length === 60);
    await shot('dashboard');
    await page.getByRole('link', { name: /Servers & clients/ }).click();
    await page.getByRole('cell', { name: 'web-client-1' }).first().waitFor();
    await shot('cluster');
    await page.getByRole('link', { name: /Audit log/ }).click();
    await page.getByRole('cell', { name: 'job:create' }).first().waitFor();
    await shot('audit');
    await page.keyboard.press('g');
    await page.keyboard.press('u');
    await page.getByRole('heading', { name: 'Active sessions' }).waitFor();
    await shot('users');
    // The whole session ran under the page's CSP without a single violation.
    expect(await cspViolations(page)).toEqual([]);
    // And the policy bites: an injected inline script is refused (and recorded).
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.body.append(script);
    });
    await page.waitForFunction(
      () => (window as unknown as { cspViolations: string[] }).cspViolations.length === 1,
    );
    expect(await page.evaluate(() => 'injected' in window)).toBe(false);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot('sign-in');
    const answer = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    expect(answer).toBe(401);
  });
});
