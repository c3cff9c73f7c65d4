import type { SubtaskChange, SubtaskStore } from '@carillon/core';
import type { Stack } from '@carillon/testkit';
import { startStack, testDatabases } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subtaskId } from '../src/dispatch/subtask-ids.js';
import { SubtaskWriter } from '../src/dispatch/subtask-writer.js';
import { triggerParallelJob } from './support/parallel-job.js';

// The subtask writer has several batches under way at once where the store takes them side by
// side (MariaDB): a subtask's later change must not go in a batch beside the one that holds
// its earlier change, or it would be checked against the state before that one (and fail its
// fence, or apply first).

/** The real store, whose first `transitionMany` waits until released; every call is noted. */
function gated(store: SubtaskStore): {
  store: SubtaskStore;
  calls: string[][];
  release: () => void;
} {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const calls: string[][] = [];
  const wrapped = Object.create(store) as SubtaskStore;
  Object.defineProperty(wrapped, 'transitionMany', {
    value: async (changes: readonly SubtaskChange[]) => {
      calls.push(changes.map((c) => `${c.fence.id}:${c.state}`));
      if (calls.length === 1) await held;
      return store.transitionMany(changes);
    },
  });
  Object.defineProperty(wrapped, 'batchesSideBySide', { value: store.batchesSideBySide });
  return { store: wrapped, calls, release };
}

describe('SubtaskWriter with batches side by side', () => {
  const database = testDatabases().find((d) => d.label === 'mariadb');
  if (database === undefined) throw new Error('no mariadb');
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ dbUrl: await database.create() });
  });

  afterAll(async () => {
    await stack?.stop();
    await database.drop();
  });

  it('holds a subtask’s later change until the batch with its earlier one is written', async () => {
    const { groupId } = await stack.createGroup('writer-order');
    const executionId = await triggerParallelJob(stack, groupId, 'writer-order');
    // Claimed by the server (it then waits for a client: there is none).
    let owner: string | null | undefined;
    for (let i = 0; i < 200 && owner == null; i++) {
      owner = (await stack.stores.executions.get(executionId))?.ownerServerId;
      if (owner == null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (owner == null) throw new Error('the triggered execution was not claimed');
    const ids = [1, 2, 3].map((position) => subtaskId(executionId, position));
    await stack.stores.subtasks.insertBatch(
      executionId,
      ids.map((sid) => ({ id: sid, payload: '"x"' })),
      Date.now(),
    );
    const [a, b, c] = ids as [string, string, string];
    const fence = (sid: string, from: 'pending' | 'dispatched') => ({
      id: sid,
      from: [from],
      ownerServerId: owner,
      attempt: 1,
    });
    const gate = gated(stack.stores.subtasks);
    expect(gate.store.batchesSideBySide).toBe(true);
    const writer = new SubtaskWriter(gate.store, (error) => {
      throw error;
    });

    const first = [
      writer.write({ fence: fence(a, 'pending'), state: 'dispatched', patch: { clientId: 'x' } }),
      writer.write({ fence: fence(b, 'pending'), state: 'dispatched', patch: { clientId: 'x' } }),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.calls).toHaveLength(1);
    // While that batch is held: a's next change, and c's first.
    const later = [
      writer.write({
        fence: fence(a, 'dispatched'),
        state: 'succeeded',
        patch: { result: 'ok', finishedAt: Date.now() },
      }),
      writer.write({ fence: fence(c, 'pending'), state: 'dispatched', patch: { clientId: 'x' } }),
    ];
    // c goes beside the held batch; a waits for it.
    for (let i = 0; i < 100 && gate.calls.length < 2; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(gate.calls[1]).toEqual([`${c}:dispatched`]);
    gate.release();
    expect(await Promise.all([...first, ...later])).toEqual([true, true, true, true]);
    expect(gate.calls[2]).toEqual([`${a}:succeeded`]);
    expect((await stack.stores.subtasks.get(a))?.state).toBe('succeeded');
  });
});
