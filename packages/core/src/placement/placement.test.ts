import { describe, expect, it } from 'vitest';
import { chooseHolders } from './holder-assignment.js';
import { pickClient } from './routing.js';

const servers = [
  { serverId: 'a1', room: 'A' },
  { serverId: 'a2', room: 'A' },
  { serverId: 'b1', room: 'B' },
  { serverId: 'c1', room: 'C' },
];

describe('chooseHolders', () => {
  it('spreads holders over rooms before doubling up', () => {
    for (let i = 0; i < 50; i++) {
      const picked = chooseHolders(servers, 3);
      const rooms = new Set(picked.map((id) => servers.find((s) => s.serverId === id)?.room));
      expect(picked).toHaveLength(3);
      expect(rooms.size).toBe(3);
    }
  });

  it('keeps live holders and replaces a gone one in an uncovered room', () => {
    expect(chooseHolders(servers, 2, ['a1', 'gone'], () => 0)).toEqual(['a1', 'b1']);
  });

  it('returns fewer when there are fewer servers', () => {
    expect(chooseHolders(servers.slice(0, 1), 2)).toEqual(['a1']);
  });

  it('picks at random among equals', () => {
    const first = new Set<string>();
    for (let i = 0; i < 200; i++) first.add(chooseHolders(servers, 1)[0] ?? '');
    expect(first.size).toBeGreaterThan(2);
  });
});

describe('pickClient', () => {
  const clients = [
    { clientId: 'x', inFlight: 3, capacity: 4, freeSlots: 1 },
    { clientId: 'y', inFlight: 1, capacity: 4, freeSlots: 3 },
    { clientId: 'z', inFlight: 0, capacity: 4, freeSlots: 0 },
  ];

  it('least loaded skips clients without a free slot', () => {
    expect(pickClient(clients, 'least_loaded', { next: 0 })?.clientId).toBe('y');
  });

  it('round robin cycles over clients with room', () => {
    const cursor = { next: 0 };
    const picks = [1, 2, 3, 4].map(() => pickClient(clients, 'round_robin', cursor)?.clientId);
    expect(picks).toEqual(['x', 'y', 'x', 'y']);
  });

  it('returns undefined when nobody has room', () => {
    expect(
      pickClient([{ clientId: 'z', inFlight: 4, capacity: 4, freeSlots: 0 }], 'random', {
        next: 0,
      }),
    ).toBeUndefined();
  });
});
