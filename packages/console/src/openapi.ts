import type { FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';

/** Where the OpenAPI document and the interactive page are served. */
export const OPENAPI_PATHS = { document: '/api/v1/openapi.json', page: '/api/docs' } as const;

/**
 * Registers the OpenAPI 3 document, built from the route schemas, at
 * {@link OPENAPI_PATHS.document}, and Swagger UI at {@link OPENAPI_PATHS.page}. Must be
 * registered before the routes, so that it sees them all.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Carillon console API',
        version,
        description:
          'Task groups, jobs, executions, users and rights of a Carillon cluster. Authenticate with `POST /api/v1/auth/login` and send the token as `Authorization: Bearer <token>`. Errors are `{ error: { code, message } }` with a stable `code`. Instants are integer ms since the epoch (UTC). Text lengths (`maxLength`) count Unicode code points, as the database columns do; no text may hold a NUL character or an unpaired surrogate (400 `CARILLON_INVALID_ARGUMENT` naming the field). Time zones are stored under their canonical IANA names (`utc` as `UTC`). A caller without a role on a task group gets the same 403 for everything of it, whether it exists or not.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A user token from login, or (discovery only) a client token of a task group.',
          },
        },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'auth' },
        { name: 'users' },
        { name: 'groups' },
        { name: 'tokens' },
        { name: 'jobs' },
        { name: 'executions' },
        { name: 'cluster' },
        { name: 'alerts' },
        { name: 'health' },
      ],
    },
    // Shared schemas keep their $id as their name under components.schemas.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: OPENAPI_PATHS.page });
  app.get(OPENAPI_PATHS.document, { schema: { hide: true } }, () => Promise.resolve(app.swagger()));
}
