// The console with its database gone (MariaDB behind a TCP proxy that is closed, then started
// again on the same port): requests get a 503 that says so, not a 500 "internal error", and
// the console answers again by itself once the database is back.
import { startTcpProxy } from '@carillon/testkit';
import type { TcpProxy } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Harness, mariadbDatabase } from './harness.js';

describe('the console while its database is away (MariaDB)', () => {
  let h: Harness;
  let proxy: TcpProxy;
  let target: string;

  beforeAll(async () => {
    const db = await mariadbDatabase();
    const url = new URL(db.url);
    target = `${url.hostname}:${url.port === '' ? '3306' : url.port}`;
    proxy = await startTcpProxy(target);
    const [host = '', port = ''] = proxy.address.split(':');
    Object.assign(url, { hostname: host, port });
    h = await Harness.start({ ...db, name: 'mariadb behind a proxy', url: url.toString() });
  });

  afterAll(async () => {
    await h?.close();
    await proxy?.close();
  });

  it('answers 503 with Retry-After while it is gone, and 200 again once it is back', async () => {
    const token = await h.login(ADMIN.username, ADMIN.password);
    expect((await h.call('GET', '/api/v1/groups', { token })).status).toBe(200);
    const port = Number(proxy.address.split(':')[1]);
    await proxy.close();

    const read = await h.call('GET', '/api/v1/groups', { token });
    expect(read.status).toBe(503);
    expect(read.headers.get('retry-after')).toBe('2');
    expect(read.body.error.code).toBe('CARILLON_UNAVAILABLE');
    expect(read.body.error.message).toMatch(/^the database does not answer or is busy; try again/);
    const write = await h.call('POST', '/api/v1/groups', { token, body: { name: 'while away' } });
    expect(write.status).toBe(503);
    expect(write.body.error.message).toMatch(/the change may not have been made: check/);

    proxy = await startTcpProxy(target, port);
    const back = await h.call('GET', '/api/v1/groups', { token });
    expect(back.status).toBe(200);
    expect(back.body.items.map((g) => g['name'])).not.toContain('while away');
  });
});
