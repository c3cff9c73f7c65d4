import type { Coordinator, ServerMember } from '@carillon/core';
import { SessionState } from '@carillon/core';
import { describe, expect, it } from 'vitest';
import { InProcessCoordinator, InProcessHub } from '../src/index.js';

/** Makes `n` coordinators that share one coordination service (hub / ensemble). */
interface CoordinatorFactory {
  readonly name: string;
  make(n: number): Promise<Coordinator[]>;
}

// The ZooKeeper implementation joins this list when it lands; every test runs against each.
const factories: CoordinatorFactory[] = [
  {
    name: 'in-process',
    make: (n) => {
      const hub = new InProcessHub();
      return Promise.resolve(Array.from({ length: n }, () => new InProcessCoordinator(hub)));
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

function nextValue<T>(subscribe: (cb: (v: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((v) => {
      off();
      resolve(v);
    });
  });
}

describe.each(factories)('Coordinator conformance: $name', (factory) => {
  it('shares server membership and drops a stopped server', async () => {
    const [a, b] = await factory.make(2);
    if (a === undefined || b === undefined) throw new Error('factory made too few');
    await a.start();
    await b.start();
    expect(a.state).toBe(SessionState.Connected);
    await a.registerServer(member('s-a'));
    await b.registerServer(member('s-b'));
    await b.registerServer(member('s-other-group', 2));
    expect((await a.listServers(101, 1)).map((s) => s.serverId)).toEqual(['s-a', 's-b']);

    const changed = nextValue<readonly ServerMember[]>((cb) => a.watchServers(101, 1, cb));
    await b.stop();
    expect((await changed).map((s) => s.serverId)).toEqual(['s-a']);
    expect(b.state).toBe(SessionState.Stopped);
    await a.stop();
  });

  it('delivers group change notices to every watcher', async () => {
    const [a, b] = await factory.make(2);
    if (a === undefined || b === undefined) throw new Error('factory made too few');
    await a.start();
    await b.start();
    const seen = nextValue<string>((cb) => b.watchGroupChanges(cb));
    await a.notifyGroupChanged('101-1-1-7');
    expect(await seen).toBe('101-1-1-7');
    await a.stop();
    await b.stop();
  });

  it('publishes clients under the holding server and removes them with its session', async () => {
    const [a, b] = await factory.make(2);
    if (a === undefined || b === undefined) throw new Error('factory made too few');
    await a.start();
    await b.start();
    const client = {
      clientId: 'c1',
      groupId: '101-1-1-7',
      serverId: 's-a',
      handlers: ['h'],
      room: 'r1',
    };
    await a.registerClient(client);
    expect(await b.listClients('101-1-1-7')).toEqual([client]);
    await a.stop();
    expect(await b.listClients('101-1-1-7')).toEqual([]);
    await b.stop();
  });

  it('elects one leader at a time and hands over when the leader goes', async () => {
    const [a, b] = await factory.make(2);
    if (a === undefined || b === undefined) throw new Error('factory made too few');
    await a.start();
    await b.start();
    const first = await a.campaign('holders');
    let bLeads = false;
    const second = b.campaign('holders').then((l) => {
      bLeads = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(bLeads).toBe(false);
    await a.stop();
    await first.lost;
    const leadership = await second;
    expect(leadership.role).toBe('holders');
    await leadership.release();
    await b.stop();
  });
});
