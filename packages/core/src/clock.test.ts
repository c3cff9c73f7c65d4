import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';

describe('ManualClock', () => {
  it('runs wall timers in order as time passes, and holds them through a step back', () => {
    const clock = new ManualClock(1_000);
    const ran: string[] = [];
    clock.setTimer(3_000, () => ran.push(`b@${clock.now()}`));
    clock.setTimer(2_000, () => ran.push(`a@${clock.now()}`));
    clock.advance(1_500);
    expect(ran).toEqual(['a@2000']);
    clock.set(0);
    clock.advance(2_000);
    expect(ran).toEqual(['a@2000']);
    clock.advance(1_000);
    expect(ran).toEqual(['a@2000', 'b@3000']);
  });

  it('runs elapsed-time timers after their delay, whatever the wall clock does', () => {
    const clock = new ManualClock(10_000);
    const ran: number[] = [];
    clock.after(1_000, () => ran.push(clock.now()));
    clock.set(10_000 - 3_600_000);
    expect(ran).toEqual([]);
    clock.advance(999);
    expect(ran).toEqual([]);
    clock.advance(1);
    expect(ran).toEqual([10_000 - 3_600_000 + 1_000]);
    // A forward step is not elapsed time either.
    const later: number[] = [];
    clock.after(500, () => later.push(1));
    clock.set(clock.now() + 3_600_000);
    expect(later).toEqual([]);
  });

  it('cancels', () => {
    const clock = new ManualClock(0);
    const ran: number[] = [];
    clock.setTimer(10, () => ran.push(1))();
    clock.after(10, () => ran.push(2))();
    clock.advance(100);
    expect(ran).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});
