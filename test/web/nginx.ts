import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dieWithThisProcess, freePort, waitFor } from '@carillon/testkit';

const NGINX = process.env['CARILLON_TEST_NGINX'] ?? '/usr/sbin/nginx';
const SHIPPED_CONF = fileURLToPath(new URL('../../deploy/nginx/carillon.conf', import.meta.url));

/** A real nginx in front of consoles, from the shipped `deploy/nginx/carillon.conf`. */
export interface Nginx {
  readonly url: string;
  /** The upstream addresses of each request so far, as nginx logged them ("a, b" when retried). */
  upstreamsOfRequests(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts nginx with the shipped configuration, its three upstream consoles replaced by
 * `upstreams` (host:port) and its port by a free one; pid, logs and temp files in a temp dir.
 */
export async function startNginx(upstreams: readonly string[]): Promise<Nginx> {
  const dir = await mkdtemp(join(tmpdir(), 'carillon-nginx-'));
  const port = await freePort();
  let index = 0;
  const shipped = await readFile(SHIPPED_CONF, 'utf8');
  const site = shipped
    .replace(/server 127\.0\.0\.1:\d+/g, () => {
      const upstream = upstreams[index++];
      if (upstream === undefined) throw new Error('more upstream servers in the conf than given');
      return `server ${upstream}`;
    })
    .replace(/listen \d+;/, `listen 127.0.0.1:${port};`);
  if (index !== upstreams.length) throw new Error(`the conf has ${index} upstream servers`);
  await writeFile(join(dir, 'carillon.conf'), site);
  await writeFile(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      "  log_format upstreams '$upstream_addr';",
      `  access_log ${join(dir, 'access.log')} upstreams;`,
      `  client_body_temp_path ${join(dir, 'body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      '  types { text/html html; application/javascript js; text/css css; }',
      `  include ${join(dir, 'carillon.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = dieWithThisProcess(
    spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const failed = exited.then(() => {
    throw new Error(`nginx exited: ${stderr}`);
  });
  await Promise.race([
    failed,
    waitFor('nginx to answer', async () => (await fetch(`${url}/healthz`)).status === 200, {
      timeoutMs: 10_000,
    }),
  ]);
  failed.catch(() => undefined);
  return {
    url,
    async upstreamsOfRequests() {
      const log = await readFile(join(dir, 'access.log'), 'utf8');
      return log.split('\n').filter((line) => line !== '');
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
