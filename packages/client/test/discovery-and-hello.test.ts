import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client, ClientErrorCode, HelloRejectCode, SDK_VERSION } from '@carillon/client';
import { nextEvent } from './support/events.js';
import { GROUP, TOKEN, harness, onCleanup } from './support/harness.js';
import { TestDispatchServer } from './support/test-dispatch-server.js';

const noop = { execute: () => 'ok' };

describe('discovery and hello', () => {
  it('asks the console for the servers and sends a complete Hello to each', async () => {
    const { server, console, client } = await harness({
      room: 'room-b',
      labels: ['gpu', 'eu-west'],
    });
    client.register('simple-test', { concurrency: 4, execute: () => 'done' });
    client.register('other', { concurrency: 2, execute: () => 'done' });
    await client.start();

    expect(client.state).toBe('running');
    expect(console.requests[0]?.group).toBe(GROUP);
    expect(console.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const { message: hello } = await server.waitFor((m) => m.kind === 'hello');
    expect(hello).toEqual({
      kind: 'hello',
      groupId: GROUP,
      clientId: 'test-client-1',
      token: TOKEN,
      handlers: [
        { name: 'simple-test', concurrency: 4 },
        { name: 'other', concurrency: 2 },
      ],
      capacity: 6,
      room: 'room-b',
      labels: ['gpu', 'eu-west'],
      sdkVersion: SDK_VERSION,
      protocolVersion: 1,
      running: [],
    });
  });

  it('sends heartbeats with its load at the interval of the Welcome', async () => {
    const { server, client } = await harness({ capacity: 3 });
    server.helloAnswer = { welcome: { heartbeatIntervalMs: 50 } };
    client.register('simple-test', { concurrency: 2, execute: () => 'done' });
    await client.start();
    const beats = () => server.messages('heartbeat').length;
    await server.waitFor((m) => m.kind === 'heartbeat' && beats() >= 3);
    expect(server.messages('heartbeat')[0]).toMatchObject({
      inFlight: 0,
      capacity: 3,
      handlers: [],
    });
  });

  it('connects to servers the console adds and leaves those it removes', async () => {
    const { server, console, client } = await harness({ discoveryIntervalMs: 100 });
    client.register('simple-test', noop);
    await client.start();
    const second = await TestDispatchServer.start('test-server-2');
    onCleanup(() => second.stop());

    const connected = nextEvent(client, 'server:connected', (e) => e.address === second.address);
    const left = new Promise((resolve) => server.once('closed', resolve));
    console.servers = [{ serverId: second.serverId, address: second.address, room: '' }];
    await connected;
    // The client half-closed its stream to the removed server, which then ended it with OK.
    expect(await left).toMatchObject({ status: { code: 0 } });
    expect(second.hellos).toHaveLength(1);
  });

  it('asks the console more often for a while after a server left the list, and finds it back', async () => {
    // Asked every 4 s normally; every reconnectMaxMs (200 ms here) for a minute after a server
    // left: a restarted server gets its clients back at once, not up to 4 s (30 s by default)
    // later.
    const { server, console, client } = await harness({ discoveryIntervalMs: 4_000 });
    client.register('simple-test', noop);
    const second = await TestDispatchServer.start('test-server-2');
    onCleanup(() => second.stop());
    const both = [
      ...console.servers,
      { serverId: second.serverId, address: second.address, room: '' },
    ];
    console.servers = both;
    await client.start();
    await second.waitFor((m) => m.kind === 'hello');
    const left = new Promise((resolve) => second.once('closed', resolve));
    console.servers = both.filter((s) => s.address !== second.address);
    await left;
    const askedAtLeft = console.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // At the normal pace, no request in these 1.5 s.
    expect(console.requests.length - askedAtLeft).toBeGreaterThanOrEqual(2);
    const back = nextEvent(client, 'server:connected', (e) => e.address === second.address);
    console.servers = both;
    await back;
    expect(second.hellos).toHaveLength(2);
    expect(server.hellos).toHaveLength(1);
  });

  it('tries the next console URL when one does not answer', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const { server, console } = await harness();
    const client = new Client({ console: [deadUrl, console.url], group: GROUP, token: TOKEN });
    onCleanup(() => client.stop({ graceMs: 0 }));
    await client.start();
    expect(server.hellos).toHaveLength(1);
  });

  it('uses a static server list without asking the console', async () => {
    const server = await TestDispatchServer.start();
    onCleanup(() => server.stop());
    const client = new Client({ servers: [server.address], group: GROUP, token: TOKEN });
    onCleanup(() => client.stop({ graceMs: 0 }));
    client.register('simple-test', noop);
    await client.start();
    expect(server.hellos[0]?.clientId).toBe(client.clientId);
  });

  it('rejects start() at once when the console refuses the token', async () => {
    const { console, client } = await harness({ token: 'wrong-token' });
    await expect(client.start()).rejects.toMatchObject({ code: ClientErrorCode.ConsoleRejected });
    expect(client.state).toBe('stopped');
    expect(console.requests).toHaveLength(1);
  });

  it('rejects start() with a clear error when the server refuses the Hello', async () => {
    const { server, client } = await harness();
    server.helloAnswer = { reject: HelloRejectCode.Unauthenticated, message: 'token revoked' };
    const rejected = nextEvent(client, 'server:rejected');
    const error: unknown = await client.start().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: ClientErrorCode.HelloRejected,
      details: { rejectCode: HelloRejectCode.Unauthenticated },
    });
    expect((error as Error).message).toContain('token revoked');
    expect(await rejected).toMatchObject({ code: 'unauthenticated', transient: false });
    expect(client.state).toBe('stopped');
    expect(server.hellos).toHaveLength(1);
  });

  it('rejects start() after its timeout when no server is reachable', async () => {
    const server = await TestDispatchServer.start();
    const address = server.address;
    await server.stop();
    const client = new Client({
      servers: [address],
      group: GROUP,
      token: TOKEN,
      startTimeoutMs: 400,
    });
    onCleanup(() => client.stop({ graceMs: 0 }));
    await expect(client.start()).rejects.toMatchObject({ code: ClientErrorCode.StartTimeout });
    expect(client.state).toBe('stopped');
  });

  it('checks its options without doing any I/O', () => {
    const make = (options: object) => () =>
      new Client({ console: 'http://127.0.0.1:1', group: GROUP, token: TOKEN, ...options });
    expect(make({ group: '101-1-6601' })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
    expect(make({ console: 'ftp://x' })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
    expect(make({ capacity: 0 })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
    const client = make({})();
    expect(client.state).toBe('created');
    expect(() => client.register('a', { concurrency: 1.5, execute: () => 1 })).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
    client.register('a', noop);
    expect(() => client.register('a', noop)).toThrow(
      expect.objectContaining({ code: ClientErrorCode.InvalidOptions }),
    );
  });
});
