import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoadBeat } from './load-beat.js';

describe('LoadBeat', () => {
  let beats: number[];
  let beat: LoadBeat;
  let inFlight = 0;

  beforeEach(() => {
    vi.useFakeTimers({ now: 10_000 });
    beats = [];
    beat = new LoadBeat(() => {
      beats.push(Date.now());
      beat.sent(inFlight, Date.now());
    });
  });
  afterEach(() => {
    beat.stop();
    vi.useRealTimers();
  });
  const change = (to: number) => {
    inFlight = to;
    beat.changed(to, Date.now());
  };

  it('beats at once for a change by a quarter or more, not for a smaller one', () => {
    beat.sent(100, 9_000);
    change(110);
    expect(beats).toEqual([]);
    change(60);
    expect(beats).toEqual([10_000]);
  });

  it('beats at most every 200 ms, sending the latest count when the wait ends', () => {
    beat.sent(0, 9_000);
    change(350);
    expect(beats).toEqual([10_000]);
    vi.advanceTimersByTime(50);
    change(0);
    change(5);
    expect(beats).toEqual([10_000]);
    vi.advanceTimersByTime(150);
    expect(beats).toEqual([10_000, 10_200]);
  });

  it('counts one in flight from none as a change (small clients)', () => {
    beat.sent(0, 9_000);
    change(1);
    expect(beats).toEqual([10_000]);
  });
});
