import { describe, expect, it } from 'vitest';
import { isExecutionId, newExecutionId } from './ids.js';

describe('newExecutionId', () => {
  it('makes version 7 UUIDs that carry their instant and sort by it', () => {
    const at = Date.UTC(2026, 11, 4, 8, 0, 0, 123);
    const id = newExecutionId(at);
    expect(isExecutionId(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    expect(newExecutionId(at + 1) > newExecutionId(at)).toBe(true);
  });

  it('never repeats within one instant, across many refills of its random pool', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) ids.add(newExecutionId(1_000));
    expect(ids.size).toBe(10_000);
    // The random part varies in every position, so no byte of the pool is reused as is.
    const tails = [...ids].map((id) => id.slice(24));
    for (let position = 0; position < 12; position++)
      expect(new Set(tails.map((t) => t[position])).size).toBeGreaterThan(8);
  });
});
