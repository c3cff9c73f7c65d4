import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stores, SubtaskState } from '@carillon/core';
import { SCREENSHOTS, cspViolations, launchBrowser, newPage, signIn } from './browser.js';
import { startSqliteConsole } from './sqlite-console.js';
import type { SqliteConsole } from './sqlite-console.js';

const PASSWORD = 'parallel-password-1';
const SERVER = 'page-server';
const SUBTASKS = 120;

// A parallel execution's page in Chromium against a real console over SQLite. No server runs:
// the test writes the subtasks and moves them through the store, as the owning server would.
describe("a parallel execution's page", () => {
  let site: SqliteConsole | undefined;
  let stores: Stores;
  let url: string;
  let browser: Browser;
  let page: Page;
  let executionId: string;
  /** An execution of the parallel job before its dispatch, and one of a simple job. */
  let emptyExecutionId: string;
  let simpleExecutionId: string;
  /** Subtask ids by position (index 0 unused). */
  const ids: string[] = [''];

  const move = async (
    seq: number,
    from: SubtaskState,
    to: SubtaskState,
    patch: Record<string, unknown> = {},
  ): Promise<void> => {
    const applied = await stores.subtasks.transition(
      { id: ids[seq] ?? '', from: [from], ownerServerId: SERVER, attempt: 1 },
      to,
      patch,
    );
    if (!applied) throw new Error(`subtask ${seq}: ${from} → ${to} did not apply`);
  };

  const figure = (name: string) =>
    page.getByTestId('subtask-progress').locator(`[data-figure="${name}"]`);
  const figures = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const name of ['done', 'failed', 'busy', 'pending', 'total']) {
      out[name] = (await figure(name).textContent()) ?? '';
    }
    return out;
  };
  const rows = () => page.getByRole('table', { name: 'Subtasks' }).locator('tbody tr');

  beforeAll(async () => {
    site = await startSqliteConsole(PASSWORD);
    ({ stores, url } = site);
    const groupId = (await site.post<{ id: string }>('/groups', { name: 'fan-out' })).id;
    const job = await site.post<{ id: number; version: number }>('/jobs', {
      groupId,
      name: 'parallel task test',
      trigger: { type: 'api' },
      handler: 'fan',
    });
    // The console refuses kind parallel until servers run it; the store takes it.
    await stores.jobs.update(job.id, job.version, { kind: 'parallel' }, Date.now());
    executionId = (await site.post<{ executionId: string }>(`/jobs/${job.id}/trigger`, {}))
      .executionId;
    emptyExecutionId = (await site.post<{ executionId: string }>(`/jobs/${job.id}/trigger`, {}))
      .executionId;
    const simple = await site.post<{ id: number }>('/jobs', {
      groupId,
      name: 'simple task test',
      trigger: { type: 'api' },
      handler: 'echo',
    });
    simpleExecutionId = (await site.post<{ executionId: string }>(`/jobs/${simple.id}/trigger`, {}))
      .executionId;
    const made = await stores.subtasks.insertBatch(
      executionId,
      Array.from({ length: SUBTASKS }, (_, i) => ({ id: randomUUID(), payload: `item-${i + 1}` })),
      Date.now(),
    );
    for (const s of made) ids[s.seq] = s.id;
    await stores.executions.takeUnowned(SERVER, [job.id]);
    const fence = { id: executionId, ownerServerId: SERVER, attempt: 1 };
    await stores.executions.transition({ ...fence, from: ['claimed'] }, 'dispatched', {
      clientId: 'dispatcher-1',
      dispatchedAt: Date.now(),
    });
    await stores.executions.transition({ ...fence, from: ['dispatched'] }, 'running', {
      startedAt: Date.now(),
    });
    // Mixed states: 1-10 succeeded, 11-13 failed, 14 timed out, 15-18 running, 19-21 dispatched.
    const now = Date.now();
    for (let seq = 1; seq <= 21; seq++) {
      await move(seq, 'pending', 'dispatched', { clientId: `c-${seq % 3}`, dispatchedAt: now });
    }
    for (let seq = 1; seq <= 18; seq++)
      await move(seq, 'dispatched', 'running', { startedAt: now });
    for (let seq = 1; seq <= 10; seq++) {
      await move(seq, 'running', 'succeeded', { finishedAt: now + 40, result: `ok ${seq}` });
    }
    for (let seq = 11; seq <= 13; seq++) {
      await move(seq, 'running', 'failed', { finishedAt: now, reason: `boom ${seq}` });
    }
    await move(14, 'running', 'timed_out', { finishedAt: now, reason: 'too slow' });
    browser = await launchBrowser();
    page = await newPage(browser);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('shows the progress figures and the subtasks, a page at a time, filtered by state', async () => {
    await signIn(page, url, 'admin', PASSWORD);
    await page.goto(`${url}/executions/${executionId}`);
    await page.getByRole('heading', { name: 'Subtasks' }).waitFor();
    await figure('total').getByText(String(SUBTASKS)).waitFor();
    expect(await figures()).toEqual({
      done: '10',
      failed: '4',
      busy: '7',
      pending: '99',
      total: '120',
    });
    const bar = page.getByRole('progressbar', { name: 'Subtasks finished' });
    expect(await bar.getAttribute('aria-valuenow')).toBe('14');
    expect(await bar.getAttribute('aria-valuemax')).toBe('120');
    expect(await bar.getAttribute('aria-valuetext')).toBe('10 done, 4 failed of 120');

    await rows().nth(49).waitFor();
    expect(await rows().count()).toBe(50);
    const first = rows().first();
    expect(await first.getAttribute('data-seq')).toBe('1');
    expect(await first.textContent()).toContain('item-1');
    expect(await first.textContent()).toContain('ok 1');
    const failed = page.locator('tr[data-seq="12"]');
    expect(await failed.getAttribute('data-state')).toBe('failed');
    expect(await failed.textContent()).toContain('boom 12');
    expect(await page.locator('tr[data-seq="16"]').getAttribute('data-state')).toBe('running');

    await page.getByRole('button', { name: 'Later →' }).click();
    await page.locator('tr[data-seq="51"]').waitFor();
    await page.getByRole('button', { name: 'Later →' }).click();
    await page.locator('tr[data-seq="101"]').waitFor();
    expect(await rows().count()).toBe(20);
    expect(await page.getByRole('button', { name: 'Later →' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: '← Earlier' }).click();
    await page.locator('tr[data-seq="51"]').waitFor();

    await page.getByLabel('State').selectOption('failed,timed_out,cancelled');
    await page.waitForFunction(
      () => document.querySelectorAll('table[aria-label="Subtasks"] tbody tr').length === 4,
    );
    expect(await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-seq')))).toEqual(
      ['11', '12', '13', '14'],
    );
    expect(await page.getByText('Page 1', { exact: true }).count()).toBe(1);
    await page.getByLabel('State').selectOption('');
    await page.locator('tr[data-seq="50"]').waitFor();
    expect(await cspViolations(page)).toEqual([]);
  }, 60_000);

  it('follows the subtasks while the execution runs: moved ones show as succeeded', async () => {
    const now = Date.now();
    for (let seq = 15; seq <= 18; seq++) {
      await move(seq, 'running', 'succeeded', { finishedAt: now, result: `late ${seq}` });
    }
    for (let seq = 22; seq <= 37; seq++) {
      await move(seq, 'pending', 'dispatched', { clientId: 'c-late', dispatchedAt: now });
      await move(seq, 'dispatched', 'succeeded', { finishedAt: now, result: `late ${seq}` });
    }
    await figure('done').getByText('30', { exact: true }).waitFor();
    expect(await figures()).toEqual({
      done: '30',
      failed: '4',
      busy: '3',
      pending: '83',
      total: '120',
    });
    const moved = page.locator('tr[data-seq="30"]');
    await page.locator('tr[data-seq="30"][data-state="succeeded"]').waitFor();
    expect(await moved.textContent()).toContain('late 30');
    expect(await moved.textContent()).toContain('c-late');
    await page.evaluate(() => document.getElementById('subtasks-heading')?.scrollIntoView());
    await page.screenshot({ path: join(SCREENSHOTS, 'parallel-execution.png'), fullPage: false });
  }, 60_000);

  it('a parallel execution without subtasks yet shows zeros; a simple one shows no subtasks', async () => {
    await page.goto(`${url}/executions/${emptyExecutionId}`);
    await page.getByRole('heading', { name: 'Subtasks' }).waitFor();
    await page.getByText('No subtasks yet').waitFor();
    expect(await figures()).toEqual({
      done: '0',
      failed: '0',
      busy: '0',
      pending: '0',
      total: '0',
    });
    await page.goto(`${url}/executions/${simpleExecutionId}`);
    await page.getByRole('heading', { name: 'Log' }).waitFor();
    await page.locator('.facts').getByText(String(simpleExecutionId)).waitFor();
    expect(await page.getByRole('heading', { name: 'Subtasks' }).count()).toBe(0);
    expect(await page.getByRole('progressbar').count()).toBe(0);
  }, 60_000);
});
