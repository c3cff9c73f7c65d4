// A port another process holds: the command says which and exits, leaving nothing running.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startCarillonProcess } from '@carillon/testkit';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function hold(port: number): Promise<void> {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
}

describe('carillon dev on a port in use', () => {
  it.each(['--port', '--rpc-port'])(
    'names the address taken by %s and exits 1',
    async (flag) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'carillon-port-'));
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      const busy = await freePort();
      await hold(busy);
      const other = flag === '--port' ? ['--rpc-port', '0'] : ['--port', String(await freePort())];
      const dev = startCarillonProcess(
        ['dev', '--data-dir', dataDir, flag, String(busy), ...other],
        {
          CARILLON_ADMIN_PASSWORD: 'port-test-1',
          CARILLON_LOG_LEVEL: 'warn',
        },
      );
      expect(await dev.exited).toBe(1);
      expect(dev.output()).toContain(`cannot listen on 127.0.0.1:${busy}: the address is in use`);
    },
    60_000,
  );
});
