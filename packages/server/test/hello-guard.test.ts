import type { ServerOptions } from '@carillon/server';
import { GrpcStatus } from '@carillon/protocol';
import type { Stack, TestDatabase } from '@carillon/testkit';
import { startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CapturingLogger, helloOf, openRawStream } from './hostile-client.js';

// What one network address may do before one of its streams is known (HelloGuard): how many
// hellos are refused before its hellos are closed unread for a while, and how many of its
// streams may wait for their hello at once. Every stream here comes from 127.0.0.1, so each
// case has a server of its own.

/** A server and console on `db` for the cases of one describe, with `server` options. */
function stackOn(db: TestDatabase, server: Partial<ServerOptions>) {
  const logger = new CapturingLogger();
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack({ dbUrl: await db.create(), server: { logger, ...server } });
  });
  afterAll(async () => {
    await stack?.stop();
    await db.drop();
  });
  return {
    logger,
    stack: (): Stack => {
      if (stack === undefined) throw new Error('the stack is not started');
      return stack;
    },
  };
}

/** Opens a stream as `clientId`, waits for its welcome and closes it. */
async function welcomed(stack: Stack, groupId: string, token: string, clientId: string) {
  const stream = openRawStream(stack.server.rpcAddress);
  stream.send(helloOf(groupId, token, clientId));
  await stream.next('welcome');
  stream.close();
  await stream.closed;
}

describe.each(testDatabases())('hellos refused from one address ($label)', (db) => {
  const { logger, stack } = stackOn(db, { refusedHelloLimit: 10, refusedHelloCoolDownMs: 2_000 });

  it('are looked up and logged up to the limit, then closed unread until the cool-down ends', async () => {
    const { groupId, clientToken } = await stack().createGroup('neighbour');
    // A good client of this address, connected before the flood.
    await welcomed(stack(), groupId, clientToken, 'neighbour-client');
    // Every lookup of a client token, counted on the real store.
    const users = stack().stores.users;
    const findToken = users.findToken.bind(users);
    let lookups = 0;
    users.findToken = (hash) => {
      lookups += 1;
      return findToken(hash);
    };
    const badHello = async () => {
      const stream = openRawStream(stack().server.rpcAddress);
      stream.send(helloOf(groupId, 'not-a-token', `bad-${Math.random()}`));
      const status = await stream.closed;
      return { status, received: stream.received };
    };
    const rejectedLines = () => logger.matching('client hello rejected').length;
    const linesBefore = rejectedLines();

    for (let i = 0; i < 10; i++) {
      const { received } = await badHello();
      expect(received).toEqual([expect.objectContaining({ kind: 'helloRejected' })]);
    }
    expect(lookups).toBe(10);
    expect(rejectedLines() - linesBefore).toBe(10);

    // The eleventh crosses the limit: looked up and refused, and the address is kept off.
    await badHello();
    expect(logger.matching('closed unchecked')).toHaveLength(1);
    for (let i = 0; i < 20; i++) {
      const { status, received } = await badHello();
      expect(status.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(status.details).toMatch(/too many refused hellos from this address/);
      expect(received).toEqual([]);
    }
    expect(lookups).toBe(11);
    expect(rejectedLines() - linesBefore).toBe(10);
    expect(logger.matching('closed unchecked')).toHaveLength(1);

    // The good client's token was accepted here: it connects through the cool-down.
    await welcomed(stack(), groupId, clientToken, 'neighbour-client');

    // After the cool-down, a bad hello is looked up and answered again.
    await waitFor(
      'bad hellos to be looked up again',
      async () => ((await badHello()).received.length === 1 ? true : undefined),
      { timeoutMs: 10_000, intervalMs: 250 },
    );
    expect(lookups).toBeGreaterThan(11);
  });
});

describe.each(testDatabases())('streams waiting for their hello ($label)', (db) => {
  const { logger, stack } = stackOn(db, {
    helloTimeoutMs: 1_000,
    maxPendingHellos: 20,
    refusedHelloLimit: 5,
  });

  it('are capped per address, and those that never say hello count as refused', async () => {
    const { groupId, clientToken } = await stack().createGroup('patient');
    await welcomed(stack(), groupId, clientToken, 'patient-client');

    const silent = Array.from({ length: 30 }, () => openRawStream(stack().server.rpcAddress));
    const statuses = await Promise.all(silent.map((s) => s.closed));
    const capped = statuses.filter((s) => s.code === GrpcStatus.RESOURCE_EXHAUSTED);
    const timedOut = statuses.filter((s) => s.code === GrpcStatus.UNAUTHENTICATED);
    expect(capped).toHaveLength(10);
    expect(capped[0]!.details).toMatch(/streams from this address wait for their hello/);
    expect(timedOut).toHaveLength(20);
    expect(logger.matching('wait for their hello')).toHaveLength(1);
    // Five silent streams logged, then the address kept off, once.
    expect(logger.matching('no hello')).toHaveLength(5);
    expect(logger.matching('closed unchecked')).toHaveLength(1);

    // Nothing waits any more: a client whose token this server knows is welcomed.
    await welcomed(stack(), groupId, clientToken, 'patient-client');
  });
});
