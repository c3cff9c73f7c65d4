import type { ServerRecord } from '@carillon/core';
import { describe, expect, it } from 'vitest';
import { HeartbeatObserver } from './heartbeat-observer.js';

const record = (id: string, lastSeenAt: number): ServerRecord => ({
  id,
  cluster: 1,
  serverGroup: 1,
  room: 'r1',
  rpcAddress: '127.0.0.1:1',
  lastSeenAt,
});

describe('HeartbeatObserver', () => {
  it('measures silence on its own clock, whatever the peer’s clock says', () => {
    let now = 0;
    const observer = new HeartbeatObserver(() => now);
    expect(observer.silentFor('a')).toBe(0);
    // The peer's clock is a day behind ours: it does not matter, only changes count.
    const skewed = Date.now() - 86_400_000;
    now = 10;
    observer.observe([record('a', skewed)], 0);
    expect(observer.silentFor('a')).toBe(0);
    now = 110;
    observer.observe([record('a', skewed + 100)], 100);
    expect(observer.silentFor('a')).toBe(0);
    now = 710;
    observer.observe([record('a', skewed + 100)], 700);
    expect(observer.silentFor('a')).toBe(590);
    expect(observer.silentFor('never-seen')).toBe(Number.POSITIVE_INFINITY);
  });

  it('counts no silence across its own stall: a read that started before it proves nothing later', () => {
    let now = 0;
    const observer = new HeartbeatObserver(() => now);
    now = 5;
    observer.observe([record('a', 1)], 0);
    // This process froze for 2 s while a read sent at 100 was on its way back.
    now = 2_100;
    observer.observe([record('a', 1)], 100);
    expect(observer.silentFor('a')).toBe(95);
    // The first read sent after the stall sees the live peer's newer value.
    now = 2_210;
    observer.observe([record('a', 2)], 2_200);
    expect(observer.silentFor('a')).toBe(0);
  });

  it('a read answered out of order only shortens the silence', () => {
    let now = 0;
    const observer = new HeartbeatObserver(() => now);
    now = 30;
    observer.observe([record('a', 2)], 20);
    now = 35;
    observer.observe([record('a', 1)], 10);
    now = 700;
    observer.observe([record('a', 2)], 650);
    expect(observer.silentFor('a')).toBe(0);
  });

  it('counts no silence across its own failed reads: the peer could not write either', () => {
    let now = 0;
    const observer = new HeartbeatObserver(() => now);
    now = 10;
    observer.observe([record('a', 1)], 0);
    // The database was cut off from both servers for 8 s: every read failed meanwhile.
    observer.interrupted();
    // The first read after it answers before the live peer's first write after it lands.
    now = 8_110;
    observer.observe([record('a', 1)], 8_100);
    expect(observer.silentFor('a')).toBe(0);
    now = 8_210;
    observer.observe([record('a', 1)], 8_200);
    expect(observer.silentFor('a')).toBe(90);
    // A peer that stays silent after the outage is gone again after the usual time.
    now = 8_810;
    observer.observe([record('a', 1)], 8_800);
    expect(observer.silentFor('a')).toBe(690);
  });
});
