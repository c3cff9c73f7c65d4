import { describe, expect, it } from 'vitest';
import { RateCoolDown } from './rate-cool-down.js';

const coolDownOf = (coolDownMs: number) =>
  new RateCoolDown({ coolDownMs, maxMessagesPerSecond: 100, holdMaxMs: 1_000 });

describe('RateCoolDown', () => {
  it('keeps a client off for the cool-down, and only that client', () => {
    const coolDown = coolDownOf(3_000);
    expect(coolDown.leftMs('101-1-2-1', 'a', 1_000)).toBe(0);
    coolDown.start('101-1-2-1', 'a', 1_000);
    expect(coolDown.leftMs('101-1-2-1', 'a', 1_000)).toBe(3_000);
    expect(coolDown.leftMs('101-1-2-1', 'a', 3_500)).toBe(500);
    expect(coolDown.leftMs('101-1-2-1', 'a', 4_000)).toBe(0);
    // The same client id in another group, and another client of the group, are not kept off.
    expect(coolDown.leftMs('101-1-2-9', 'a', 1_000)).toBe(0);
    expect(coolDown.leftMs('101-1-2-1', 'b', 1_000)).toBe(0);
  });

  it('starts again from a later cut; 0 ms keeps no one off', () => {
    const coolDown = coolDownOf(3_000);
    coolDown.start('g', 'a', 1_000);
    coolDown.start('g', 'a', 2_000);
    expect(coolDown.leftMs('g', 'a', 4_500)).toBe(500);
    const none = coolDownOf(0);
    none.start('g', 'a', 1_000);
    expect(none.leftMs('g', 'a', 1_000)).toBe(0);
  });

  it('holds one stream of a client at a time', () => {
    const coolDown = coolDownOf(3_000);
    expect(coolDown.hold('g', 'a')).toBe(true);
    expect(coolDown.hold('g', 'a')).toBe(false);
    expect(coolDown.hold('g', 'b')).toBe(true);
    coolDown.release('g', 'a');
    expect(coolDown.hold('g', 'a')).toBe(true);
  });
});
