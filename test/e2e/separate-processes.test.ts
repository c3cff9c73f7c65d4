// `carillon migrate`, `carillon server` and `carillon console` as separate processes on MariaDB,
// with no shared coordinator, and a client process with a static server list: the server
// learns every job change from the database's job change sequence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '@carillon/core';
import type { CarillonProcess, ClientProcess, TestDatabase } from '@carillon/testkit';
import {
  freePort,
  startCarillonProcess,
  startClientProcess,
  testDatabases,
  waitFor,
} from '@carillon/testkit';

const PASSWORD = 'separate-processes-1';

describe('server and console as separate processes on MariaDB', () => {
  let database: TestDatabase;
  let server: CarillonProcess | undefined;
  let console: CarillonProcess | undefined;
  let client: ClientProcess | undefined;
  let base = '';
  let token = '';
  let groupId = '';

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  const executionsOf = async (jobId: number): Promise<Execution[]> =>
    (await api<{ items: Execution[] }>('GET', `/api/v1/executions?jobId=${jobId}&limit=500`)).items;

  beforeAll(async () => {
    const mariadb = testDatabases().find((d) => d.label === 'mariadb');
    if (mariadb === undefined) throw new Error('no MariaDB test database');
    database = mariadb;
    const env = { CARILLON_DB_URL: await database.create(), CARILLON_LOG_LEVEL: 'info' };
    const migrate = startCarillonProcess(['migrate'], env);
    expect(await migrate.exited, migrate.output()).toBe(0);
    const rpcPort = await freePort();
    const httpPort = await freePort();
    server = startCarillonProcess(['server'], {
      ...env,
      CARILLON_SERVER_ID: 'separate-server-1',
      CARILLON_RPC_PORT: String(rpcPort),
    });
    console = startCarillonProcess(['console'], {
      ...env,
      CARILLON_HTTP_PORT: String(httpPort),
      CARILLON_ADMIN_PASSWORD: PASSWORD,
    });
    base = `http://127.0.0.1:${httpPort}`;
    await waitFor('the server to start', () => server?.output().includes('server started'), {
      timeoutMs: 60_000,
    });
    await waitFor('the console to answer', async () => (await fetch(`${base}/healthz`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
    groupId = (await api<{ id: string }>('POST', '/api/v1/groups', { name: 'apart' })).id;
    const { token: clientToken } = await api<{ token: string }>(
      'POST',
      `/api/v1/groups/${groupId}/tokens`,
      { name: 'apart client' },
    );
    client = await startClientProcess({
      servers: [`127.0.0.1:${rpcPort}`],
      group: groupId,
      token: clientToken,
      clientId: 'apart-client-1',
    });
  }, 120_000);

  afterAll(async () => {
    await client?.stop();
    await server?.stop();
    await console?.stop();
    await database?.drop();
  });

  it('fires a job made through the console, follows its edits, and stops at its deletion', async () => {
    const created = await api<{ id: number; holders: string[] }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'every second',
      description: 'made while the console knew no server',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'echo',
      param: 'v1',
    });
    const jobId = created.id;
    // The console knew no server, so the job had no holders: the server gave it some.
    expect(created.holders).toEqual([]);
    await waitFor(
      'a fire of the new job to succeed',
      async () => (await executionsOf(jobId)).find((e) => e.state === 'succeeded'),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const job = await api<{ holders: string[]; version: number }>('GET', `/api/v1/jobs/${jobId}`);
    expect(job.holders).toEqual(['separate-server-1']);

    await api('PATCH', `/api/v1/jobs/${jobId}`, { param: 'v2' });
    await waitFor(
      'a fire with the edited parameter',
      async () => (await executionsOf(jobId)).find((e) => e.result === 'echo:v2'),
      { timeoutMs: 30_000, intervalMs: 200 },
    );

    const { executionId } = await api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${jobId}/trigger`,
      { param: 'by hand' },
    );
    const manual = await waitFor(
      'the manual fire to succeed',
      async () => {
        const e = await api<Execution>('GET', `/api/v1/executions/${executionId}`);
        return e.state === 'succeeded' ? e : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(manual).toMatchObject({ cause: 'manual', result: 'echo:by hand' });

    const deletedAt = Date.now();
    await api('DELETE', `/api/v1/jobs/${jobId}`);
    // The server looks for changes every 2 s; give it ample time, then no fire may follow.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const late = (await executionsOf(jobId)).filter(
      (e) => e.cause === 'schedule' && e.scheduledAt > deletedAt + 3_000,
    );
    expect(late).toEqual([]);
    const fired = (await executionsOf(jobId)).filter((e) => e.cause === 'schedule');
    expect(fired.length).toBeGreaterThan(2);
  }, 120_000);
});
