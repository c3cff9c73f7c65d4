import type { Stack } from '@carillon/testkit';
import { startStack, testDatabases } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloOf, openRawStream, ordersOf, untilReceived } from './hostile-client.js';
import type { RawStream } from './hostile-client.js';
import { triggerParallelJob } from './support/parallel-job.js';

// A client sends a Result again when its stream broke before the Result settled (or answers a
// repeated dispatch from its memory of Results). For a parallel job's first level, that copy
// arrives once the execution was handed over to its subtasks: seen in `npm run bench:fan-out`,
// where a server held up by synchronous SQLite writes lost the client's keepalive, the copy was
// recorded as a late Result and ended the execution `succeeded` with every subtask pending.

describe('a parallel job’s first-level Result received twice', () => {
  const database = testDatabases().find((d) => d.label === 'sqlite');
  if (database === undefined) throw new Error('no sqlite');
  let stack: Stack;
  let stream: RawStream;

  beforeAll(async () => {
    stack = await startStack({ dbUrl: await database.create() });
  });

  afterAll(async () => {
    stream?.close();
    await stack?.stop();
    await database.drop();
  });

  it('the copy after its subtasks started changes nothing: the execution ends when they do', async () => {
    const { groupId, clientToken } = await stack.createGroup('dup-result');
    stream = openRawStream(stack.server.rpcAddress);
    stream.send(helloOf(groupId, clientToken, 'dup-client', ['parallel-test']));
    await stream.next('welcome');
    const executionId = await triggerParallelJob(stack, groupId, 'dup-result');
    const first = await untilReceived(
      () => ordersOf(stream).find((o) => o.executionId === executionId),
      stream,
    );
    const ref = { executionId, attempt: first.attempt };
    stream.send({ kind: 'subtaskChunk', ...ref, firstPosition: 1, payloads: ['"a"', '"b"'] });
    const result = {
      kind: 'result' as const,
      ...ref,
      at: Date.now(),
      outcome: 'succeeded' as const,
      result: JSON.stringify({ subtasks: 2, reduce: false }),
      error: null,
    };
    stream.send(result);
    const subtasks = await untilReceived(() => {
      const sent = ordersOf(stream).filter((o) => o.subtask?.parentExecutionId === executionId);
      return sent.length === 2 ? sent : undefined;
    }, stream);

    const finished = new Promise<string>((resolve) => {
      const off = stack.server.events.on('execution:finished', ({ execution }) => {
        if (execution.id !== executionId) return;
        off();
        resolve(execution.state);
      });
    });
    // The copy, then the subtasks' own Results.
    stream.send(result);
    for (const order of subtasks) {
      stream.send({
        kind: 'result',
        executionId: order.executionId,
        attempt: order.attempt,
        at: Date.now(),
        outcome: 'succeeded',
        result: 'ok',
        error: null,
      });
    }
    await finished;
    const counts = await stack.stores.subtasks.countByState(executionId);
    expect(Object.fromEntries(counts)).toEqual({ succeeded: 2 });
    const stored = await stack.stores.executions.get(executionId);
    // Ended by its subtasks (no result without a reduce), not by the copy (the summary).
    expect(stored).toMatchObject({ state: 'succeeded', result: null });
  });
});
