import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, sqliteDatabase } from './harness.js';

// Every route of the console, as method and OpenAPI path.
const ROUTES = [
  ['get', '/healthz'],
  ['post', '/api/v1/auth/login'],
  ['post', '/api/v1/auth/logout'],
  ['get', '/api/v1/me'],
  ['post', '/api/v1/users'],
  ['get', '/api/v1/users'],
  ['post', '/api/v1/groups'],
  ['get', '/api/v1/groups'],
  ['get', '/api/v1/groups/{id}'],
  ['delete', '/api/v1/groups/{id}'],
  ['get', '/api/v1/groups/{id}/members'],
  ['put', '/api/v1/groups/{id}/members/{userId}'],
  ['delete', '/api/v1/groups/{id}/members/{userId}'],
  ['post', '/api/v1/groups/{id}/tokens'],
  ['post', '/api/v1/groups/{id}/tokens/revoke'],
  ['delete', '/api/v1/tokens/{tokenId}'],
  ['post', '/api/v1/jobs'],
  ['get', '/api/v1/jobs'],
  ['get', '/api/v1/jobs/{id}'],
  ['patch', '/api/v1/jobs/{id}'],
  ['delete', '/api/v1/jobs/{id}'],
  ['post', '/api/v1/jobs/{id}/enable'],
  ['post', '/api/v1/jobs/{id}/disable'],
  ['post', '/api/v1/jobs/{id}/trigger'],
  ['get', '/api/v1/jobs/{id}/next'],
  ['get', '/api/v1/cron/next'],
  ['get', '/api/v1/executions'],
  ['get', '/api/v1/executions/{id}'],
  ['get', '/api/v1/executions/{id}/logs'],
  ['post', '/api/v1/executions/{id}/cancel'],
  ['get', '/api/v1/discovery'],
  ['get', '/api/v1/servers'],
  ['get', '/api/v1/clients'],
  ['get', '/api/v1/audit'],
] as const;

describe('OpenAPI document and docs page', () => {
  let h: Harness;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let doc: any;

  beforeAll(async () => {
    h = await Harness.start(await sqliteDatabase());
    const answer = await h.call('GET', '/api/v1/openapi.json');
    expect(answer.status).toBe(200);
    doc = answer.body;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is OpenAPI 3 with bearer security', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
  });

  it('lists every route, and only those', () => {
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => `${m} ${path}`),
    );
    expect(listed.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
  });

  it('documents responses, errors and inputs of every route', () => {
    for (const [method, path] of ROUTES) {
      const op = doc.paths[path][method];
      const statuses = Object.keys(op.responses as object);
      expect(
        statuses.some((s) => s.startsWith('2')),
        `${method} ${path}`,
      ).toBe(true);
      if (path !== '/healthz') {
        expect(
          statuses.some((s) => s.startsWith('4')),
          `${method} ${path}`,
        ).toBe(true);
      }
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      const params = (op.parameters ?? []) as Array<{ in: string; name: string }>;
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(
          params.some((p) => p.in === 'path' && p.name === name),
          `${method} ${path} ${name}`,
        ).toBe(true);
      }
    }
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
  });

  it('names the shared schemas, with the job defaults documented', () => {
    for (const name of ['Job', 'Execution', 'TaskGroup', 'User', 'ErrorResponse', 'FireTimes']) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    const body = doc.paths['/api/v1/jobs'].post.requestBody.content['application/json'].schema;
    expect(body.properties.overlap.default).toBe('allow');
    expect(body.properties.misfire.default).toBe('fire_once');
    expect(body.properties.routing.default).toBe('least_loaded');
    expect(body.properties.kind.default).toBe('simple');
    expect(body.properties.timeoutMs.default).toBe(0);
    expect(body.properties.maxRetries.default).toBe(0);
    // Every reference points at a schema the document has.
    const refs = [
      ...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
    ].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas[ref ?? ''], ref).toBeDefined();
  });

  it('serves the interactive page at /api/docs', async () => {
    const answer = await h.call('GET', '/api/docs');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/html');
    expect(answer.body).toContain('swagger');
  });
});
