import type { Stack } from '@carillon/testkit';
import { startStack, testDatabases } from '@carillon/testkit';
import { GrpcStatus } from '@carillon/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloOf, openRawStream, ordersOf, untilReceived } from './hostile-client.js';
import type { RawStream } from './hostile-client.js';
import { triggerParallelJob } from './support/parallel-job.js';

// A client whose stream looks dead to it (a server held up by synchronous SQLite writes misses
// its keepalive) reconnects while the server still works through the item chunks the old
// stream delivered: each chunk is an insert, handled one after the other. The first level's
// Result then comes on the new stream. Seen in `npm run bench:fan-out` under load as "it
// produced 100000 items but 73000 arrived": no item was lost (the rest were stored moments
// later), but the Result was checked before the old stream's chunks, and the execution failed.

// Enough items that storing them outlasts the reconnect many times over (20,000 take about
// 1.5 s on a quiet machine, the reconnect and the Result a few ms), few enough that storing
// them does not take the test's time under load (100,000 took over 60 s at load 15).
const CHUNKS = 20;
const ITEMS_PER_CHUNK = 1000;

describe('a parallel job’s items on a stream the client replaced', () => {
  // MariaDB: its inserts do not hold up the event loop, so the chunks wait their turn.
  const database = testDatabases().find((d) => d.label === 'mariadb');
  if (database === undefined) throw new Error('no mariadb');
  let stack: Stack;
  const streams: RawStream[] = [];

  beforeAll(async () => {
    stack = await startStack({ dbUrl: await database.create() });
  });

  afterAll(async () => {
    for (const s of streams) s.close();
    await stack?.stop();
    await database.drop();
  });

  it('the Result on the new stream is checked after the old stream’s chunks', async () => {
    const { groupId, clientToken } = await stack.createGroup('chunks-reconnect');
    const hello = helloOf(groupId, clientToken, 'chunk-client', ['parallel-test']);
    const old = openRawStream(stack.server.rpcAddress);
    streams.push(old);
    old.send(hello);
    await old.next('welcome');
    const executionId = await triggerParallelJob(stack, groupId, 'chunks-reconnect');
    const first = await untilReceived(
      () => ordersOf(old).find((o) => o.executionId === executionId),
      old,
    );
    const ref = { executionId, attempt: first.attempt };
    for (let c = 0; c < CHUNKS; c++) {
      const payloads = Array.from({ length: ITEMS_PER_CHUNK }, (_, i) =>
        JSON.stringify(`item-${c * ITEMS_PER_CHUNK + i}`),
      );
      old.send({ kind: 'subtaskChunk', ...ref, firstPosition: c * ITEMS_PER_CHUNK + 1, payloads });
    }
    // The old stream ends once the server has read every chunk on it (the client half-closes
    // after them; the server answers OK when it reads that end). Ended by the new stream's
    // hello instead, it would drop the chunks still unread: under load the test saw 25,000 to
    // 73,000 of 100,000 arrive, and the execution rightly fail. (The SDK sends the items of a
    // stream that broke again; this raw client does not.)
    old.connection.end();
    expect((await old.closed).code).toBe(GrpcStatus.OK);

    const ended = new Promise<{ state: string; reason: string | null }>((resolve) => {
      const off = stack.server.events.on('execution:finished', ({ execution }) => {
        if (execution.id !== executionId) return;
        off();
        resolve(execution);
      });
    });
    // The client reconnects and reports the first level's end.
    const fresh = openRawStream(stack.server.rpcAddress);
    streams.push(fresh);
    fresh.send({ ...hello, running: [ref] } as typeof hello);
    await fresh.next('welcome');
    fresh.send({
      kind: 'result',
      ...ref,
      at: Date.now(),
      outcome: 'succeeded',
      result: JSON.stringify({ subtasks: CHUNKS * ITEMS_PER_CHUNK, reduce: false }),
      error: null,
    });

    // Either the subtasks go out (the check passed) or the execution ends (it failed).
    const outcome = await Promise.race([
      ended.then((e) => `ended ${e.state}: ${e.reason ?? ''}`),
      untilReceived(
        () =>
          ordersOf(fresh).some((o) => o.subtask?.parentExecutionId === executionId)
            ? 'subtasks sent'
            : undefined,
        fresh,
      ),
    ]);
    expect(outcome).toBe('subtasks sent');
    const counts = await stack.stores.subtasks.countByState(executionId);
    let stored = 0;
    for (const n of counts.values()) stored += n;
    expect(stored).toBe(CHUNKS * ITEMS_PER_CHUNK);
    expect((await stack.stores.executions.get(executionId))?.state).toBe('running');
  }, 120_000);
});
