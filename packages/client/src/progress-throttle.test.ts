import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressThrottle } from './progress-throttle.js';
import type { ProgressValue } from './progress-throttle.js';

describe('ProgressThrottle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the first report at once, then at most one per interval, always the latest', () => {
    const sent: ProgressValue[] = [];
    const throttle = new ProgressThrottle(250, (value) => sent.push(value));
    const at = (fraction: number) => ({ fraction, message: null });
    throttle.report(at(0.1));
    throttle.report(at(0.2));
    throttle.report(at(0.3));
    expect(sent).toEqual([at(0.1)]);
    vi.advanceTimersByTime(250);
    expect(sent).toEqual([at(0.1), at(0.3)]);
    throttle.report(at(0.4));
    throttle.flush();
    expect(sent.at(-1)).toEqual(at(0.4));
    throttle.report(at(0.5));
    throttle.dispose();
    vi.advanceTimersByTime(1_000);
    expect(sent.at(-1)).toEqual(at(0.4));
    expect(vi.getTimerCount()).toBe(0);
  });
});
