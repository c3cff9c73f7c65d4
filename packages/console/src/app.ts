import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { Clock, Coordinator, Logger, Stores } from '@carillon/core';
import {
  CarillonError,
  CoreErrorCode,
  JOB_LIMITS,
  SystemClock,
  silentLogger,
} from '@carillon/core';
import { Authenticator, SESSION_LIFETIME_DEFAULTS } from './auth/authenticator.js';
import type { SessionLifetimes } from './auth/authenticator.js';
import { PasswordGate } from './auth/password-gate.js';
import { SIGN_IN_THROTTLE_DEFAULTS, SignInThrottle } from './auth/sign-in-throttle.js';
import type { SignInThrottleSettings } from './auth/sign-in-throttle.js';
import { GroupAccess } from './auth/group-access.js';
import { ConsoleContext } from './console-context.js';
import { DatabaseAway, RETRY_AFTER_SECONDS } from './database-away.js';
import type { ConsoleSettings } from './console-context.js';
import { toErrorResponse } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { registerAlertRoutes } from './routes/alerts.js';
import type { AlertTester } from './routes/alerts.js';
import { registerApiRoutes } from './routes/api-routes.js';
import { registerHealthRoute } from './routes/health.js';
import { registerObserveRoutes } from './routes/observe.js';
import { rejectForbiddenCharacters } from './validation/clean-text.js';
import { coerceIntegers } from './validation/coerce-integers.js';
import { formatSchemaErrors } from './validation/schema-errors.js';
import type { SchemaError } from './validation/schema-errors.js';
import { SHARED_SCHEMAS } from './validation/shared-schemas.js';
import { addSecurityHeaders, defaultWebRoot, registerWebPage } from './web-page.js';

/** Options of {@link createConsole}. */
export interface ConsoleOptions {
  /** The stores of the database; the caller opens and closes them. */
  readonly stores: Stores;
  /** The coordinator; the caller starts and stops it. */
  readonly coordinator: Coordinator;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: silent. A pino logger fits. */
  readonly logger?: Logger;
  /** The cluster id: the first segment of the task group ids this console creates. */
  readonly cluster: number;
  /** The ServerGroups new task groups go to (the one with the most live servers per group); at least one. */
  readonly serverGroups: readonly number[];
  /** Backups of a new group when the request names none. Default 2. */
  readonly defaultBackups?: number;
  /** The most backups a group may ask for. Default 9. */
  readonly maxBackups?: number;
  /** The largest job parameter in UTF-8 bytes. Default and at most `JOB_LIMITS.paramMaxBytes`. */
  readonly maxParamBytes?: number;
  /** The largest request body. Default 1 MiB, and at least twice `maxParamBytes`. */
  readonly bodyLimitBytes?: number;
  /** Fastify's `trustProxy`: set it behind nginx so that logs show the client's address. */
  readonly trustProxy?: boolean | string | string[];
  /** Session lifetimes. Default: 30 min idle, 12 h absolute. */
  readonly sessions?: Partial<SessionLifetimes>;
  /** Sign-in throttling. Default: see `SIGN_IN_THROTTLE_DEFAULTS`. */
  readonly signInThrottle?: Partial<SignInThrottleSettings>;
  /**
   * The directory of the web build served at `/`. Default: the installed `@carillon/web`'s
   * `dist`; `false` serves no page.
   */
  readonly webRoot?: string | false;
  /** Shown in the OpenAPI document. Default `0.1.0`. */
  readonly version?: string;
  /** Delivers the "send a test" of alert rules; without it that action answers 503. */
  readonly alertTester?: AlertTester;
}

/** `ready` after creation, `listening` after `listen`, `closed` after `close`. */
export type ConsoleState = 'ready' | 'listening' | 'closed';

/** A console made by {@link createConsole}. */
export interface ConsoleApp extends AsyncDisposable {
  /** The Fastify instance, for `inject` in tests and for mounting more routes (the web build). */
  readonly fastify: FastifyInstance;
  readonly state: ConsoleState;
  /**
   * Starts listening (default host 127.0.0.1, port 0: a free one). Returns the bound address as
   * a base URL, e.g. `http://127.0.0.1:7700`.
   */
  listen(options?: { host?: string; port?: number }): Promise<string>;
  /** The bound base URL after `listen`, else undefined. */
  readonly url: string | undefined;
  /** Stops listening and closes open connections. Leaves stores and coordinator to the caller. */
  close(): Promise<void>;
}

function invalidOption(name: string, message: string): CarillonError {
  return new CarillonError(CoreErrorCode.InvalidArgument, `console option ${name}: ${message}`, {
    details: { field: name },
  });
}

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalidOption(name, `must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

function settingsOf(options: ConsoleOptions): ConsoleSettings {
  const cluster = positiveInteger('cluster', options.cluster, 999_999_999);
  if (options.serverGroups.length === 0) throw invalidOption('serverGroups', 'name at least one');
  const serverGroups = [...new Set(options.serverGroups)].map((sg) =>
    positiveInteger('serverGroups', sg, 999_999_999),
  );
  const maxBackups = positiveInteger('maxBackups', options.maxBackups ?? 9, 999);
  const defaultBackups = positiveInteger('defaultBackups', options.defaultBackups ?? 2, maxBackups);
  const maxParamBytes = positiveInteger(
    'maxParamBytes',
    options.maxParamBytes ?? JOB_LIMITS.paramMaxBytes,
    JOB_LIMITS.paramMaxBytes,
  );
  return Object.freeze({ cluster, serverGroups, defaultBackups, maxBackups, maxParamBytes });
}

function lifetimesOf(given: Partial<SessionLifetimes> = {}): SessionLifetimes {
  const absoluteMs = positiveInteger(
    'sessions.absoluteMs',
    given.absoluteMs ?? SESSION_LIFETIME_DEFAULTS.absoluteMs,
  );
  const idleMs = positiveInteger(
    'sessions.idleMs',
    given.idleMs ?? Math.min(SESSION_LIFETIME_DEFAULTS.idleMs, absoluteMs),
    absoluteMs,
  );
  return Object.freeze({ idleMs, absoluteMs });
}

/**
 * Creates the console: the web page at `/`, the REST API under `/api/v1`, its OpenAPI document at
 * `/api/v1/openapi.json`, Swagger UI at `/api/docs`, and `/healthz`. Does not listen yet.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for invalid options.
 * @example
 * const app = await createConsole({ stores, coordinator, cluster: 101, serverGroups: [1] });
 * const url = await app.listen({ host: '127.0.0.1', port: 7700 }); // 'http://127.0.0.1:7700'
 */
export async function createConsole(options: ConsoleOptions): Promise<ConsoleApp> {
  const settings = settingsOf(options);
  const logger = options.logger ?? silentLogger;
  const bodyLimit = Math.max(
    options.bodyLimitBytes ?? 1024 * 1024,
    2 * settings.maxParamBytes + 4096,
  );
  const fastify = Fastify({
    logger: false,
    bodyLimit,
    forceCloseConnections: true,
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
    ajv: {
      customOptions: {
        // Bodies are JSON: a wrong type is an error, not something to convert; unknown fields
        // are refused, not dropped. Path and query integers are converted by coerceIntegers.
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: true,
        discriminator: true,
        allErrors: false,
      },
    },
    schemaErrorFormatter: (errors, dataVar) =>
      formatSchemaErrors(errors as unknown as SchemaError[], dataVar),
  });
  const stores = options.stores;
  const clock = options.clock ?? new SystemClock();
  const lifetimes = lifetimesOf(options.sessions);
  const ctx = new ConsoleContext({
    stores,
    coordinator: options.coordinator,
    clock,
    logger,
    settings,
    auth: new Authenticator(stores.users, stores.sessions, clock),
    access: new GroupAccess(stores.groups),
    signIn: {
      throttle: new SignInThrottle(stores.sessions, {
        ...SIGN_IN_THROTTLE_DEFAULTS,
        ...options.signInThrottle,
      }),
      // Four scrypt checks at once: 128 MiB at most, and sign-in keeps a few cores busy at most.
      gate: new PasswordGate(4),
      lifetimes,
    },
  });

  // Only JSON bodies; without this a text/plain body would reach handlers as a string.
  fastify.removeContentTypeParser(['text/plain', 'application/json']);
  // An empty body with a JSON content type (what `curl -X POST -H 'Content-Type:
  // application/json'` sends to .../enable) counts as no body; otherwise Fastify's parser, with
  // its prototype-poisoning guard.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '') done(null, undefined);
    // The default parser calls `done` itself and returns nothing to wait for.
    else void parseJson(request, text, done);
  });
  for (const schema of SHARED_SCHEMAS) fastify.addSchema(schema);
  fastify.addHook('preValidation', rejectForbiddenCharacters);
  fastify.addHook('preValidation', coerceIntegers);
  fastify.addHook('onRequest', (_request, reply, done) => {
    addSecurityHeaders(reply);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logger.debug(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });
  const databaseAway = new DatabaseAway(stores, logger);
  fastify.setErrorHandler((error, request, reply) => {
    const away = databaseAway.answer(error, request.method);
    if (away !== undefined) {
      return reply.code(away.status).header('retry-after', RETRY_AFTER_SECONDS).send(away.body);
    }
    const response = toErrorResponse(error);
    if (response.internal) {
      logger.error({ err: error, method: request.method, url: request.url }, 'request failed');
    }
    return reply.code(response.status).send(response.body);
  });
  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const response = toErrorResponse(
      new CarillonError(CoreErrorCode.NotFound, `no route ${request.method} ${path}`),
    );
    return reply.code(response.status).send(response.body);
  });

  await registerOpenApi(fastify, options.version ?? '0.1.0');
  registerHealthRoute(fastify, ctx);
  registerObserveRoutes(fastify, ctx);
  await fastify.register(
    (api, _opts, done) => {
      registerApiRoutes(api, ctx);
      done();
    },
    { prefix: '/api/v1' },
  );
  if (options.webRoot !== false) {
    await registerWebPage(fastify, options.webRoot ?? defaultWebRoot());
  }
  await registerAlertRoutes(fastify, ctx, options.alertTester);
  await fastify.ready();

  let state: ConsoleState = 'ready';
  let url: string | undefined;
  const close = async (): Promise<void> => {
    if (state === 'closed') return;
    state = 'closed';
    await fastify.close();
  };
  return {
    fastify,
    get state() {
      return state;
    },
    get url() {
      return url;
    },
    async listen({ host = '127.0.0.1', port = 0 } = {}) {
      if (state !== 'ready') {
        throw new CarillonError(
          CoreErrorCode.InvalidTransition,
          `console is ${state}; it listens once, after creation`,
        );
      }
      await fastify.listen({ host, port });
      state = 'listening';
      const address = fastify.server.address();
      if (address === null || typeof address === 'string') {
        throw new Error(`console listens on an unexpected address: ${String(address)}`);
      }
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      url = `http://${shown}:${address.port}`;
      return url;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
