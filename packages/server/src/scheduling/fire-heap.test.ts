import { describe, expect, it } from 'vitest';
import { FireHeap } from './fire-heap.js';

describe('FireHeap', () => {
  it('pops in instant order, ties by job id', () => {
    const heap = new FireHeap();
    const ats = Array.from({ length: 2000 }, (_, i) => ({
      at: (i * 7919) % 1000,
      jobId: i,
      generation: 0,
    }));
    for (const e of ats) heap.push(e);
    const out: Array<[number, number]> = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push([e.at, e.jobId]);
    const sorted = [...out].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(out).toEqual(sorted);
    expect(out).toHaveLength(2000);
    expect(heap.size).toBe(0);
  });

  it('retains only the entries asked for, still in order', () => {
    const heap = new FireHeap();
    for (let i = 0; i < 1000; i++) heap.push({ at: (i * 7919) % 500, jobId: i, generation: i % 3 });
    heap.retain((e) => e.generation === 0);
    const out: number[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
      expect(e.generation).toBe(0);
      out.push(e.at);
    }
    expect(out).toHaveLength(334);
    expect(out).toEqual([...out].sort((a, b) => a - b));
  });
});
