import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock, Session, SessionStore, User, UserStore } from '@carillon/core';
import { hashTokenSecret } from '@carillon/core';
import { forbidden, unauthenticated } from '../errors.js';
import { CSRF_HEADER, SESSION_COOKIE, readCookie } from './cookies.js';
import type { Principal } from './principal.js';

// RFC 6750's b64token. Anything of this shape is a token to look up: a wrong one is "unknown",
// not "malformed".
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]{1,1024}=*) *$/i;
// Session secrets carry this prefix; API token secrets (base64url) never contain a dot.
const SESSION_PREFIX = 's.';
// A session's last use is written at most this often, so that a busy page does not write on
// every request.
const TOUCH_EVERY_MS = 30_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Lifetimes of sessions. */
export interface SessionLifetimes {
  /** A session unused this long ends. Default 30 min. */
  readonly idleMs: number;
  /** A session ends this long after sign-in, however busy. Default 12 h. */
  readonly absoluteMs: number;
}

/** The defaults of {@link SessionLifetimes}. */
export const SESSION_LIFETIME_DEFAULTS: SessionLifetimes = Object.freeze({
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
});

/** True when `secret` is a session secret (from sign-in) rather than an API token secret. */
export function isSessionSecret(secret: string): boolean {
  return secret.startsWith(SESSION_PREFIX);
}

/** Prefixes a random secret so that it is recognised as a session's. */
export function asSessionSecret(random: string): string {
  return `${SESSION_PREFIX}${random}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Resolves a request's credentials to a {@link Principal} and remembers it for the request:
 * `Authorization: Bearer <token>` (an API token or a session secret, for scripts), or the
 * HttpOnly session cookie (for the page), which on any change must come with the session's CSRF
 * token in `X-Carillon-CSRF`. Everything is in the database, so any console verifies any
 * session.
 */
export class Authenticator {
  readonly #users: UserStore;
  readonly #sessions: SessionStore;
  readonly #clock: Clock;
  readonly #principals = new WeakMap<FastifyRequest, Principal>();

  constructor(users: UserStore, sessions: SessionStore, clock: Clock) {
    this.#users = users;
    this.#sessions = sessions;
    this.#clock = clock;
  }

  /**
   * The live session of a secret, or the reason there is none.
   *
   * @throws CarillonError `CARILLON_UNAUTHENTICATED` when unknown, revoked, idle too long or
   *   past its absolute lifetime.
   */
  async liveSession(secret: string): Promise<{ session: Session; user: User }> {
    const session = await this.#sessions.findBySecret(hashTokenSecret(secret));
    if (session === undefined)
      throw unauthenticated('unknown or revoked session; sign in again', 'unknown');
    const now = this.#clock.now();
    if (now >= session.expiresAt)
      throw unauthenticated('session expired; sign in again', 'expired');
    if (now >= session.lastSeenAt + session.idleMs) {
      throw unauthenticated('session expired after inactivity; sign in again', 'expired');
    }
    const user = await this.#users.get(session.userId);
    if (user === undefined)
      throw unauthenticated('unknown or revoked session; sign in again', 'unknown');
    if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await this.#sessions.touch(session.id, now);
    return { session, user };
  }

  /**
   * Authenticates the request and remembers the principal.
   *
   * @throws CarillonError `CARILLON_UNAUTHENTICATED` when credentials are missing, malformed,
   *   unknown, revoked or expired; `CARILLON_FORBIDDEN` for a change by cookie without the
   *   session's CSRF token.
   */
  async authenticate(request: FastifyRequest): Promise<Principal> {
    const principal = await this.#resolve(request);
    this.#principals.set(request, principal);
    return principal;
  }

  async #resolve(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (cookie === undefined || cookie === '') {
        throw unauthenticated(
          'missing credentials: send "Authorization: Bearer <token>", or sign in',
          'missing',
        );
      }
      const { session, user } = await this.liveSession(cookie);
      if (!SAFE_METHODS.has(request.method)) {
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameText(sent, session.csrfToken)) {
          throw forbidden(
            `forbidden: a change by session cookie needs the session's ${CSRF_HEADER} header`,
          );
        }
      }
      return {
        kind: 'user',
        user,
        credential: { kind: 'session', sessionId: session.id, viaCookie: true },
      };
    }
    const match = BEARER.exec(header);
    if (match === null) {
      throw unauthenticated(
        'malformed Authorization header: expected "Bearer <token>"',
        'malformed',
      );
    }
    const secret = match[1] ?? '';
    if (isSessionSecret(secret)) {
      const { session, user } = await this.liveSession(secret);
      return {
        kind: 'user',
        user,
        credential: { kind: 'session', sessionId: session.id, viaCookie: false },
      };
    }
    const token = await this.#users.findToken(hashTokenSecret(secret));
    if (token === undefined) throw unauthenticated('unknown or revoked token', 'unknown');
    if (token.kind === 'user') {
      const user = token.userId === null ? undefined : await this.#users.get(token.userId);
      if (user === undefined) throw unauthenticated('unknown or revoked token', 'unknown');
      return { kind: 'user', user, credential: { kind: 'token', tokenId: token.id } };
    }
    if (token.groupId === null) throw unauthenticated('unknown or revoked token', 'unknown');
    return { kind: 'client', groupId: token.groupId, tokenId: token.id };
  }

  /**
   * The principal of an authenticated request.
   *
   * @throws CarillonError `CARILLON_UNAUTHENTICATED` if the request was not authenticated.
   */
  principalOf(request: FastifyRequest): Principal {
    const principal = this.#principals.get(request);
    if (principal === undefined) throw unauthenticated('not authenticated');
    return principal;
  }

  /**
   * The user making an authenticated request.
   *
   * @throws CarillonError `CARILLON_UNAUTHENTICATED` if the request was not authenticated;
   *   `CARILLON_FORBIDDEN` if it carries a client token (those only serve discovery).
   */
  userOf(request: FastifyRequest): Extract<Principal, { kind: 'user' }> {
    const principal = this.principalOf(request);
    if (principal.kind !== 'user') {
      throw forbidden('forbidden: a client token may only be used for discovery');
    }
    return principal;
  }
}
