import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseFixture } from './harness.js';
import { ADMIN, Harness, mariadbDatabase } from './harness.js';

/** The value of the sample of `name` whose labels include `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([\w:]+)\{(.*)\} (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

describe('console metrics, liveness and readiness (MariaDB)', () => {
  let db: DatabaseFixture;
  let h: Harness;

  beforeAll(async () => {
    db = await mariadbDatabase();
    h = await Harness.start(db);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('counts requests by route template and status, with their latency', async () => {
    const login = await h.call<{ token: string }>('POST', '/api/v1/auth/login', { body: ADMIN });
    expect(login.status).toBe(200);
    const token = login.body.token;
    for (const id of ['101-1-2-1', '101-1-2-2'])
      expect((await h.call('GET', `/api/v1/groups/${id}`, { token })).status).toBe(404);
    expect((await h.call('GET', '/api/v1/no/such/route')).status).toBe(404);

    const answer = await fetch(`${h.url}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/plain');
    const text = await answer.text();
    const requests = 'carillon_console_http_requests_total';
    expect(
      sample(text, requests, { method: 'GET', route: '/api/v1/groups/:id', status: '404' }),
    ).toBe(2);
    expect(
      sample(text, requests, { method: 'POST', route: '/api/v1/auth/login', status: '200' }),
    ).toBe(1);
    // Unknown paths share one series instead of making one each.
    expect(sample(text, requests, { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('101-1-2-1');
    expect(
      sample(text, 'carillon_console_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/groups/:id',
      }),
    ).toBe(2);
    expect(text).toContain('carillon_console_process_resident_memory_bytes');
  });

  it('is ready while the database answers, and not once it is gone', async () => {
    expect((await h.call('GET', '/livez')).status).toBe(200);
    const ready = await h.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: 'ok' });

    await db.drop();
    const down = await h.call('GET', '/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'not ready', database: 'error' });
    expect((await h.call('GET', '/livez')).status).toBe(200);
  });
});
