import { describe, expect, it } from 'vitest';
import { PasswordGate } from './password-gate.js';

describe('PasswordGate', () => {
  it('runs at most its limit at once, and every check in turn', async () => {
    const gate = new PasswordGate(2);
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const done: number[] = [];
    const checks = Array.from({ length: 6 }, (_, i) =>
      gate.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
        done.push(i);
        return i;
      }),
    );
    while (done.length < 6) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    expect(await Promise.all(checks)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('frees the slot of a check that throws', async () => {
    const gate = new PasswordGate(1);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(() => Promise.resolve('next'))).toBe('next');
  });
});
