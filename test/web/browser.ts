import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { Stack } from '@carillon/testkit';

/**
 * Where the tests put the screenshots of the main pages: `docs/screenshots/` (committed, shown
 * by the README) with `CARILLON_UPDATE_SCREENSHOTS=1`, else a temp dir, so that a test run
 * leaves the working tree as it was.
 */
export const SCREENSHOTS =
  process.env['CARILLON_UPDATE_SCREENSHOTS'] === '1'
    ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
    : join(tmpdir(), 'carillon-screenshots');

/** Debian's Chromium, headless; no browser download. */
export async function launchBrowser(): Promise<Browser> {
  const built = fileURLToPath(new URL('../../packages/web/dist/index.html', import.meta.url));
  if (!existsSync(built)) {
    throw new Error('the web page is not built: run `npm run build` (npm ci does it) first');
  }
  await mkdir(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env['CARILLON_TEST_CHROMIUM'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A laptop-sized page that records Content-Security-Policy violations (see {@link cspViolations}). */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

/** The Content-Security-Policy violations of the page's current document. */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
}

/** Creates a user through the API and returns its password. */
export async function createUser(
  stack: Stack,
  username: string,
  isAdmin: boolean,
): Promise<{ id: number; password: string }> {
  const password = `${username}-pass-1234`;
  const { id } = await stack.api<{ id: number }>('POST', '/api/v1/users', {
    username,
    password,
    isAdmin,
  });
  return { id, password };
}

/** Signs in through the form and waits for the dashboard. */
export async function signIn(
  page: Page,
  url: string,
  username: string,
  password: string,
): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}
