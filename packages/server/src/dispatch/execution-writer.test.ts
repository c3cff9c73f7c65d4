import { describe, expect, it } from 'vitest';
import type { ExecutionChange, ExecutionState, ExecutionStore } from '@carillon/core';
import { silentLogger } from '@carillon/core';
import { ExecutionWriter } from './execution-writer.js';

/** A writer over a store that records each batch (as `id:state`) and each log flush. */
function recording(
  maxBatch = 500,
  flushMs = 25,
): {
  writer: ExecutionWriter;
  writes: string[][];
  logFlushes: () => number;
} {
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
    writer: new ExecutionWriter(store, silentLogger, logs, flushMs, maxBatch),
    writes,
    logFlushes: () => flushes,
  };
}

function change(
  id: string,
  from: ExecutionState,
  state: ExecutionState,
  attempt = 1,
): ExecutionChange {
  return { fence: { id, from: [from], ownerServerId: 's1', attempt }, state };
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
    const next = writer.write(change('a', 'claimed', 'dispatched', 2));
    const other = writer.write(change('b', 'claimed', 'dispatched'));
    await Promise.all([first, next, other]);
    expect(writes[0]).toEqual(['b:dispatched']);
    const order = writes.flat();
    expect(order.indexOf('a:running')).toBeLessThan(order.indexOf('a:dispatched'));
  });

  it('sends awaited changes ahead of a backlog longer than a batch, each execution in order', async () => {
    const { writer, writes } = recording(2);
    const results = ['r1', 'r2', 'r3', 'r4', 'r5'].map((id) =>
      writer.write(change(id, 'running', 'succeeded')),
    );
    // r5 is re-dispatched at another attempt: behind its result, not ahead of the backlog.
    const behind = writer.write(change('r5', 'succeeded', 'dispatched', 2));
    const sends = ['d1', 'd2', 'd3'].map((id) => writer.write(change(id, 'claimed', 'dispatched')));
    // A change of d1 that does not fold into its dispatch (it needs d1 running): after it.
    const d1Ended = writer.write(change('d1', 'running', 'succeeded'));
    await Promise.all([...results, behind, ...sends, d1Ended]);
    // The first batch left when the backlog filled it, before any send was queued.
    expect(writes.slice(0, 3)).toEqual([
      ['r1:succeeded', 'r2:succeeded'],
      ['d1:dispatched', 'd2:dispatched'],
      ['d3:dispatched'],
    ]);
    const order = writes.flat();
    expect(order.indexOf('r5:succeeded')).toBeLessThan(order.indexOf('r5:dispatched'));
    expect(order.indexOf('d1:dispatched')).toBeLessThan(order.indexOf('d1:succeeded'));
    expect(order).toHaveLength(10);
    expect(writes.every((batch) => batch.length <= 2)).toBe(true);
  });

  it('sends an awaited change behind another of its execution on the next turns, not after the gathering wait', async () => {
    // A minute of gathering: a change that waited for it would outlast the test's timeout.
    const { writer, writes } = recording(500, 60_000);
    const ended = writer.write(change('x', 'running', 'succeeded'));
    const resent = writer.write(change('x', 'succeeded', 'dispatched', 2));
    const sent = writer.write(change('y', 'claimed', 'dispatched'));
    await Promise.all([ended, resent, sent]);
    expect(writes).toEqual([['y:dispatched'], ['x:succeeded', 'x:dispatched']]);
  });
});
