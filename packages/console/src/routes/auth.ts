import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '@carillon/core';
import { CarillonError, hashTokenSecret } from '@carillon/core';
import { asSessionSecret } from '../auth/authenticator.js';
import { SESSION_COOKIE, readCookie, sessionCookie } from '../auth/cookies.js';
import { verifyAgainstDecoy, verifyPassword } from '../auth/password.js';
import { actorOf } from '../auth/principal.js';
import { newTokenSecret } from '../auth/token-secret.js';
import type { ConsoleContext } from '../console-context.js';
import { ConsoleErrorCode, forbidden, notFound, unauthenticated } from '../errors.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';

const PRUNE_AFTER_MS = 24 * 3_600_000;

const SESSION_SCHEMA = {
  type: 'object',
  required: ['id', 'createdAt', 'lastSeenAt', 'expiresAt', 'idleMs', 'address', 'userAgent'],
  properties: {
    id: { type: 'integer' },
    userId: { type: 'integer' },
    createdAt: { type: 'integer' },
    lastSeenAt: { type: 'integer' },
    expiresAt: { type: 'integer' },
    idleMs: { type: 'integer' },
    address: { type: 'string' },
    userAgent: { type: 'string' },
    current: { type: 'boolean' },
  },
} as const;

function publicSession(session: Session, currentId: number | undefined): object {
  return {
    id: session.id,
    userId: session.userId,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt: session.expiresAt,
    idleMs: session.idleMs,
    address: session.address,
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}

function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/** `POST /auth/login`: public, so it is registered outside the authenticated scope. */
export function registerLoginRoute(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, logger, signIn } = ctx;

  app.post<{ Body: { username: string; password: string; mode?: 'bearer' | 'cookie' } }>(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in',
        description:
          'Starts a session with an idle and an absolute lifetime. `mode: "bearer"` (the default, for scripts) returns its secret as `token` (send it as `Authorization: Bearer <token>`). `mode: "cookie"` (for the web page) sets it as an HttpOnly SameSite=Strict cookie instead and returns `csrfToken`, which every change made with the cookie must send in `X-Carillon-CSRF`. Repeated failures of one username from one address slow that pair down (429 with Retry-After); they never lock an account, and other addresses are not affected.',
        security: [],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'password'],
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
            mode: { type: 'string', enum: ['bearer', 'cookie'] },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['user', 'csrfToken', 'expiresAt', 'idleMs'],
            properties: {
              token: { type: 'string' },
              csrfToken: { type: 'string' },
              expiresAt: { type: 'integer' },
              idleMs: { type: 'integer' },
              user: ref('User'),
            },
          },
          ...errorResponses(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const { username, password, mode = 'bearer' } = request.body;
      const address = request.ip;
      const wait = await signIn.throttle.waitMs(address, username, ctx.clock.now());
      if (wait > 0) {
        const retryAfterS = Math.ceil(wait / 1000);
        void reply.header('retry-after', String(retryAfterS));
        throw new CarillonError(
          ConsoleErrorCode.TooManyRequests,
          `too many failed sign-ins of this user from this address: try again in ${retryAfterS} s`,
          { details: { retryAfterS } },
        );
      }
      const found = await stores.users.findForLogin(username);
      const ok = await signIn.gate.run(() =>
        found === undefined
          ? verifyAgainstDecoy(password)
          : verifyPassword(password, found.passwordHash),
      );
      if (!ok || found === undefined) {
        await signIn.throttle.failed(address, username, ctx.clock.now());
        logger.warn({ username, ip: address }, 'sign-in refused');
        throw unauthenticated('wrong username or password', 'wrong-password');
      }
      await signIn.throttle.succeeded(address, username);
      const { user } = found;
      const secret = asSessionSecret(newTokenSecret());
      const csrfToken = randomBytes(24).toString('base64url');
      const now = ctx.clock.now();
      const { idleMs, absoluteMs } = signIn.lifetimes;
      const session = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const created = await tx.sessions.create(
          {
            userId: user.id,
            secretHash: hashTokenSecret(secret),
            csrfToken,
            expiresAt: now + absoluteMs,
            idleMs,
            address,
            userAgent: request.headers['user-agent'] ?? '',
          },
          now,
        );
        await audit('auth:login', `user:${user.id}`, { sessionId: created.id, mode });
        return created;
      });
      // Sessions that ended a day ago, and failures a day old, serve nobody: each sign-in
      // clears them, so the tables stay the size of the live ones.
      await stores.sessions.prune(now - PRUNE_AFTER_MS);
      const common = { csrfToken, expiresAt: session.expiresAt, idleMs, user };
      if (mode === 'cookie') {
        void reply.header('set-cookie', sessionCookie(secret, absoluteMs / 1000, isHttps(request)));
        return common;
      }
      return { token: secret, ...common };
    },
  );
}

async function revokeSession(
  ctx: ConsoleContext,
  request: FastifyRequest,
  sessionId: number,
): Promise<boolean> {
  const { user } = ctx.auth.userOf(request);
  return ctx.commitChange(actorOf(user), async (tx, audit) => {
    const revoked = await tx.sessions.revoke(sessionId, ctx.clock.now());
    if (revoked) await audit('auth:logout', `user:${user.id}`, { sessionId });
    return revoked;
  });
}

function clearCookie(request: FastifyRequest, reply: FastifyReply): void {
  if (readCookie(request.headers.cookie, SESSION_COOKIE) !== undefined) {
    void reply.header('set-cookie', sessionCookie('', 0, isHttps(request)));
  }
}

/** `POST /auth/logout`, `GET /auth/session`, the session list and `GET /me`: authenticated. */
export function registerSessionRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the session (or revoke the API token) of this request',
        response: { 204: { type: 'null', description: 'Revoked.' }, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const { user, credential } = ctx.auth.userOf(request);
      if (credential.kind === 'session') {
        await revokeSession(ctx, request, credential.sessionId);
      } else {
        await ctx.commitChange(actorOf(user), async (tx, audit) => {
          await tx.users.revokeToken(credential.tokenId, ctx.clock.now());
          await audit('auth:logout', `user:${user.id}`, { tokenId: credential.tokenId });
        });
      }
      clearCookie(request, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'The session of this request, with its CSRF token (how the page resumes)',
        response: {
          200: {
            type: 'object',
            required: ['user', 'csrfToken', 'expiresAt', 'idleMs'],
            properties: {
              user: ref('User'),
              csrfToken: { type: 'string' },
              expiresAt: { type: 'integer' },
              idleMs: { type: 'integer' },
            },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const { user, credential } = ctx.auth.userOf(request);
      if (credential.kind !== 'session') {
        throw forbidden('forbidden: this request carries an API token, not a session');
      }
      const session = await ctx.stores.sessions.get(credential.sessionId);
      if (session === undefined) throw unauthenticated('unknown or revoked session');
      const { csrfToken, expiresAt, idleMs } = session;
      return { user, csrfToken, expiresAt, idleMs };
    },
  );

  app.get<{ Querystring: { all?: 'true' | 'false' } }>(
    '/auth/sessions',
    {
      schema: {
        tags: ['auth'],
        summary: 'Active sessions: your own, or with `all=true` every user’s (admins)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { all: { type: 'string', enum: ['true', 'false'] } },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: SESSION_SCHEMA } },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { user, credential } = ctx.auth.userOf(request);
      if (request.query.all === 'true') ctx.access.requireAdmin(user);
      const current = credential.kind === 'session' ? credential.sessionId : undefined;
      const sessions = await ctx.stores.sessions.listActive(
        request.query.all === 'true' ? undefined : user.id,
        ctx.clock.now(),
      );
      return { items: sessions.map((s) => publicSession(s, current)) };
    },
  );

  app.delete<{ Params: { sessionId: number } }>(
    '/auth/sessions/:sessionId',
    {
      schema: {
        tags: ['auth'],
        summary: 'End a session: your own, or anyone’s (admins)',
        params: {
          type: 'object',
          required: ['sessionId'],
          properties: { sessionId: { type: 'integer', minimum: 1 } },
        },
        response: {
          204: { type: 'null', description: 'Ended.' },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const session = await ctx.stores.sessions.get(request.params.sessionId);
      if (session === undefined || session.revokedAt !== null) {
        if (!user.isAdmin) throw forbidden();
        throw notFound(`session ${request.params.sessionId}`);
      }
      if (session.userId !== user.id) ctx.access.requireAdmin(user);
      await revokeSession(ctx, request, session.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who the caller is, and its roles',
        response: {
          200: {
            type: 'object',
            required: ['user', 'roles'],
            properties: {
              user: ref('User'),
              roles: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['groupId', 'role'],
                  properties: { groupId: { type: 'string' }, role: { type: 'string' } },
                },
              },
            },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const roles = await ctx.stores.groups.rolesOf(user.id);
      return { user, roles: [...roles].map(([groupId, role]) => ({ groupId, role })) };
    },
  );
}
