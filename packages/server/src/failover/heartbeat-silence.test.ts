import type { ServerBeat } from '@carillon/core';
import { describe, expect, it } from 'vitest';
import { heartbeatSilence } from './heartbeat-silence.js';

const beat = (id: string, lastSeenAt: number, beatingSince = 0): ServerBeat => ({
  id,
  lastSeenAt,
  beatingSince,
});

describe('heartbeatSilence', () => {
  it('is the gap between this server’s last beat and the peer’s, on the database’s clock', () => {
    const own = beat('a', 10_000, 1_000);
    expect(heartbeatSilence(own, beat('b', 9_950), 600)).toBe(50);
    expect(heartbeatSilence(own, beat('b', 9_300), 600)).toBe(700);
    // A peer that beat after this server's last beat (a read between two beats) is not silent.
    expect(heartbeatSilence(own, beat('b', 10_040), 600)).toBe(0);
  });

  it('counts only this server’s current run of beats until it has lasted steadyMs', () => {
    // This server's beats had a gap that ended at 9,800: the peer's next beat may be landing.
    const own = beat('a', 10_000, 9_800);
    expect(heartbeatSilence(own, beat('b', 8_000), 600)).toBe(200);
    // Once the run has lasted steadyMs, a live peer would have beaten within it.
    const steady = beat('a', 10_400, 9_800);
    expect(heartbeatSilence(steady, beat('b', 8_000), 600)).toBe(2_400);
  });

  it('a peer with no beat at all is silent forever once this server beats steadily', () => {
    expect(heartbeatSilence(beat('a', 10_000, 9_000), undefined, 600)).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(heartbeatSilence(beat('a', 10_000, 9_900), undefined, 600)).toBe(100);
  });
});
