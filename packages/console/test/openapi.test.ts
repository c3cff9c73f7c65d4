import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, sqliteDatabase } from './harness.js';

// Health and metrics answer anyone, so they have no 4xx answer to document.
const PUBLIC_PROBES = ['/healthz', '/livez', '/readyz', '/metrics'];

// Every route of the console, as method and OpenAPI path.
const ROUTES = [
  ['get', '/healthz'],
  ['get', '/livez'],
  ['get', '/readyz'],
  ['get', '/metrics'],
  ['post', '/api/v1/groups/{id}/alerts'],
  ['get', '/api/v1/groups/{id}/alerts'],
  ['delete', '/api/v1/groups/{id}/alerts/{ruleId}'],
  ['patch', '/api/v1/groups/{id}/alerts/{ruleId}'],
  ['get', '/api/v1/groups/{id}/alerts/{ruleId}/deliveries'],
  ['post', '/api/v1/groups/{id}/alerts/{ruleId}/test'],
  ['post', '/api/v1/auth/login'],
  ['post', '/api/v1/auth/logout'],
  ['get', '/api/v1/auth/session'],
  ['post', '/api/v1/auth/tokens'],
  ['get', '/api/v1/auth/sessions'],
  ['delete', '/api/v1/auth/sessions/{sessionId}'],
  ['get', '/api/v1/dashboard'],
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
  ['get', '/api/v1/executions/{id}/subtasks'],
  ['get', '/api/v1/executions/{id}/subtasks/{subtaskId}'],
  ['post', '/api/v1/executions/{id}/cancel'],
  ['get', '/api/v1/discovery'],
  ['get', '/api/v1/servers'],
  ['get', '/api/v1/clients'],
  ['get', '/api/v1/audit'],
] as const;

interface Schema {
  readonly $ref?: string;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, Schema>>;
}

interface Operation {
  readonly summary?: string;
  readonly security?: unknown;
  readonly parameters?: ReadonlyArray<{ readonly in: string; readonly name: string }>;
  readonly responses: Readonly<Record<string, unknown>>;
  readonly requestBody?: {
    readonly content: Readonly<Record<string, { readonly schema: Schema }>>;
  };
}

// The parts of the document the assertions read.
interface OpenApiDocument {
  readonly openapi: string;
  readonly security: unknown;
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components: {
    readonly securitySchemes: Readonly<Record<string, unknown>>;
    readonly schemas: Readonly<Record<string, Schema>>;
  };
}

describe('OpenAPI document and docs page', () => {
  let h: Harness;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    h = await Harness.start(await sqliteDatabase());
    const answer = await h.call<OpenApiDocument>('GET', '/api/v1/openapi.json');
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
    const listed = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m} ${path}`),
    );
    expect(listed.sort()).toEqual(ROUTES.map(([m, p]) => `${m} ${p}`).sort());
  });

  it('documents responses, errors and inputs of every route', () => {
    for (const [method, path] of ROUTES) {
      const op = doc.paths[path]?.[method];
      if (op === undefined) throw new Error(`${method} ${path} is not documented`);
      const statuses = Object.keys(op.responses);
      expect(
        statuses.some((s) => s.startsWith('2')),
        `${method} ${path}`,
      ).toBe(true);
      if (!PUBLIC_PROBES.includes(path)) {
        expect(
          statuses.some((s) => s.startsWith('4')),
          `${method} ${path}`,
        ).toBe(true);
      }
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      const params = op.parameters ?? [];
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(
          params.some((p) => p.in === 'path' && p.name === name),
          `${method} ${path} ${name}`,
        ).toBe(true);
      }
    }
    expect(doc.paths['/api/v1/auth/login']?.post?.security).toEqual([]);
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
  });

  it('names the shared schemas, with the job defaults documented', () => {
    for (const name of [
      'Job',
      'Execution',
      'ExecutionDetail',
      'Subtask',
      'SubtaskProgress',
      'TaskGroup',
      'User',
      'ErrorResponse',
      'FireTimes',
    ]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    const body = doc.paths['/api/v1/jobs']?.post?.requestBody?.content['application/json']?.schema;
    const defaults = Object.fromEntries(
      Object.entries(body?.properties ?? {}).map(([name, schema]) => [name, schema.default]),
    );
    expect(defaults).toMatchObject({
      overlap: 'allow',
      misfire: 'fire_once',
      routing: 'least_loaded',
      kind: 'simple',
      timeoutMs: 0,
      maxRetries: 0,
      enabled: true,
      param: null,
      description: '',
    });
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
