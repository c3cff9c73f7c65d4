import { afterEach } from 'vitest';
import { Client } from '@carillon/client';
import type { ClientOptions } from '@carillon/client';
import { TestConsole } from './test-console.js';
import { TestDispatchServer } from './test-dispatch-server.js';

export const TOKEN = 'client-token-of-group-6601';
export const GROUP = '101-1-1-6601';

/** A test server, a console that lists it, and a client (not started) pointed at the console. */
export interface Harness {
  readonly server: TestDispatchServer;
  readonly console: TestConsole;
  readonly client: Client;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `cleanup` after the current test, last registered first. */
export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

/** Builds a harness; everything in it is stopped after the test. */
export async function harness(options: Partial<ClientOptions> = {}): Promise<Harness> {
  const server = await TestDispatchServer.start();
  onCleanup(() => server.stop());
  const console = await TestConsole.start(TOKEN);
  onCleanup(() => console.close());
  console.servers = [{ serverId: server.serverId, address: server.address, room: 'room-a' }];
  const client = new Client({
    console: console.url,
    group: GROUP,
    token: TOKEN,
    clientId: 'test-client-1',
    reconnectInitialMs: 50,
    reconnectMaxMs: 200,
    ...options,
  });
  onCleanup(() => client.stop({ graceMs: 0 }));
  return { server, console, client };
}
