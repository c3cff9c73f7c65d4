import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConsoleContext } from '../console-context.js';

const READY_TIMEOUT_MS = 2_000;

/**
 * `GET /metrics` (Prometheus: HTTP requests by route and status, their latency, and the
 * process's own metrics), `GET /livez` (the process answers) and `GET /readyz` (the database
 * answers within 2 s; 503 otherwise). Public, outside `/api/v1`, like `/healthz`. Each console
 * has a registry of its own.
 */
export function registerObserveRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'carillon_console_' });
  const requests = new Counter({
    name: 'carillon_console_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'carillon_console_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template.',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the raw URL: ids in paths would make a series per id.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics of this console',
        security: [],
        produces: ['text/plain'],
        response: { 200: { description: 'Prometheus text format.', type: 'string' } },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );

  app.get(
    '/livez',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process answers',
        security: [],
        response: {
          200: {
            description: 'Alive.',
            type: 'object',
            properties: { status: { type: 'string' } },
          },
        },
      },
    },
    (_request, reply) => reply.send({ status: 'ok' }),
  );

  const readySchema = {
    type: 'object',
    properties: { status: { type: 'string' }, database: { type: 'string' } },
  } as const;
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers',
        security: [],
        response: {
          200: { description: 'Ready.', ...readySchema },
          503: { description: 'The database does not answer.', ...readySchema },
        },
      },
    },
    async (_request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          ctx.stores.users.get(0),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
              READY_TIMEOUT_MS,
            );
          }),
        ]);
        return await reply.code(200).send({ status: 'ready', database: 'ok' });
      } catch (error) {
        ctx.logger.warn({ err: error }, 'readiness: the database does not answer');
        return await reply.code(503).send({ status: 'not ready', database: 'error' });
      } finally {
        clearTimeout(timer);
      }
    },
  );
}
