import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreErrorCode, GroupRole, JobStatus, TokenKind } from '@carillon/core';
import type { Job } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { T0, jobSpec, withCode } from './fixtures.js';
import { testDatabases } from '@carillon/testkit';

describe.each(testDatabases())('jobs, groups, users and audit on $label', (database) => {
  let stores: SqlStores;

  beforeAll(async () => {
    stores = await openStores({ url: await database.create() });
  });

  afterAll(async () => {
    await stores?.close();
    await database.drop();
  });

  it('numbers groups per cluster from 1, concurrently, never reusing a number', async () => {
    const made = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stores.groups.create(
          { cluster: 201, serverGroup: 1 + (i % 2), backups: 2, name: `g${i}` },
          T0,
        ),
      ),
    );
    expect(made.map((g) => g.number).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const other = await stores.groups.create(
      { cluster: 202, serverGroup: 1, backups: 1, name: 'x' },
      T0,
    );
    expect(other).toMatchObject({
      id: '202-1-1-1',
      cluster: 202,
      serverGroup: 1,
      backups: 1,
      number: 1,
    });
    const g8 = made.find((g) => g.number === 8);
    expect(g8?.id).toBe(`201-${g8?.serverGroup}-2-8`);
    expect(await stores.groups.delete(g8?.id ?? '')).toBe(true);
    expect(await stores.groups.delete(g8?.id ?? '')).toBe(false);
    const next = await stores.groups.create(
      { cluster: 201, serverGroup: 1, backups: 2, name: 'n' },
      T0,
    );
    expect(next.number).toBe(9);
    expect(await stores.groups.get(next.id)).toEqual(next);
    expect((await stores.groups.list()).filter((g) => g.cluster === 201)).toHaveLength(8);
    await expect(
      stores.groups.create({ cluster: 201, serverGroup: 1, backups: 0, name: 'bad' }, T0),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidTaskGroupId));
    await expect(
      stores.groups.create({ cluster: 201, serverGroup: 1, backups: 1, name: 'n'.repeat(129) }, T0),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
  });

  it('creates, reads and fences job changes by version, with holders', async () => {
    const group = await stores.groups.create(
      { cluster: 301, serverGroup: 1, backups: 2, name: 'jobs' },
      T0,
    );
    const spec = jobSpec(group.id);
    const job = await stores.jobs.create(spec, ['s1', 's2'], T0);
    expect(job).toMatchObject({
      ...spec,
      status: JobStatus.Enabled,
      holders: ['s1', 's2'],
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(await stores.jobs.get(job.id)).toEqual(job);

    const renamed = await stores.jobs.update(
      job.id,
      1,
      { name: 'renamed', trigger: { type: 'api' }, param: null },
      T0 + 1,
    );
    expect(renamed).toMatchObject({
      name: 'renamed',
      trigger: { type: 'api' },
      param: null,
      version: 2,
      updatedAt: T0 + 1,
      groupId: group.id,
    });
    expect(await stores.jobs.update(job.id, 1, { name: 'stale' }, T0 + 2)).toBeUndefined();
    expect((await stores.jobs.get(job.id))?.name).toBe('renamed');

    const disabled = await stores.jobs.setStatus(job.id, 2, JobStatus.Disabled, T0 + 3);
    expect(disabled).toMatchObject({ status: 'disabled', version: 3 });
    expect(await stores.jobs.setStatus(job.id, 2, JobStatus.Enabled, T0 + 3)).toBeUndefined();
    const moved = await stores.jobs.setHolders(job.id, 3, ['s3', 's1'], T0 + 4);
    // A change of holders is no user change: updatedAt stays.
    expect(moved).toMatchObject({ holders: ['s3', 's1'], version: 4, updatedAt: T0 + 3 });
    expect(await stores.jobs.setHolders(job.id, 3, ['s9'], T0 + 5)).toBeUndefined();
    expect((await stores.jobs.get(job.id))?.holders).toEqual(['s3', 's1']);

    await stores.jobs.setStatus(job.id, 4, JobStatus.Deleted, T0 + 6);
    await expect(stores.jobs.setStatus(job.id, 5, JobStatus.Enabled, T0 + 7)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidTransition),
    );
    expect(await stores.jobs.listByGroup(group.id)).toEqual([]);
    expect((await stores.jobs.get(job.id))?.status).toBe('deleted');
  });

  it('validates job fields and the group', async () => {
    const group = await stores.groups.create(
      { cluster: 302, serverGroup: 1, backups: 2, name: 'v' },
      T0,
    );
    const bad = [
      jobSpec(group.id, { name: 'n'.repeat(129) }),
      jobSpec(group.id, { name: '' }),
      jobSpec(group.id, { param: 'p'.repeat(64 * 1024 + 1) }),
      jobSpec(group.id, {
        trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'z'.repeat(65) },
      }),
      jobSpec(group.id, { kind: 'huge' as never }),
      jobSpec(group.id, { timeoutMs: -1 }),
      jobSpec('not-a-group'),
    ];
    for (const spec of bad) {
      await expect(stores.jobs.create(spec, ['s1'], T0)).rejects.toEqual(
        withCode(CoreErrorCode.InvalidArgument),
      );
    }
    await expect(stores.jobs.create(jobSpec(group.id), ['s1', 's1'], T0)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
    await expect(stores.jobs.create(jobSpec('999-1-1-1'), ['s1'], T0)).rejects.toEqual(
      withCode(CoreErrorCode.NotFound),
    );
    expect(await stores.jobs.listByGroup(group.id)).toEqual([]);
    const job = await stores.jobs.create(jobSpec(group.id), ['s1'], T0);
    await expect(stores.jobs.update(job.id, 1, { handler: '' }, T0)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
    await expect(stores.groups.delete(group.id)).rejects.toEqual(withCode(CoreErrorCode.Conflict));
  });

  it('lists a server’s jobs through the holders index, with all their holders', async () => {
    const group = await stores.groups.create(
      { cluster: 303, serverGroup: 1, backups: 2, name: 'h' },
      T0,
    );
    const made: Job[] = [];
    for (let i = 0; i < 30; i++) {
      const holders = [`h${i % 3}`, `h${(i + 1) % 3}`];
      made.push(await stores.jobs.create(jobSpec(group.id, { name: `j${i}` }), holders, T0));
    }
    const mine = await stores.jobs.listByHolder('h0');
    const want = made.filter((j) => j.holders.includes('h0'));
    expect(mine).toEqual(want);
    expect(mine).toHaveLength(20);
    const first = want[0];
    if (first === undefined) throw new Error('no job');
    await stores.jobs.setStatus(first.id, first.version, JobStatus.Deleted, T0);
    expect((await stores.jobs.listByHolder('h0')).map((j) => j.id)).toEqual(
      want.slice(1).map((j) => j.id),
    );
    expect(await stores.jobs.listByHolder('nobody')).toEqual([]);
    expect(await stores.jobs.listByGroup(group.id)).toHaveLength(29);
  });

  it('keeps users unique by name without regard to case, and finds them by any case', async () => {
    const alice = await stores.users.create(
      { username: 'Alice', passwordHash: 'scrypt$1', isAdmin: true },
      T0,
    );
    expect(alice).toEqual({ id: alice.id, username: 'Alice', isAdmin: true, createdAt: T0 });
    for (const username of ['Alice', 'alice', 'ALICE'])
      await expect(
        stores.users.create({ username, passwordHash: 'scrypt$2', isAdmin: false }, T0),
      ).rejects.toEqual(withCode(CoreErrorCode.Conflict));
    for (const username of ['alice', 'ALICE', 'Alice'])
      expect(await stores.users.findForLogin(username)).toEqual({
        user: alice,
        passwordHash: 'scrypt$1',
      });
    await stores.users.setPasswordHash(alice.id, 'scrypt$9');
    expect((await stores.users.findForLogin('alice'))?.passwordHash).toBe('scrypt$9');
    await expect(stores.users.setPasswordHash(999_999, 'x')).rejects.toEqual(
      withCode(CoreErrorCode.NotFound),
    );
    const bob = await stores.users.create(
      { username: 'bob', passwordHash: 'b', isAdmin: false },
      T0,
    );
    expect(await stores.users.get(bob.id)).toEqual(bob);
    expect(await stores.users.findForLogin('carol')).toBeUndefined();
    expect((await stores.users.list()).map((u) => u.username)).toEqual(['Alice', 'bob']);
    // Lengths in code points, as the column counts: 64 emoji fit, 65 characters do not.
    const emoji = await stores.users.create(
      { username: '🔔'.repeat(64), passwordHash: 'e', isAdmin: false },
      T0,
    );
    expect((await stores.users.get(emoji.id))?.username).toBe('🔔'.repeat(64));
    await expect(
      stores.users.create({ username: 'nul\u0000', passwordHash: 'x', isAdmin: false }, T0),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
    await expect(
      stores.users.create({ username: 'u'.repeat(65), passwordHash: 'x', isAdmin: false }, T0),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
  });

  it('grants, replaces and revokes roles; deleting a group drops its permissions', async () => {
    const user = await stores.users.create(
      { username: 'carol', passwordHash: 'h', isAdmin: false },
      T0,
    );
    const g1 = await stores.groups.create(
      { cluster: 401, serverGroup: 1, backups: 1, name: 'a' },
      T0,
    );
    const g2 = await stores.groups.create(
      { cluster: 401, serverGroup: 1, backups: 1, name: 'b' },
      T0,
    );
    await stores.groups.grant(g1.id, user.id, GroupRole.Viewer);
    await stores.groups.grant(g1.id, user.id, GroupRole.Owner);
    await stores.groups.grant(g2.id, user.id, GroupRole.Editor);
    expect(await stores.groups.roleOf(g1.id, user.id)).toBe('owner');
    expect(await stores.groups.rolesOf(user.id)).toEqual(
      new Map([
        [g1.id, 'owner'],
        [g2.id, 'editor'],
      ]),
    );
    await stores.groups.revoke(g2.id, user.id);
    expect(await stores.groups.roleOf(g2.id, user.id)).toBeUndefined();
    await expect(stores.groups.grant('9-9-9-9', user.id, GroupRole.Viewer)).rejects.toEqual(
      withCode(CoreErrorCode.NotFound),
    );
    await expect(stores.groups.grant(g1.id, user.id, 'god' as never)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
    expect(await stores.groups.delete(g1.id)).toBe(true);
    expect(await stores.groups.rolesOf(user.id)).toEqual(new Map());
  });

  it('finds tokens by hash until revoked', async () => {
    const user = await stores.users.create(
      { username: 'dave', passwordHash: 'h', isAdmin: false },
      T0,
    );
    const group = await stores.groups.create(
      { cluster: 501, serverGroup: 1, backups: 1, name: 't' },
      T0,
    );
    const hash = 'a'.repeat(64);
    const token = await stores.users.createToken(
      { kind: TokenKind.User, userId: user.id, groupId: null, name: 'ci', secretHash: hash },
      T0,
    );
    expect(token).toEqual({
      id: token.id,
      kind: 'user',
      userId: user.id,
      groupId: null,
      name: 'ci',
      createdAt: T0,
      revokedAt: null,
    });
    expect(await stores.users.findToken(hash)).toEqual(token);
    const client = await stores.users.createToken(
      {
        kind: TokenKind.Client,
        userId: null,
        groupId: group.id,
        name: 'w',
        secretHash: 'b'.repeat(64),
      },
      T0,
    );
    expect((await stores.users.findToken('b'.repeat(64)))?.groupId).toBe(group.id);
    const both = await stores.users.findTokens([hash, 'b'.repeat(64), 'f'.repeat(64)]);
    expect([...both.keys()].sort()).toEqual([hash, 'b'.repeat(64)]);
    expect(both.get('b'.repeat(64))?.id).toBe(client.id);
    await expect(
      stores.users.createToken(
        { kind: TokenKind.User, userId: user.id, groupId: null, name: 'dup', secretHash: hash },
        T0,
      ),
    ).rejects.toEqual(withCode(CoreErrorCode.Conflict));
    await expect(
      stores.users.createToken(
        {
          kind: TokenKind.Client,
          userId: null,
          groupId: null,
          name: 'x',
          secretHash: 'c'.repeat(64),
        },
        T0,
      ),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
    expect(await stores.users.revokeToken(token.id, T0 + 1)).toBe(true);
    expect(await stores.users.revokeToken(token.id, T0 + 2)).toBe(false);
    expect(await stores.users.findToken(hash)).toBeUndefined();
    expect([...(await stores.users.findTokens([hash, 'b'.repeat(64)])).keys()]).toEqual([
      'b'.repeat(64),
    ]);
    expect(await stores.groups.delete(group.id)).toBe(true);
    expect((await stores.users.findTokens(['b'.repeat(64)])).size).toBe(0);
    expect(await stores.users.findToken('b'.repeat(64))).toBeUndefined();
    expect(client.kind).toBe('client');
  });

  it('appends audit events and lists them newest first, in pages', async () => {
    for (let i = 0; i < 5; i++) {
      await stores.audit.append({
        at: T0 + i,
        actor: 'alice',
        action: 'job.update',
        target: `job/${i}`,
        detail: i === 0 ? null : '{"x":1}',
      });
    }
    const page = await stores.audit.list(3);
    expect(page.map((e) => e.target)).toEqual(['job/4', 'job/3', 'job/2']);
    const rest = await stores.audit.list(3, page[2]?.id);
    expect(rest.map((e) => e.target)).toEqual(['job/1', 'job/0']);
    expect(rest[1]).toMatchObject({ at: T0, actor: 'alice', action: 'job.update', detail: null });
    await expect(
      stores.audit.append({
        at: T0,
        actor: 'a'.repeat(129),
        action: 'x',
        target: 't',
        detail: null,
      }),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
    await expect(stores.audit.list(0)).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const kept = await stores.transaction(async (trx) => {
      const g = await trx.groups.create(
        { cluster: 701, serverGroup: 1, backups: 1, name: 'kept' },
        T0,
      );
      await trx.audit.append({
        at: T0,
        actor: 'tx',
        action: 'group.create',
        target: g.id,
        detail: null,
      });
      return g;
    });
    await expect(
      stores.transaction(async (trx) => {
        await trx.groups.create({ cluster: 702, serverGroup: 1, backups: 1, name: 'lost' }, T0);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await stores.groups.get(kept.id)).toEqual(kept);
    expect((await stores.groups.list()).filter((g) => g.cluster === 702)).toEqual([]);
  });
});
