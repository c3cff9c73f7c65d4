import type { Execution } from '@carillon/core';
import { describe, expect, it } from 'vitest';
import { RetakenExecutions } from './retaken-executions.js';

const at = (id: string, attempt: number): Execution => ({ id, attempt }) as Execution;

describe('RetakenExecutions', () => {
  it('lets an execution at a later attempt through once, and a first attempt always', () => {
    const retaken = new RetakenExecutions();
    expect(retaken.first(at('a', 2), 0)).toBe(true);
    expect(retaken.first(at('a', 2), 1)).toBe(false);
    expect(retaken.first(at('a', 3), 2)).toBe(true);
    expect(retaken.first(at('b', 1), 3)).toBe(true);
    expect(retaken.first(at('b', 1), 4)).toBe(true);
  });

  it('forgets after ten minutes', () => {
    const retaken = new RetakenExecutions();
    expect(retaken.first(at('a', 2), 0)).toBe(true);
    expect(retaken.first(at('a', 2), 599_999)).toBe(false);
    expect(retaken.first(at('a', 2), 600_000)).toBe(true);
  });
});
