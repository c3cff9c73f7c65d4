import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from '../console-context.js';
import { registerAuditRoutes } from './audit.js';
import { registerLoginRoute, registerSessionRoutes } from './auth.js';
import { registerClusterRoutes } from './cluster.js';
import { registerCronRoutes } from './cron.js';
import { registerDashboardRoutes } from './dashboard.js';
import { registerExecutionRoutes } from './executions.js';
import { registerGroupRoutes } from './groups.js';
import { registerJobActionRoutes } from './job-actions.js';
import { registerJobRoutes } from './jobs.js';
import { registerMemberRoutes } from './members.js';
import { registerPersonalTokenRoutes } from './personal-tokens.js';
import { registerSubtaskRoutes } from './subtasks.js';
import { registerTokenRoutes } from './tokens.js';
import { registerUserRoutes } from './users.js';

/**
 * Registers every `/api/v1` route on `api` (a plugin scope with that prefix): login in the open,
 * the rest behind a hook that authenticates the bearer token before anything else (so an
 * unauthenticated caller gets 401 before any validation or lookup).
 */
export function registerApiRoutes(api: FastifyInstance, ctx: ConsoleContext): void {
  registerLoginRoute(api, ctx);
  void api.register((secured, _opts, done) => {
    secured.addHook('onRequest', async (request) => {
      await ctx.auth.authenticate(request);
    });
    registerSessionRoutes(secured, ctx);
    registerPersonalTokenRoutes(secured, ctx);
    registerUserRoutes(secured, ctx);
    registerGroupRoutes(secured, ctx);
    registerMemberRoutes(secured, ctx);
    registerTokenRoutes(secured, ctx);
    registerJobRoutes(secured, ctx);
    registerJobActionRoutes(secured, ctx);
    registerCronRoutes(secured, ctx);
    registerExecutionRoutes(secured, ctx);
    registerSubtaskRoutes(secured, ctx);
    registerClusterRoutes(secured, ctx);
    registerAuditRoutes(secured, ctx);
    registerDashboardRoutes(secured, ctx);
    done();
  });
}
