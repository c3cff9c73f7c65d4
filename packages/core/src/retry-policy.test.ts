import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from './retry-policy.js';
import { DEFAULT_RETRY_POLICY, retryDelay, shouldRetry } from './retry-policy.js';

// A small seeded generator (mulberry32), so that a failure can be replayed.
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const policy = (p: Partial<RetryPolicy>): RetryPolicy => ({
  maxRetries: 5,
  ...DEFAULT_RETRY_POLICY,
  ...p,
});

describe('retryDelay', () => {
  it('fixed: the base delay after every attempt', () => {
    const p = policy({ backoff: 'fixed', delayMs: 250 });
    expect([1, 2, 3, 10].map((a) => retryDelay(p, a))).toEqual([250, 250, 250, 250]);
  });

  it('exponential: doubles per attempt up to the cap', () => {
    const p = policy({ backoff: 'exponential', delayMs: 100, maxDelayMs: 1_000 });
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelay(p, a))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('the cap holds for attempts whose doubling overflows', () => {
    const p = policy({ delayMs: 1_000 });
    expect(retryDelay(p, 5_000)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it('the defaults keep what servers did before: 1 s doubled per attempt', () => {
    const p = policy({});
    expect([1, 2, 3].map((a) => retryDelay(p, a))).toEqual([1_000, 2_000, 4_000]);
  });

  it('jitter stays within [d × (1 - jitter), d] and spreads over it', () => {
    const random = seeded(42);
    for (const jitter of [0.1, 0.5, 1]) {
      const p = policy({ backoff: 'exponential', delayMs: 100, maxDelayMs: 5_000, jitter });
      for (let attempt = 1; attempt <= 8; attempt++) {
        const d = Math.min(100 * 2 ** (attempt - 1), 5_000);
        const seen: number[] = [];
        for (let i = 0; i < 200; i++) seen.push(retryDelay(p, attempt, random));
        expect(Math.min(...seen)).toBeGreaterThanOrEqual(Math.floor(d * (1 - jitter)));
        expect(Math.max(...seen)).toBeLessThanOrEqual(d);
        // Spread: not every draw the same (200 draws over a range of d × jitter).
        expect(new Set(seen).size).toBeGreaterThan(5);
      }
    }
  });

  it('no jitter: the random source is not consulted', () => {
    const p = policy({ jitter: 0, delayMs: 300, backoff: 'fixed' });
    expect(retryDelay(p, 1, () => 0.999)).toBe(300);
  });

  it('full jitter can reach 0 and equal jitter never goes below half', () => {
    expect(retryDelay(policy({ backoff: 'fixed', delayMs: 400, jitter: 1 }), 1, () => 0.9999)).toBe(
      0,
    );
    expect(
      retryDelay(policy({ backoff: 'fixed', delayMs: 400, jitter: 0.5 }), 1, () => 0.9999),
    ).toBe(200);
  });
});

describe('shouldRetry', () => {
  it('retries up to maxRetries after the first attempt', () => {
    const p = policy({ maxRetries: 2 });
    expect([1, 2, 3].map((a) => shouldRetry(p, a, true))).toEqual([true, true, false]);
  });

  it('a non-retryable failure is never retried', () => {
    expect(shouldRetry(policy({ maxRetries: 9 }), 1, false)).toBe(false);
  });
});
