// Liveness does not compare server hosts' clocks: two servers on one real database (SQLite and
// MariaDB), one of them with its clock an hour behind or ahead. Each beat is stamped by the
// database's clock and compared with the observer's own last beat, so the skewed peer is live
// while it beats and gone once it stops. (Comparing its `lastSeenAt`, written from its own
// clock, with ours, an hour behind looked gone at once and an hour ahead never did.)
import type { Clock, Stores } from '@carillon/core';
import { SystemClock, silentLogger } from '@carillon/core';
import { openStores } from '@carillon/storage';
import { testDatabases, waitFor } from '@carillon/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { Liveness } from '../src/failover/liveness.js';
import { Membership } from '../src/membership.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function skewed(offsetMs: number): Clock {
  const system = new SystemClock();
  return {
    now: () => system.now() + offsetMs,
    setTimer: (at, callback) => system.setTimer(at - offsetMs, callback),
    after: (delay, callback) => system.after(delay, callback),
  };
}

describe.each(testDatabases())('liveness under clock skew ($label)', (db) => {
  let stores: Stores | undefined;
  const started: Liveness[] = [];

  afterEach(async () => {
    for (const l of started.splice(0)) l.pause();
    await stores?.close();
    await db.drop();
  });

  it.each([
    ['an hour behind', -3_600_000],
    ['an hour ahead', 3_600_000],
  ])('a peer %s is live while it beats and gone once it stops', async (_, offsetMs) => {
    stores = await openStores({ url: await db.create(), migrate: true });
    const members = ['a', 'b'].map((id) => ({
      serverId: id,
      cluster: 1,
      serverGroup: 1,
      room: `r-${id}`,
      rpcAddress: `127.0.0.1:${id === 'a' ? 1 : 2}`,
    }));
    const liveness = (id: string, clock: Clock): Liveness => {
      const membership = new Membership(id);
      membership.update(members, Date.now());
      const l = new Liveness({
        record: { id, cluster: 1, serverGroup: 1, room: `r-${id}`, rpcAddress: id },
        servers: stores!.servers,
        membership,
        clock,
        logger: silentLogger,
        // Generous for a shared machine: the point is the clocks, not the bound.
        goneAfterMs: 1_000,
      });
      started.push(l);
      return l;
    };
    const observer = liveness('a', new SystemClock());
    const peer = liveness('b', skewed(offsetMs));
    await observer.start();
    await peer.start();
    await sleep(1_500);
    expect([...(await observer.gone(['b']))]).toEqual([]);
    peer.pause();
    await waitFor('the silent peer to count as gone', async () =>
      (await observer.gone(['b'])).has('b'),
    );
  });
});
