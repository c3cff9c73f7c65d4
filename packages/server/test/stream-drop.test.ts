import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS } from '@carillon/protocol';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPerSecondJobs,
  expectEveryFireOnce,
  nextServerEvent,
  waitForFirstFires,
} from './support/fire-ledger.js';

// Longer than a keepalive round (ping, then its timeout), so that the client gives up on the
// frozen server's stream for certain, whenever its next ping falls.
const FREEZE_MS = KEEPALIVE_TIME_MS + KEEPALIVE_TIMEOUT_MS + 1_500;

/** Freezes this process (and so the server in it) the way a synchronous SQLite wait does. */
function freezeProcess(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Busy: no timer, no socket, nothing else of this process runs.
  }
}

describe('a server frozen past the keepalive while its orders to a client are not yet sent', () => {
  const database = testDatabases().find((d) => d.label === 'sqlite');
  if (database === undefined) throw new Error('no sqlite');
  let stack: Stack;
  let client: ClientProcess;
  let jobIds: number[];

  beforeAll(async () => {
    // Fires come due while the whole process is frozen, so the scheduler claims them late: a
    // threshold beyond the freeze keeps them scheduled fires (this test is about the stream).
    stack = await startStack({
      dbUrl: await database.create(),
      server: { misfireThresholdMs: 60_000 },
    });
    const { groupId, clientToken } = await stack.createGroup('stream-drop');
    client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: clientToken,
      clientId: 'stream-drop-client',
    });
    jobIds = await createPerSecondJobs(stack, groupId, 3);
    await waitForFirstFires(client, jobIds);
  });

  afterAll(async () => {
    await client?.stop();
    await stack?.stop();
    await database.drop();
  });

  it('the client drops the stream and comes back in time: every fire runs once, none fails', async () => {
    const disconnected = nextServerEvent(stack, 'client:disconnected', 60_000);
    const reconnected = new Promise<void>((resolve) => {
      const off = stack.server.events.on('client:connected', () => {
        off();
        resolve();
      });
    });
    const frozenAfter = new Promise<string>((resolve) => {
      const off = stack.server.events.on('execution:dispatched', ({ execution }) => {
        off();
        // In the very turn that wrote the batch to the stream: it is still in this process's
        // buffers when the freeze starts, and the client drops the stream before it is sent.
        freezeProcess(FREEZE_MS);
        resolve(execution.id);
      });
    });
    const stranded = await frozenAfter;
    expect((await disconnected).clientId).toBe('stream-drop-client');
    await reconnected;
    await expectEveryFireOnce(stack, client, jobIds, Date.now() + 2_000);
    const record = await stack.stores.executions.get(stranded);
    expect(record?.state).toBe('succeeded');
    expect(
      client.events.filter((e) => e.event === 'started' && e.executionId === stranded),
    ).toHaveLength(1);
  }, 120_000);
});

describe('a client process paused past the keepalive while it holds fires sent ahead', () => {
  const database = testDatabases().find((d) => d.label === 'sqlite');
  if (database === undefined) throw new Error('no sqlite');
  let stack: Stack;
  let client: ClientProcess;
  let jobIds: number[];

  beforeAll(async () => {
    stack = await startStack({ dbUrl: await database.create() });
    const { groupId, clientToken } = await stack.createGroup('client-pause');
    client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: clientToken,
      clientId: 'client-pause-client',
    });
    jobIds = await createPerSecondJobs(stack, groupId, 3);
    await waitForFirstFires(client, jobIds);
  });

  afterAll(async () => {
    client?.child.kill('SIGCONT');
    await client?.stop();
    await stack?.stop();
    await database.drop();
  });

  it('the server drops the stream, the client comes back in time: every fire runs once', async () => {
    const disconnected = nextServerEvent(stack, 'client:disconnected', 60_000);
    // Paused just after a batch went out ahead of its instant: the client holds it unstarted.
    await nextServerEvent(stack, 'execution:dispatched');
    client.child.kill('SIGSTOP');
    try {
      expect((await disconnected).clientId).toBe('client-pause-client');
    } finally {
      client.child.kill('SIGCONT');
    }
    await nextServerEvent(stack, 'client:connected');
    await expectEveryFireOnce(stack, client, jobIds, Date.now() + 2_000);
  }, 120_000);
});
