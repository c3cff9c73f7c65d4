import { randomBytes } from 'node:crypto';
import type { Coordinator, ServerMember } from '@carillon/core';
import { SessionEvent, SessionState } from '@carillon/core';
import { startTcpProxy, startZooKeeper, waitFor } from '@carillon/testkit';
import type { TcpProxy, ZooKeeperCluster } from '@carillon/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InProcessCoordinator, InProcessHub, ZooKeeperCoordinator } from '../src/index.js';
import { testLogging } from './test-logging.js';

/** Makes `n` coordinators that share one coordination service (hub / ensemble). */
interface CoordinatorFactory {
  readonly name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  make(n: number): Promise<Coordinator[]>;
  /** Ends the session of `c` as the service would on expiry. */
  expire(c: Coordinator): Promise<void>;
}

let zk: ZooKeeperCluster | undefined;
const proxies = new Map<Coordinator, TcpProxy>();
const factories: CoordinatorFactory[] = [
  {
    name: 'in-process',
    setUp: () => Promise.resolve(),
    tearDown: () => Promise.resolve(),
    make: (n) => {
      const hub = new InProcessHub();
      return Promise.resolve(Array.from({ length: n }, () => new InProcessCoordinator(hub)));
    },
    expire: (c) => {
      (c as InProcessCoordinator).expireSession();
      return Promise.resolve();
    },
  },
  {
    name: 'zookeeper',
    setUp: async () => {
      zk = await startZooKeeper();
    },
    tearDown: async () => {
      await Promise.all([...proxies.values()].map((p) => p.close()));
      await zk?.stop();
    },
    make: async (n) => {
      const node = zk?.nodes[0];
      if (node === undefined) throw new Error('no ZooKeeper');
      // A chroot per test keeps the tests of one ZooKeeper apart; a proxy per coordinator lets
      // a test cut it off as a partition would.
      const chroot = `/t${randomBytes(4).toString('hex')}/carillon`;
      const made: Coordinator[] = [];
      for (let i = 0; i < n; i++) {
        const proxy = await startTcpProxy(node.address);
        const c = new ZooKeeperCoordinator({
          connection: `${proxy.address}${chroot}`,
          cluster: 101,
          sessionTimeoutMs: 4_000,
          ...testLogging(i),
        });
        proxies.set(c, proxy);
        made.push(c);
      }
      return made;
    },
    // Partitioned from ZooKeeper until the server expires the session (its connection leaves
    // `cons`), then healed: the client learns of the expiry when it reconnects.
    expire: async (c) => {
      const proxy = proxies.get(c);
      const sessionId = (c as ZooKeeperCoordinator).sessionId;
      const node = zk?.nodes[0];
      if (proxy === undefined || sessionId === undefined || node === undefined) {
        throw new Error('not a started ZooKeeper coordinator of this suite');
      }
      proxy.partition();
      await waitFor('the session to expire on the server', async () =>
        (await node.command('cons')).includes(`sid=0x${sessionId}`) ? undefined : true,
      );
      proxy.heal();
    },
  },
];

const member = (serverId: string, serverGroup = 1): ServerMember => ({
  serverId,
  cluster: 101,
  serverGroup,
  room: 'r1',
  rpcAddress: `127.0.0.1:${serverId.length}`,
});

/** Resolves once a notice lists exactly `ids` (earlier notices may show other lists). */
function serversBecome(c: Coordinator, ids: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const off = c.watchServers(101, 1, (servers) => {
      if (JSON.stringify(servers.map((s) => s.serverId)) !== JSON.stringify(ids)) return;
      off();
      resolve();
    });
  });
}

/** Resolves with the events seen up to and including the first that matches `until`. */
function eventsUntil(c: Coordinator, until: SessionEvent): Promise<SessionEvent[]> {
  const seen: SessionEvent[] = [];
  return new Promise((resolve) => {
    const off = c.onSessionEvent((e) => {
      seen.push(e);
      if (e !== until) return;
      off();
      resolve(seen);
    });
  });
}

describe.each(factories)('Coordinator conformance: $name', (factory) => {
  const started: Coordinator[] = [];
  beforeAll(() => factory.setUp());
  afterAll(() => factory.tearDown());
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.stop()));
  });

  async function startAll(n: number): Promise<Coordinator[]> {
    const all = await factory.make(n);
    started.push(...all);
    for (const c of all) await c.start();
    return all;
  }

  async function two(): Promise<[Coordinator, Coordinator]> {
    const [a, b] = await startAll(2);
    if (a === undefined || b === undefined) throw new Error('factory made too few');
    return [a, b];
  }

  it('shares server membership, tells watchers of a join, and drops a stopped server', async () => {
    const [a, b] = await two();
    expect(a.state).toBe(SessionState.Connected);
    await a.registerServer(member('s-a'));
    const joined = serversBecome(a, ['s-a', 's-b']);
    await b.registerServer(member('s-b'));
    await joined;
    await b.registerServer(member('s-other-group', 2));
    expect((await a.listServers(101, 1)).map((s) => s.serverId)).toEqual(['s-a', 's-b']);
    expect(await a.listServers(101, 2)).toEqual([member('s-other-group', 2)]);

    const changed = serversBecome(a, ['s-a']);
    await b.stop();
    await changed;
    expect(b.state).toBe(SessionState.Stopped);
  });

  it('delivers group change notices to every watcher, for every group bumped', async () => {
    const [a, b] = await two();
    const seen: string[] = [];
    let wake: () => void = () => undefined;
    b.watchGroupChanges((g) => {
      seen.push(g);
      wake();
    });
    const heard = (check: () => boolean): Promise<void> =>
      new Promise((resolve) => {
        wake = () => {
          if (check()) resolve();
        };
        wake();
      });
    const count = (g: string): number => seen.filter((x) => x === g).length;
    await a.notifyGroupChanged('101-1-1-7');
    await heard(() => count('101-1-1-7') === 1);
    // Two groups bumped at once: both are heard (a group bumped twice at once may be heard once).
    await Promise.all([a.notifyGroupChanged('101-1-1-8'), a.notifyGroupChanged('101-1-1-9')]);
    await heard(() => count('101-1-1-8') === 1 && count('101-1-1-9') === 1);
    await a.notifyGroupChanged('101-1-1-7');
    await heard(() => count('101-1-1-7') === 2);
    expect(seen.length).toBe(4);
  });

  it('publishes clients under the holding server and removes them with its session', async () => {
    const [a, b] = await two();
    const client = {
      clientId: 'c1',
      groupId: '101-1-1-7',
      serverId: 's-a',
      handlers: ['h'],
      room: 'r1',
    };
    await a.registerClient(client);
    await b.registerClient({ ...client, serverId: 's-b' });
    expect(await b.listClients('101-1-1-7')).toEqual([client, { ...client, serverId: 's-b' }]);
    await b.unregisterClient('101-1-1-7', 'c1', 's-b');
    expect(await b.listClients('101-1-1-7')).toEqual([client]);
    await a.stop();
    expect(await b.listClients('101-1-1-7')).toEqual([]);
    expect(await b.listClients('101-1-1-99')).toEqual([]);
  });

  it('elects one leader at a time and hands over when the leader goes', async () => {
    const [a, b] = await two();
    const first = await a.campaign('holders');
    let bLeads = false;
    const second = b.campaign('holders').then((l) => {
      bLeads = true;
      return l;
    });
    // Give a wrong second win the time to show; the other role must not be blocked meanwhile.
    const other = await b.campaign('retention');
    await new Promise((r) => setTimeout(r, 200));
    expect(bLeads).toBe(false);
    await a.stop();
    await first.lost;
    const leadership = await second;
    expect(leadership.role).toBe('holders');
    await leadership.release();
    await other.release();
  });

  it('keeps exactly one leader among three and hands over on release', async () => {
    const all = await startAll(3);
    const active = new Set<number>();
    const order: number[] = [];
    let most = 0;
    let wake: () => void = () => undefined;
    const wins = all.map((c, i) =>
      c.campaign('holders').then((l) => {
        active.add(i);
        most = Math.max(most, active.size);
        order.push(i);
        wake();
        return l;
      }),
    );
    for (let round = 0; round < 3; round++) {
      await new Promise<void>((resolve) => {
        wake = () => {
          if (order.length > round) resolve();
        };
        wake();
      });
      // Time for a wrong second leader to show itself.
      await new Promise((r) => setTimeout(r, 150));
      expect(active.size).toBe(1);
      const index = order[round] ?? -1;
      const leadership = await wins[index];
      if (leadership === undefined) throw new Error('no leadership');
      active.delete(index);
      await leadership.release();
      await leadership.lost;
    }
    expect(most).toBe(1);
    expect(new Set(order).size).toBe(3);
  });

  it('reports its session: connected, lost then reconnected with registrations made again', async () => {
    const fresh = await factory.make(2);
    started.push(...fresh);
    const [a, b] = fresh;
    if (a === undefined || b === undefined) throw new Error('factory made too few');
    const first = eventsUntil(a, SessionEvent.Connected);
    await a.start();
    await b.start();
    expect(await first).toEqual([SessionEvent.Connected]);
    await a.registerServer(member('s-a'));
    await a.registerClient({
      clientId: 'c1',
      groupId: '101-1-1-7',
      serverId: 's-a',
      handlers: ['h'],
      room: 'r1',
    });
    const leadership = await a.campaign('holders');
    const states: SessionState[] = [];
    a.onStateChange((s) => states.push(s));
    const back = eventsUntil(a, SessionEvent.Reconnected);
    await factory.expire(a);
    const events = await back;
    expect(events).toContain(SessionEvent.Lost);
    expect(events.indexOf(SessionEvent.Lost)).toBeLessThan(
      events.indexOf(SessionEvent.Reconnected),
    );
    // ZooKeeper suspends first (silence), then learns of the expiry on reconnecting.
    expect(states.slice(-2)).toEqual([SessionState.Lost, SessionState.Connected]);
    expect(states.slice(0, -2).every((st) => st === SessionState.Suspended)).toBe(true);
    await leadership.lost;
    expect(a.state).toBe(SessionState.Connected);
    expect((await b.listServers(101, 1)).map((s) => s.serverId)).toEqual(['s-a']);
    expect((await b.listClients('101-1-1-7')).map((c) => c.clientId)).toEqual(['c1']);
    // The role is free again and can be won anew under the new session.
    const again = await a.campaign('holders');
    await again.release();

    const stopped = eventsUntil(a, SessionEvent.Stopped);
    await a.stop();
    expect(await stopped).toEqual([SessionEvent.Stopped]);
  });
});
