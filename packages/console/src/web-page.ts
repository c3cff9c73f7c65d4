import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

// The page loads only its own files and talks only to its own console: no inline script, no
// third-party origin, no framing (clickjacking).
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Carillon</title>
<p>The web console is not built. Run <code>npm run build</code> (or <code>npm ci</code>, which builds it), then reload.
The REST API is at <a href="/api/docs">/api/docs</a>.</p>`;

/**
 * Where the web build is: `packages/web/dist` of the installed `@carillon/web`, or undefined
 * when that package is not installed or not built.
 */
export function defaultWebRoot(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const root = join(dirname(require.resolve('@carillon/web/package.json')), 'dist');
    return existsSync(join(root, 'index.html')) ? root : undefined;
  } catch {
    return undefined;
  }
}

/** The headers every answer carries; the page's own answers add its CSP. */
export function addSecurityHeaders(reply: FastifyReply): void {
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('cross-origin-opener-policy', 'same-origin');
  void reply.header('cross-origin-resource-policy', 'same-origin');
}

function pageHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', PAGE_CSP);
}

/**
 * Serves the single-page app at `/`: its hashed assets for a year, `index.html` never cached,
 * and `index.html` for any other GET outside the API (the page's own routes), each with the
 * page's Content-Security-Policy.
 */
export async function registerWebPage(
  fastify: FastifyInstance,
  root: string | undefined,
): Promise<void> {
  if (root === undefined) {
    fastify.get('/', { schema: { hide: true } }, (_request, reply) => {
      pageHeaders(reply);
      return reply
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8')
        .send(NOT_BUILT);
    });
    return;
  }
  await fastify.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('content-security-policy', PAGE_CSP);
      res.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const sendPage = (reply: FastifyReply): FastifyReply => {
    pageHeaders(reply);
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };
  fastify.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply));
  fastify.get('/*', { schema: { hide: true } }, (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // Missing files under these prefixes are real 404s, not page routes.
    if (path.startsWith('/api/') || path.startsWith('/assets/') || path.includes('.')) {
      return reply.callNotFound();
    }
    return sendPage(reply);
  });
}
