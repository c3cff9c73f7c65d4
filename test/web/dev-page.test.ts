import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CarillonProcess } from '@carillon/testkit';
import { freePort, startCarillonProcess, waitFor } from '@carillon/testkit';
import { launchBrowser, newPage, signIn } from './browser.js';

// What a newcomer does: `npx carillon dev`, open the printed URL, sign in as the printed admin.
describe('carillon dev serves the web console', () => {
  let dir: string;
  let dev: CarillonProcess;
  let browser: Browser;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carillon-dev-page-'));
    const [port, rpcPort] = [await freePort(), await freePort()];
    dev = startCarillonProcess(
      ['dev', '--data-dir', dir, '--port', String(port), '--rpc-port', String(rpcPort)],
      { CARILLON_ADMIN_PASSWORD: 'dev-page-password' },
    );
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await dev?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('at the printed URL, with the demo task group and jobs', async () => {
    const url = await waitFor(
      'the console URL',
      () => /console:\s+(http:\/\/\S+)/.exec(dev.output())?.[1],
      {
        timeoutMs: 60_000,
      },
    );
    const page = await newPage(browser);
    await signIn(page, url, 'admin', 'dev-page-password');
    await page.getByRole('link', { name: /Task groups/ }).click();
    await page.locator('tbody tr').first().click();
    await page.getByRole('link', { name: 'simple task test' }).waitFor();
    expect(await page.locator('tr[data-job-id]').count()).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
