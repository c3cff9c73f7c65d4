import { describe, expect, it } from 'vitest';
import type { ExecutionChange, ExecutionState, ExecutionStore } from '@carillon/core';
import { silentLogger } from '@carillon/core';
import { ExecutionWriter } from './execution-writer.js';

/** A writer over a store that records each batch (as `id:state`) and each log flush. */
function recording(): { writer: ExecutionWriter; writes: string[][]; logFlushes: () => number } {
  const writes: string[][] = [];
  let flushes = 0;
  const store = {
    transitionMany: (changes: readonly ExecutionChange[]) => {
      writes.push(changes.map((c) => `${c.fence.id}:${c.state}`));
      return Promise.resolve(changes.map(() => true));
    },
  } as unknown as ExecutionStore;
  const logs = (): Promise<void> => {
    flushes++;
    return Promise.resolve();
  };
  return {
    writer: new ExecutionWriter(store, silentLogger, logs),
    writes,
    logFlushes: () => flushes,
  };
}

function change(id: string, from: ExecutionState, state: ExecutionState): ExecutionChange {
  return { fence: { id, from: [from], ownerServerId: 's1', attempt: 1 }, state };
}

describe('ExecutionWriter', () => {
  it('writes the changes a send waits for in a batch of their own, ahead of queued results and their logs', async () => {
    const { writer, writes, logFlushes } = recording();
    const ended = writer.write(change('a', 'running', 'succeeded'));
    const sent = [
      writer.write(change('b', 'claimed', 'dispatched')),
      writer.write(change('c', 'claimed', 'dispatched')),
    ];
    await Promise.all(sent);
    expect(writes).toEqual([['b:dispatched', 'c:dispatched']]);
    expect(logFlushes()).toBe(0);
    await ended;
    expect(writes[1]).toEqual(['a:succeeded']);
    expect(logFlushes()).toBe(1);
  });

  it('gathers changes nothing waits for into one batch', async () => {
    const { writer, writes } = recording();
    const started = ['a', 'b', 'c'].map((id) => writer.write(change(id, 'dispatched', 'running')));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const ended = ['a', 'b', 'c'].map((id) => writer.write(change(id, 'running', 'succeeded')));
    await Promise.all([...started, ...ended]);
    // Started and ended within the flush: one row write each.
    expect(writes).toEqual([['a:succeeded', 'b:succeeded', 'c:succeeded']]);
  });

  it('keeps an awaited change behind an earlier change of its execution', async () => {
    const { writer, writes } = recording();
    const first = writer.write(change('a', 'dispatched', 'running'));
    // Not folded into the first (another attempt): written after it, not ahead.
    const next = writer.write({
      fence: { id: 'a', from: ['claimed'], ownerServerId: 's1', attempt: 2 },
      state: 'dispatched',
    });
    const other = writer.write(change('b', 'claimed', 'dispatched'));
    await Promise.all([first, next, other]);
    expect(writes[0]).toEqual(['b:dispatched']);
    const order = writes.flat();
    expect(order.indexOf('a:running')).toBeLessThan(order.indexOf('a:dispatched'));
  });
});
