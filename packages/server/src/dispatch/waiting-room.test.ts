import { describe, expect, it } from 'vitest';
import type { Execution, Job } from '@carillon/core';
import { ManualClock } from '@carillon/core';
import type { Waiting } from './waiting-room.js';
import { WaitingRoom } from './waiting-room.js';

const job = { id: 1, groupId: '101-1-1-1', handler: 'h', dispatchTimeoutMs: 5_000 } as Job;

function fire(id: string, scheduledAt: number): Waiting {
  return {
    execution: { id, scheduledAt } as Execution,
    job,
    giveUpAt: scheduledAt + job.dispatchTimeoutMs,
    exclude: new Set(),
  };
}

describe('WaitingRoom', () => {
  it('names the handlers of a group that fires wait for, and no other group’s', () => {
    const room = new WaitingRoom(new ManualClock(10_000), () => undefined);
    const of = (groupId: string, handler: string, id: string): Waiting => ({
      ...fire(id, 9_000),
      job: { ...job, groupId, handler },
    });
    room.add(of('101-1-1-1', 'a', '1'));
    room.add(of('101-1-1-1', 'b', '2'));
    room.add(of('101-1-1-1', 'b', '3'));
    room.add(of('101-1-1-12', 'c', '4'));
    expect(room.handlersOf('101-1-1-1').sort()).toEqual(['a', 'b']);
    expect(room.handlersOf('101-1-1-12')).toEqual(['c']);
    room.next('101-1-1-1', 'a', () => true);
    expect(room.handlersOf('101-1-1-1')).toEqual(['b']);
  });

  it('hands out the newest due fire first, then the earliest not yet due', () => {
    const clock = new ManualClock(10_000);
    const room = new WaitingRoom(clock, () => undefined);
    // Out of order on purpose: a retry may come in behind later fires.
    for (const [id, at] of [
      ['a', 7_000],
      ['c', 9_000],
      ['e', 11_000],
      ['b', 8_000],
      ['d', 10_000],
      ['f', 12_000],
    ] as const)
      room.add(fire(id, at));
    const order: string[] = [];
    for (let w = room.next(job.groupId, 'h', () => true); w !== undefined;) {
      order.push(w.execution.id);
      w = room.next(job.groupId, 'h', () => true);
    }
    expect(order).toEqual(['d', 'c', 'b', 'a', 'e', 'f']);
    expect(room.size).toBe(0);
  });

  it('skips fires the caller cannot place and leaves them waiting', () => {
    const room = new WaitingRoom(new ManualClock(10_000), () => undefined);
    room.add(fire('old', 9_000));
    room.add(fire('new', 10_000));
    expect(room.next(job.groupId, 'h', (w) => w.execution.id !== 'new')?.execution.id).toBe('old');
    expect(room.size).toBe(1);
    expect(room.holds(job.groupId, 'h')).toBe(true);
    expect(room.holds(job.groupId, 'other')).toBe(false);
  });

  it('gives up on fires past their deadline through onExpired, never hands them out', () => {
    const clock = new ManualClock(10_000);
    const expired: string[] = [];
    const room = new WaitingRoom(clock, (list) => expired.push(...list.map((w) => w.execution.id)));
    room.add(fire('early', 10_000));
    room.add(fire('late', 12_000));
    clock.advance(5_000);
    expect(expired).toEqual(['early']);
    expect(room.next(job.groupId, 'h', () => true)?.execution.id).toBe('late');
    expect(room.size).toBe(0);
  });
});
