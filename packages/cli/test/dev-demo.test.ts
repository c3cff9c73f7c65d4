// `carillon dev` keeps its data private (0700 directory, 0600 files) and its demo client steps
// aside when the newcomer's own client registers a demo handler, so that client gets the fires.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@carillon/client';
import type { CarillonProcess } from '@carillon/testkit';
import { freePort, startCarillonProcess, waitFor } from '@carillon/testkit';

let root: string;
let dataDir: string;
let dev: CarillonProcess | undefined;
let url: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'carillon-dev-'));
  dataDir = join(root, 'data', 'carillon');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  dev = startCarillonProcess(
    ['dev', '--data-dir', dataDir, '--port', String(port), '--rpc-port', '0'],
    { CARILLON_LOG_LEVEL: 'info', CARILLON_ADMIN_PASSWORD: '' },
  );
  await waitFor('carillon dev to start', () => dev?.output().includes('Carillon dev is running.'), {
    timeoutMs: 60_000,
  });
}, 90_000);

afterAll(async () => {
  await dev?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('carillon dev', () => {
  it('creates its data directory 0700 and its database and secrets 0600', async () => {
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    for (const file of ['carillon.db', 'admin-password', 'demo-client-token'])
      expect((await stat(join(dataDir, file))).mode & 0o777, file).toBe(0o600);
  });

  it('its demo client steps aside for a client that registers a demo handler', async () => {
    const token = (await readFile(join(dataDir, 'demo-client-token'), 'utf8')).trim();
    const groupId = /task group: +(\S+)/.exec(dev?.output() ?? '')?.[1];
    expect(groupId).toBeDefined();
    const mine: string[] = [];
    const client = new Client({ console: url, group: groupId ?? '', token, clientId: 'newcomer' });
    client.register('api-test', {
      execute(ctx) {
        mine.push(ctx.param ?? '');
        return Promise.resolve('mine');
      },
    });
    await client.start();
    try {
      await waitFor('the demo client to step aside', () => dev?.output().includes('steps aside'));
      const password = (await readFile(join(dataDir, 'admin-password'), 'utf8')).trim();
      const login = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });
      const { token: admin } = (await login.json()) as { token: string };
      const params = ['a', 'b', 'c', 'd', 'e', 'f'];
      for (const param of params) {
        const answer = await fetch(`${url}/api/v1/jobs/2/trigger`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
          body: JSON.stringify({ param }),
        });
        expect(answer.status).toBeLessThan(300);
      }
      // Every trigger ends up here: the demo client is gone, so none can run anywhere else.
      await waitFor('the newcomer to run every trigger', () => mine.length === params.length);
      expect([...mine].sort()).toEqual(params);
    } finally {
      await client.stop({ graceMs: 2_000 });
    }
  }, 60_000);
});

describe('a second carillon dev on the same data directory', () => {
  it('exits with a clear message before touching it; the first keeps its admin password', async () => {
    const password = await readFile(join(dataDir, 'admin-password'), 'utf8');
    const second = startCarillonProcess(
      ['dev', '--data-dir', dataDir, '--port', String(await freePort()), '--rpc-port', '0'],
      { CARILLON_LOG_LEVEL: 'info', CARILLON_ADMIN_PASSWORD: 'someone-else' },
    );
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain('CARILLON_SERVER_ID_TAKEN');
    expect(second.output()).toContain(`another carillon dev runs on ${dataDir}`);
    expect(await readFile(join(dataDir, 'admin-password'), 'utf8')).toBe(password);
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: password.trim() }),
    });
    expect(login.status).toBe(200);
  }, 60_000);
});
