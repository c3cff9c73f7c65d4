import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreErrorCode } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { T0, withCode } from './fixtures.js';
import { testDatabases } from '@carillon/testkit';

describe.each(testDatabases())('servers and their heartbeats on $label', (database) => {
  let stores: SqlStores;

  beforeAll(async () => {
    stores = await openStores({ url: await database.create() });
  });

  afterAll(async () => {
    await stores?.close();
    await database.drop();
  });

  it('upserts servers and lists them by group', async () => {
    const s = {
      id: 'srv-a',
      cluster: 601,
      serverGroup: 1,
      room: 'r1',
      rpcAddress: '10.0.0.1:7700',
      lastSeenAt: T0,
    };
    await stores.servers.upsert(s);
    await stores.servers.upsert({ ...s, room: 'r2', lastSeenAt: T0 + 5 });
    await stores.servers.upsert({ ...s, id: 'srv-b', serverGroup: 2 });
    expect(await stores.servers.get('srv-a')).toEqual({ ...s, room: 'r2', lastSeenAt: T0 + 5 });
    expect((await stores.servers.list(601)).map((x) => x.id)).toEqual(['srv-a', 'srv-b']);
    expect((await stores.servers.list(601, 2)).map((x) => x.id)).toEqual(['srv-b']);
    await expect(stores.servers.upsert({ ...s, id: 'x'.repeat(129) })).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
  });

  it('beats on the database clock: unknown ids change nothing, a long gap starts a new run', async () => {
    expect(await stores.servers.beat('srv-none', 5_000)).toBe(false);
    const s = {
      id: 'srv-beat',
      cluster: 602,
      serverGroup: 1,
      room: 'r1',
      rpcAddress: '10.0.0.2:7700',
      lastSeenAt: T0,
    };
    await stores.servers.upsert(s);
    // Far from the database's clock: the first beat restamps both columns on it.
    const before = Date.now();
    expect(await stores.servers.beat(s.id, 5_000)).toBe(true);
    const [first] = await stores.servers.beats(602, 1);
    expect(first!.lastSeenAt).toBeGreaterThanOrEqual(before - 1_000);
    expect(first!.beatingSince).toBe(first!.lastSeenAt);
    // Within the break the run goes on; after a longer gap a new one starts.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await stores.servers.beat(s.id, 5_000)).toBe(true);
    const [second] = await stores.servers.beats(602, 1);
    expect(second!.lastSeenAt).toBeGreaterThan(first!.lastSeenAt);
    expect(second!.beatingSince).toBe(first!.beatingSince);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await stores.servers.beat(s.id, 100)).toBe(true);
    const [third] = await stores.servers.beats(602, 1);
    expect(third!.beatingSince).toBe(third!.lastSeenAt);
    await expect(stores.servers.beat(s.id, -1)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
  });
});
