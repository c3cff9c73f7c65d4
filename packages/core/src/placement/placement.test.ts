import { describe, expect, it } from 'vitest';
import { chooseHolders, countFirstHolder } from './holder-assignment.js';
import { matchesPins, pickClient } from './routing.js';

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
    expect(chooseHolders(servers, 2, { keep: ['a1', 'gone'], random: () => 0 })).toEqual([
      'a1',
      'b1',
    ]);
  });

  it('returns fewer when there are fewer servers', () => {
    expect(chooseHolders(servers.slice(0, 1), 2)).toEqual(['a1']);
  });

  it('picks at random among equals', () => {
    const first = new Set<string>();
    for (let i = 0; i < 200; i++) first.add(chooseHolders(servers, 1)[0] ?? '');
    expect(first.size).toBeGreaterThan(2);
  });

  it('takes a new first holder among the least often first, then at random', () => {
    const firstOf = new Map([
      ['a1', 3],
      ['a2', 1],
      ['b1', 1],
    ]);
    // c1 is first of none: always first; the rest still spread over rooms.
    for (let i = 0; i < 20; i++) {
      const picked = chooseHolders(servers, 3, { firstOf });
      expect(picked[0]).toBe('c1');
      expect(new Set(picked.map((id) => id[0])).size).toBe(3);
    }
    firstOf.set('c1', 1);
    const first = new Set<string>();
    for (let i = 0; i < 100; i++) first.add(chooseHolders(servers, 3, { firstOf })[0] ?? '');
    expect([...first].sort()).toEqual(['a2', 'b1', 'c1']);
  });

  it('keeps a live first holder whatever it is first of', () => {
    const firstOf = new Map([['a1', 100]]);
    expect(chooseHolders(servers, 2, { keep: ['a1'], firstOf })[0]).toBe('a1');
  });

  it('spreads first holders evenly when each choice is counted', () => {
    const firstOf = new Map<string, number>();
    for (let i = 0; i < 300; i++) countFirstHolder(firstOf, chooseHolders(servers, 3, { firstOf }));
    expect([...firstOf.values()]).toEqual([75, 75, 75, 75]);
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

describe('pickClient: consistent hash, first, last, failover', () => {
  const three = ['c1', 'c2', 'c3'].map((clientId) => ({
    clientId,
    inFlight: 0,
    capacity: 4,
    freeSlots: 4,
  }));
  const pick = (
    list: readonly { clientId: string; inFlight: number; capacity: number; freeSlots: number }[],
    strategy: Parameters<typeof pickClient>[1],
    key = '',
  ) => pickClient(list, strategy, { next: 0 }, Math.random, key)?.clientId;

  it('first and last go by client id, whatever the order given, and wait while full', () => {
    const shuffled = [three[2]!, three[0]!, three[1]!];
    expect(pick(shuffled, 'first')).toBe('c1');
    expect(pick(shuffled, 'last')).toBe('c3');
    const firstFull = [{ ...three[0]!, freeSlots: 0 }, three[1]!, three[2]!];
    expect(pick(firstFull, 'first')).toBeUndefined();
  });

  it('failover and busy-over take the first client with a free slot', () => {
    const firstFull = [{ ...three[0]!, freeSlots: 0 }, three[1]!, three[2]!];
    expect(pick(three, 'failover')).toBe('c1');
    expect(pick(firstFull, 'failover')).toBe('c2');
    expect(pick(firstFull, 'busy_over')).toBe('c2');
  });

  it('consistent hash: a job keeps its client; when one leaves only its jobs move', () => {
    const owners = new Map<string, string>();
    for (let job = 1; job <= 300; job++)
      owners.set(String(job), pick(three, 'consistent_hash', String(job))!);
    const counts = ['c1', 'c2', 'c3'].map(
      (c) => [...owners.values()].filter((o) => o === c).length,
    );
    // Spread: every client owns a fair share (300 keys, 3 × 128 points).
    for (const n of counts) expect(n).toBeGreaterThan(40);
    for (const [job, owner] of owners) expect(pick(three, 'consistent_hash', job)).toBe(owner);
    const withoutC2 = three.filter((c) => c.clientId !== 'c2');
    for (const [job, owner] of owners) {
      const now = pick(withoutC2, 'consistent_hash', job);
      if (owner === 'c2') expect(now).not.toBe('c2');
      else expect(now).toBe(owner);
    }
    // The owner full: the fire waits for it rather than moving.
    const job = [...owners.entries()].find(([, o]) => o === 'c1')![0];
    const c1Full = [{ ...three[0]!, freeSlots: 0 }, three[1]!, three[2]!];
    expect(pick(c1Full, 'consistent_hash', job)).toBeUndefined();
  });
});

describe('matchesPins', () => {
  it('needs every label, and the room when one is named', () => {
    const client = { labels: ['gpu', 'zone=eu'], room: 'r1' };
    expect(matchesPins({ routeLabels: [], routeRoom: null }, client)).toBe(true);
    expect(matchesPins({ routeLabels: ['gpu'], routeRoom: 'r1' }, client)).toBe(true);
    expect(matchesPins({ routeLabels: ['gpu', 'ssd'], routeRoom: null }, client)).toBe(false);
    expect(matchesPins({ routeLabels: [], routeRoom: 'r2' }, client)).toBe(false);
  });
});
