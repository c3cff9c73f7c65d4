import type { Stores } from '@carillon/core';
import { SystemClock, hashTokenSecret } from '@carillon/core';
import { InProcessCoordinator } from '@carillon/coordination';
import type { ConsoleApp } from '@carillon/console';
import { createConsole, ensureAdmin } from '@carillon/console';
import type { ServerOptions } from '@carillon/server';
import { CarillonServer } from '@carillon/server';
import { openStores } from '@carillon/storage';
import { randomBytes } from 'node:crypto';
import { freePort } from './free-port.js';

/** A server and a console in this process over one database, with an admin signed in. */
export interface Stack {
  readonly stores: Stores;
  readonly coordinator: InProcessCoordinator;
  readonly console: ConsoleApp;
  readonly consoleUrl: string;
  readonly adminToken: string;
  server: CarillonServer;
  /** Calls the console's API as the admin; throws on a non-2xx answer unless `expectStatus`. */
  api<T = unknown>(method: string, path: string, body?: unknown, expectStatus?: number): Promise<T>;
  /** Creates a task group and a client token for it. */
  createGroup(name: string): Promise<{ groupId: string; clientToken: string }>;
  /** Stops the server (for misfire tests) and later starts a new one with the same id. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly dbUrl: string;
  readonly serverId?: string;
  readonly server?: Partial<Omit<ServerOptions, 'stores' | 'coordinator' | 'serverId'>>;
}

/** Starts a stack for a test. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const clock = new SystemClock();
  const stores = await openStores({ url: options.dbUrl });
  const coordinator = new InProcessCoordinator();
  await coordinator.start();
  const serverId = options.serverId ?? `test-server-${randomBytes(3).toString('hex')}`;
  // A fixed port, so that a restarted server is found where clients knew the old one.
  const rpcPort = options.server?.rpcPort ?? (await freePort());
  const makeServer = () =>
    CarillonServer.create({
      serverId,
      cluster: 101,
      serverGroup: 1,
      room: 'r1',
      stores,
      coordinator,
      clock,
      ...options.server,
      rpcPort,
    });
  let server = await makeServer();
  await server.start();
  const console = await createConsole({
    stores,
    coordinator,
    clock,
    cluster: 101,
    serverGroups: [1],
  });
  const consoleUrl = await console.listen({ host: '127.0.0.1', port: 0 });
  const password = randomBytes(12).toString('base64url');
  await ensureAdmin(stores, 'admin', password, { clock });

  async function call(
    method: string,
    path: string,
    body: unknown,
    token: string | undefined,
    expectStatus?: number,
  ): Promise<unknown> {
    const response = await fetch(`${consoleUrl}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (expectStatus !== undefined ? response.status !== expectStatus : !response.ok) {
      throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    }
    return parsed;
  }
  const { token: adminToken } = (await call(
    'POST',
    '/api/v1/auth/login',
    { username: 'admin', password },
    undefined,
  )) as { token: string };

  const stack: Stack = {
    stores,
    coordinator,
    console,
    consoleUrl,
    adminToken,
    server,
    api: <T>(method: string, path: string, body?: unknown, expectStatus?: number) =>
      call(method, path, body, adminToken, expectStatus) as Promise<T>,
    async createGroup(name) {
      const { id } = await stack.api<{ id: string }>('POST', '/api/v1/groups', { name });
      const { token } = await stack.api<{ token: string }>('POST', `/api/v1/groups/${id}/tokens`, {
        name: `${name} client`,
      });
      // Sanity: the token is stored as the server will look it up.
      if ((await stores.users.findToken(hashTokenSecret(token))) === undefined)
        throw new Error('client token not stored');
      return { groupId: id, clientToken: token };
    },
    async stopServer() {
      await stack.server.stop();
    },
    async startServer() {
      server = await makeServer();
      stack.server = server;
      await server.start();
    },
    async stop() {
      await stack.server.stop();
      await console.close();
      await coordinator.stop();
      await stores.close();
    },
  };
  return stack;
}
