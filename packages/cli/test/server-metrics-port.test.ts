// `carillon server` with CARILLON_METRICS_PORT serves metrics and health; without it, nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkGrpcHealth } from '@carillon/protocol';
import { freePort, startCarillonProcess, waitFor } from '@carillon/testkit';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('carillon server with CARILLON_METRICS_PORT', () => {
  it(
    'answers /readyz, /livez and /metrics on that port, and gRPC health on its gRPC port',
    { timeout: 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'carillon-metrics-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const env = {
        CARILLON_DB_URL: `sqlite://${join(dir, 'carillon.db')}`,
        CARILLON_LOG_LEVEL: 'info',
      };
      const migrate = startCarillonProcess(['migrate'], env);
      expect(await migrate.exited).toBe(0);
      const port = await freePort();
      const rpcPort = await freePort();
      const server = startCarillonProcess(['server'], {
        ...env,
        CARILLON_METRICS_PORT: String(port),
        CARILLON_RPC_PORT: String(rpcPort),
      });
      cleanups.push(() => server.stop());
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        'the server ready',
        async () => {
          const response = await fetch(`${base}/readyz`).catch(() => undefined);
          return response?.status === 200 ? true : undefined;
        },
        { timeoutMs: 40_000, intervalMs: 200 },
      );
      expect((await fetch(`${base}/livez`)).status).toBe(200);
      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const text = await metrics.text();
      expect(text).toContain('# TYPE carillon_fires_total counter');
      expect(text).toContain('# TYPE carillon_fire_lateness_seconds histogram');
      expect(text).toContain('carillon_coordinator_session_state{state="connected"} 1');
      expect(text).toContain('carillon_process_cpu_seconds_total');
      expect(server.output()).toContain('metrics and health listening');
      expect(await checkGrpcHealth(`127.0.0.1:${rpcPort}`)).toBe('SERVING');
    },
  );

  it('rejects a bad port with the other bad settings, exit 2', { timeout: 30_000 }, async () => {
    const server = startCarillonProcess(['server'], {
      CARILLON_DB_URL: 'sqlite:///tmp/never-opened.db',
      CARILLON_METRICS_PORT: 'ninety',
      CARILLON_LEAD_MS: '-1',
      CARILLON_SMTP_URL: 'http://mail.example.test',
    });
    expect(await server.exited).toBe(2);
    expect(server.output()).toContain('CARILLON_METRICS_PORT must be an integer');
    expect(server.output()).toContain('CARILLON_LEAD_MS must be an integer');
    expect(server.output()).toContain('CARILLON_SMTP_URL must be an smtp:// or smtps:// URL');
  });
});
