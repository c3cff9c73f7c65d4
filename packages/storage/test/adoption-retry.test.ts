import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionState } from '@carillon/core';
import type { Job } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { startTcpProxy, testDatabases } from '@carillon/testkit';
import type { TcpProxy } from '@carillon/testkit';
import { T0, claimOf, seedJobs } from './fixtures.js';

// An adoption whose takeover committed but whose reply was lost (the connection dropped right
// after the COMMIT reached the database): the store tries the work again, which finds nothing
// left to move; it must still return the rows the first try moved, or the adopter never
// dispatches them and they stay claimed by it until it restarts. A real MariaDB behind a TCP
// proxy that lets the COMMIT through and throws its answer away. SQLite runs in the process:
// a statement that committed has answered, so there is no reply to lose.
const withConnections = testDatabases().filter((d) => d.label !== 'sqlite');

describe.each(withConnections)('an adoption whose reply was lost, on $label', (database) => {
  let stores: SqlStores;
  /** The adopter's stores, through the proxy. */
  let adopter: SqlStores;
  let proxy: TcpProxy;
  let job: (i: number) => Job;

  beforeAll(async () => {
    const url = await database.create();
    stores = await openStores({ url });
    const direct = new URL(url);
    proxy = await startTcpProxy(`${direct.hostname}:${direct.port || '3306'}`);
    const proxied = new URL(url);
    [proxied.hostname, proxied.port] = proxy.address.split(':') as [string, string];
    adopter = await openStores({ url: proxied.toString(), migrate: false });
    ({ job } = await seedJobs(stores, 3));
  });

  afterAll(async () => {
    await adopter?.close();
    await proxy?.close();
    await stores?.close();
    await database.drop();
  });

  it('the retry returns the rows the lost try moved, at the attempt it set, once', async () => {
    const claims = Array.from({ length: 5 }, (_, i) => claimOf(job(0), T0 + i * 1000));
    await stores.executions.claimFires('dead', claims, T0);
    const sent = claims[0]?.id ?? '';
    await stores.executions.transition(
      { id: sent, from: [ExecutionState.Claimed], ownerServerId: 'dead', attempt: 1 },
      ExecutionState.Dispatched,
      { clientId: 'c1', dispatchedAt: T0 },
    );
    const cut = proxy.cutReplyTo('commit');
    const adopted = await adopter.executions.adoptOrphans('dead', 's2', [job(0).id]);
    await cut;
    expect(adopted.map((e) => e.id).sort()).toEqual(claims.map((c) => c.id).sort());
    expect(adopted.every((e) => e.ownerServerId === 's2' && e.attempt === 2)).toBe(true);
    expect(adopted.every((e) => e.state === ExecutionState.Claimed)).toBe(true);
    // Moved once: attempt 2, not 3.
    const rows = await stores.executions.listUnfinishedByOwner('s2');
    expect(rows.map((e) => [e.id, e.attempt]).sort()).toEqual(claims.map((c) => [c.id, 2]).sort());
    expect(await stores.executions.listUnfinishedByOwner('dead')).toEqual([]);
  });

  it('so does a standby adoption of claimed fires (claimedIds)', async () => {
    const claims = Array.from({ length: 3 }, (_, i) => claimOf(job(1), T0 + i * 1000));
    await stores.executions.claimFires('gone', claims, T0);
    const cut = proxy.cutReplyTo('commit');
    const ids = claims.map((c) => c.id);
    const adopted = await adopter.executions.adoptOrphans('gone', 's2', [job(1).id], ids);
    await cut;
    expect(adopted.map((e) => [e.id, e.ownerServerId, e.attempt]).sort()).toEqual(
      ids.map((id) => [id, 's2', 2]).sort(),
    );
  });

  it('a later adoption does not return what an earlier one already gave', async () => {
    const claims = Array.from({ length: 2 }, (_, i) => claimOf(job(2), T0 + i * 1000));
    await stores.executions.claimFires('dead2', claims, T0);
    expect(await adopter.executions.adoptOrphans('dead2', 's2', [job(2).id])).toHaveLength(2);
    expect(await adopter.executions.adoptOrphans('dead2', 's2', [job(2).id])).toEqual([]);
  });
});
