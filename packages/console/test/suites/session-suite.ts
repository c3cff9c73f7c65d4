import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashTokenSecret } from '@carillon/core';
import { createConsole } from '../../src/index.js';
import { ADMIN, Harness } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';

interface CookieSession {
  cookie: string;
  csrfToken: string;
  setCookie: string;
}

/** Browser sessions: cookies with a CSRF check, lifetimes, the list, throttling, headers. */
export function defineSessionSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('sessions', () => {
    let h: Harness;

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
    });
    afterAll(async () => {
      await h?.close();
    });

    async function cookieLogin(username: string, password: string): Promise<CookieSession> {
      const response = await fetch(`${h.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password, mode: 'cookie' }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { csrfToken: string; token?: string };
      expect(body.token).toBeUndefined();
      const setCookie = response.headers.get('set-cookie') ?? '';
      return { cookie: setCookie.split(';')[0] ?? '', csrfToken: body.csrfToken, setCookie };
    }

    function withCookie(
      session: CookieSession,
      method: string,
      path: string,
      options: { csrf?: string; body?: unknown } = {},
    ): Promise<Response> {
      return fetch(`${h.url}${path}`, {
        method,
        headers: {
          cookie: session.cookie,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.csrf === undefined ? {} : { 'x-carillon-csrf': options.csrf }),
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    }

    it('a wrong but well-formed token is unknown, not malformed', async () => {
      for (const authorization of [
        'Bearer wrong-token',
        'Bearer abc.def+ghi/jkl==',
        `Bearer ${'A'.repeat(43)}`,
      ]) {
        const answer = await h.call('GET', '/api/v1/groups', { authorization });
        expect(answer.status, authorization).toBe(401);
        expect(answer.body.error.details, authorization).toEqual({ credential: 'unknown' });
      }
      for (const authorization of ['Bearer', 'Bearer not a token', 'Basic YWxpY2U6cHc=']) {
        const answer = await h.call('GET', '/api/v1/groups', { authorization });
        expect(answer.body.error.details, authorization).toEqual({ credential: 'malformed' });
      }
    });

    it('cookie sessions are HttpOnly and SameSite=Strict, and changes need the CSRF token', async () => {
      const session = await cookieLogin(ADMIN.username, ADMIN.password);
      expect(session.setCookie).toMatch(/HttpOnly/);
      expect(session.setCookie).toMatch(/SameSite=Strict/);
      expect((await withCookie(session, 'GET', '/api/v1/groups')).status).toBe(200);
      const resumed = (await (await withCookie(session, 'GET', '/api/v1/auth/session')).json()) as {
        csrfToken: string;
      };
      expect(resumed.csrfToken).toBe(session.csrfToken);
      const before = await h.snapshot();
      const forged = await withCookie(session, 'POST', '/api/v1/groups', { body: { name: 'x' } });
      expect(forged.status).toBe(403);
      const wrong = await withCookie(session, 'POST', '/api/v1/groups', {
        body: { name: 'x' },
        csrf: 'A'.repeat(32),
      });
      expect(wrong.status).toBe(403);
      expect(await h.snapshot()).toEqual(before);
      const made = await withCookie(session, 'POST', '/api/v1/groups', {
        body: { name: 'cookie-made' },
        csrf: session.csrfToken,
      });
      expect(made.status).toBe(201);
      const out = await withCookie(session, 'POST', '/api/v1/auth/logout', {
        csrf: session.csrfToken,
      });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
      expect((await withCookie(session, 'GET', '/api/v1/groups')).status).toBe(401);
    });

    it('a session ends after its idle time, and after its absolute lifetime however busy', async () => {
      const idle = await h.login(ADMIN.username, ADMIN.password);
      h.clock.advance(29 * 60_000);
      expect((await h.call('GET', '/api/v1/me', { token: idle })).status).toBe(200);
      h.clock.advance(29 * 60_000);
      expect((await h.call('GET', '/api/v1/me', { token: idle })).status).toBe(200);
      h.clock.advance(31 * 60_000);
      const expired = await h.call('GET', '/api/v1/me', { token: idle });
      expect(expired.status).toBe(401);
      expect(expired.body.error.details).toEqual({ credential: 'expired' });

      const busy = await h.login(ADMIN.username, ADMIN.password);
      for (let hour = 0; hour < 12; hour += 0.25) {
        h.clock.advance(15 * 60_000);
        const answer = await h.call('GET', '/api/v1/me', { token: busy });
        if (hour + 0.25 < 12) expect(answer.status, `after ${hour + 0.25} h`).toBe(200);
        else expect(answer.status).toBe(401);
      }
      // A day after they ended, a sign-in clears them out of the table.
      const ended = await h.stores.sessions.findBySecret(hashTokenSecret(busy));
      expect(ended).toBeDefined();
      h.clock.advance(24 * 3_600_000 + 1);
      await h.login(ADMIN.username, ADMIN.password);
      expect(await h.stores.sessions.get(ended?.id ?? 0)).toBeUndefined();
    });

    it('a signed-in user makes personal API tokens that outlive sessions, until revoked', async () => {
      const session = await h.login(ADMIN.username, ADMIN.password);
      const made = await h.call<{ token: string; id: number }>('POST', '/api/v1/auth/tokens', {
        token: session,
        body: { name: 'nightly script' },
      });
      expect(made.status).toBe(201);
      const script = made.body.token;
      const minted = await h.call('POST', '/api/v1/auth/tokens', {
        token: script,
        body: { name: 'from a token' },
      });
      expect(minted.status).toBe(403);
      h.clock.advance(13 * 3_600_000);
      expect((await h.call('GET', '/api/v1/me', { token: session })).status).toBe(401);
      expect((await h.call('GET', '/api/v1/me', { token: script })).status).toBe(200);
      expect((await h.call('POST', '/api/v1/auth/logout', { token: script })).status).toBe(204);
      expect((await h.call('GET', '/api/v1/me', { token: script })).status).toBe(401);
    });

    it('sessions are listed and can be ended, by their user or an admin only', async () => {
      const admin = await h.login(ADMIN.username, ADMIN.password);
      const bob = await h.user(admin, 'bob');
      const other = await h.login('bob', 'bob-password-1');
      const mine = await h.call<{ items: { id: number; current: boolean }[] }>(
        'GET',
        '/api/v1/auth/sessions',
        { token: bob.token },
      );
      expect(mine.status).toBe(200);
      expect(mine.body.items).toHaveLength(2);
      expect(mine.body.items.filter((s) => s.current)).toHaveLength(1);
      expect(JSON.stringify(mine.body)).not.toMatch(/csrf/i);
      const adminsOwn = await h.call<{ items: { id: number }[] }>('GET', '/api/v1/auth/sessions', {
        token: admin,
      });
      const adminSession = adminsOwn.body.items[0]?.id ?? 0;
      expect(
        (await h.call('DELETE', `/api/v1/auth/sessions/${adminSession}`, { token: bob.token }))
          .status,
      ).toBe(403);
      expect(
        (await h.call('GET', '/api/v1/auth/sessions?all=true', { token: bob.token })).status,
      ).toBe(403);
      const otherId = mine.body.items.find((s) => !s.current)?.id ?? 0;
      expect(
        (await h.call('DELETE', `/api/v1/auth/sessions/${otherId}`, { token: bob.token })).status,
      ).toBe(204);
      expect((await h.call('GET', '/api/v1/me', { token: other })).status).toBe(401);
      expect(
        (
          await h.call(
            'DELETE',
            `/api/v1/auth/sessions/${mine.body.items.find((s) => s.current)?.id ?? 0}`,
            { token: admin },
          )
        ).status,
      ).toBe(204);
      expect((await h.call('GET', '/api/v1/me', { token: bob.token })).status).toBe(401);
    });

    it('failed sign-ins slow that username at that address down, without locking anyone out', async () => {
      const admin = await h.login(ADMIN.username, ADMIN.password);
      await h.user(admin, 'carol');
      const attempt = (username: string, password: string) =>
        h.call('POST', '/api/v1/auth/login', { body: { username, password } });
      for (let i = 0; i < 5; i++)
        expect((await attempt('carol', 'wrong-password')).status).toBe(401);
      const throttled = await attempt('carol', 'carol-password-1');
      expect(throttled.status).toBe(429);
      expect(throttled.body.error.code).toBe('CARILLON_TOO_MANY_REQUESTS');
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      // Someone guessing carol's password does not keep the admin out.
      expect((await attempt(ADMIN.username, ADMIN.password)).status).toBe(200);
      // A delay, not a lock: once it has passed, the right password works and clears the count.
      h.clock.advance(1_001);
      expect((await attempt('carol', 'carol-password-1')).status).toBe(200);
      expect((await attempt('carol', 'wrong-password')).status).toBe(401);
      expect((await attempt('carol', 'carol-password-1')).status).toBe(200);
    });

    it('guessing the admin password from one address never delays the admin at another', async () => {
      // Behind a proxy the caller's address comes from X-Forwarded-For.
      const proxied = await createConsole({
        stores: h.stores,
        coordinator: h.coordinator,
        clock: h.clock,
        cluster: 101,
        serverGroups: [1],
        trustProxy: true,
        webRoot: false,
      });
      const url = await proxied.listen();
      try {
        const attempt = (from: string, password: string) =>
          fetch(`${url}/api/v1/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
            body: JSON.stringify({ username: ADMIN.username, password }),
          });
        for (let i = 0; i < 8; i++) await attempt('203.0.113.9', 'not-the-password');
        expect((await attempt('203.0.113.9', ADMIN.password)).status).toBe(429);
        expect((await attempt('198.51.100.7', ADMIN.password)).status).toBe(200);
      } finally {
        await proxied.close();
      }
    });

    it('answers carry the usual security headers; the page its Content-Security-Policy', async () => {
      const api = await fetch(`${h.url}/healthz`);
      expect(api.headers.get('x-content-type-options')).toBe('nosniff');
      expect(api.headers.get('x-frame-options')).toBe('DENY');
      expect(api.headers.get('referrer-policy')).toBe('no-referrer');
      const page = await fetch(`${h.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      const route = await fetch(`${h.url}/groups/101-1-2-1`);
      expect(route.status).toBe(200);
      expect(await route.text()).toMatch(/<div id="app">|not built/);
      expect((await fetch(`${h.url}/api/v1/nothing-here`)).status).toBe(404);
      expect((await fetch(`${h.url}/assets/missing.js`)).status).toBe(404);
    });
  });
}
