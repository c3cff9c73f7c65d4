// Liveness on the database's clock (issue 7, the fixed cost): each heartbeat is stamped by the
// database itself, and a peer is judged by comparing its last beat with this server's own last
// beat, both as the database stamped them. The peers' table is then read only when someone
// asks whether a peer is gone (a standby with a peer's claimed fire under watch), not every
// 100 ms. These tests run two Liveness instances on one real database (SQLite and MariaDB).
import type { ServerStore, Stores } from '@carillon/core';
import { SystemClock, silentLogger } from '@carillon/core';
import { openStores } from '@carillon/storage';
import { testDatabases, waitFor } from '@carillon/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Liveness } from '../src/failover/liveness.js';
import { Membership } from '../src/membership.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const GONE_AFTER_MS = 600;

/** Counts the reads of the peers' heartbeats that go through `servers`. */
function countingReads(servers: ServerStore): { store: ServerStore; reads: () => number } {
  let reads = 0;
  const store: ServerStore = {
    upsert: (server) => servers.upsert(server),
    list: (cluster, serverGroup) => {
      reads += 1;
      return servers.list(cluster, serverGroup);
    },
    get: (id) => servers.get(id),
    beat: (id, breakMs) => servers.beat(id, breakMs),
    beats: (cluster, serverGroup) => {
      reads += 1;
      return servers.beats(cluster, serverGroup);
    },
  };
  return { store, reads: () => reads };
}

describe.each(testDatabases())('liveness on the database clock ($label)', (db) => {
  let stores: Stores | undefined;
  const started: Liveness[] = [];

  afterEach(async () => {
    for (const l of started.splice(0)) l.pause();
    await stores?.close();
    await db.drop();
  });

  async function pair(
    wrap: (servers: ServerStore) => ServerStore = (servers) => servers,
    watchOf?: (id: string) => <T>(work: () => Promise<T>) => Promise<T>,
  ) {
    stores = await openStores({ url: await db.create(), migrate: true });
    const servers = wrap(stores.servers);
    const members = ['a', 'b'].map((id) => ({
      serverId: id,
      cluster: 1,
      serverGroup: 1,
      room: `r-${id}`,
      rpcAddress: id,
    }));
    const liveness = (id: string): Liveness => {
      const membership = new Membership(id);
      membership.update(members, Date.now());
      const l = new Liveness({
        record: { id, cluster: 1, serverGroup: 1, room: `r-${id}`, rpcAddress: id },
        servers,
        membership,
        clock: new SystemClock(),
        logger: silentLogger,
        goneAfterMs: GONE_AFTER_MS,
        ...(watchOf === undefined ? {} : { watch: watchOf(id) }),
      });
      started.push(l);
      return l;
    };
    return { a: liveness('a'), b: liveness('b') };
  }

  it('reads the peers’ heartbeats only when asked, and judges a silent peer gone', async () => {
    let counting: ReturnType<typeof countingReads> | undefined;
    const { a, b } = await pair((servers) => {
      counting = countingReads(servers);
      return counting.store;
    });
    await a.start();
    await b.start();
    const readsAtStart = counting!.reads();
    await sleep(1_000);
    // Ten beats each went by; nobody asked about a peer, so nobody read one.
    expect(counting!.reads()).toBe(readsAtStart);
    expect([...(await a.gone(['b']))]).toEqual([]);
    expect(counting!.reads()).toBe(readsAtStart + 1);
    b.pause();
    await waitFor('the silent peer to count as gone', async () => (await a.gone(['b'])).has('b'));
    // A server never judges itself.
    expect([...(await a.gone(['a']))]).toEqual([]);
  });

  it('a server whose own beats stopped judges no peer gone until it has beaten again for goneAfterMs', async () => {
    const { a, b } = await pair();
    await a.start();
    await b.start();
    await sleep(300);
    // a stops beating (its session suspended, or its process frozen); b dies meanwhile.
    a.pause();
    b.pause();
    await sleep(1_000);
    a.resume();
    // b's last beat is over a second older than a's first one back, but a's beats had a gap:
    // a database stall would look the same from here, with b's next beat about to land.
    const until = Date.now() + GONE_AFTER_MS / 2;
    while (Date.now() < until) {
      expect([...(await a.gone(['b']))]).toEqual([]);
      await sleep(20);
    }
    await waitFor('the dead peer to count as gone once a has beaten steadily', async () =>
      (await a.gone(['b'])).has('b'),
    );
  });

  it('a database outage that stops every heartbeat does not make a live peer look gone after it', async () => {
    // Both servers' statements fail while their database is cut off, as in a partition of the
    // database from both (the `watch` hook stands for the connection, the database is real).
    const cut = { a: false, b: false };
    const { a, b } = await pair(undefined, (id) => (work) => {
      if (cut[id as 'a' | 'b']) return Promise.reject(new Error('database unreachable'));
      return work();
    });
    await a.start();
    await b.start();
    await sleep(300);
    cut.a = true;
    cut.b = true;
    await sleep(1_500);
    // The database answers a first; b's connection takes a little longer to come back.
    cut.a = false;
    const until = Date.now() + 800;
    let bBack = false;
    while (Date.now() < until) {
      if (!bBack && Date.now() > until - 650) {
        cut.b = false;
        bBack = true;
      }
      expect([...(await a.gone(['b']))]).toEqual([]);
      await sleep(5);
    }
    b.pause();
    await waitFor('the peer to count as gone once it stops', async () =>
      (await a.gone(['b'])).has('b'),
    );
  });
});
