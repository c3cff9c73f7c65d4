import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MIGRATION_TABLE,
  carillonMigrations,
  connect,
  migrateToLatest,
  openStores,
} from '@carillon/storage';
import type { MigrationOutcome } from '@carillon/storage';
import { seedJobs } from './fixtures.js';
import { mariadbDatabase, testDatabases } from '@carillon/testkit';

const run = promisify(execFile);
const ALL = Object.keys(carillonMigrations({} as never));
const CHILD = fileURLToPath(new URL('./migrate-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function migrateInChild(url: string): Promise<MigrationOutcome> {
  const { stdout } = await run(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', CHILD, url],
    { cwd: ROOT },
  );
  return JSON.parse(stdout) as MigrationOutcome;
}

describe.each(testDatabases())('migrations on $label', (database) => {
  let url: string;
  beforeAll(async () => {
    url = await database.create();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('applies every migration once, then nothing', async () => {
    const first = await openStores({ url });
    expect(first.migration.applied).toEqual(ALL);
    await first.close();
    const second = await openStores({ url });
    expect(second.migration.applied).toEqual([]);
    const { jobs } = await seedJobs(second, 1);
    expect(jobs[0]?.id).toBeGreaterThan(0);
    await second.close();
  });

  it('runs each step again over an existing schema without failing', async () => {
    const { db, profile } = await connect({ url });
    try {
      for (const migration of Object.values(carillonMigrations(profile))) {
        await migration.up(db);
      }
      expect((await migrateToLatest(db, profile)).applied).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});

describe.each(testDatabases())('user names without case on $label', (database) => {
  afterAll(async () => {
    await database.drop();
  });

  it('keys existing users by their case-folded name; of names differing only in case, the oldest', async () => {
    const url = await database.create();
    const { db, profile } = await connect({ url });
    try {
      for (const [name, migration] of Object.entries(carillonMigrations(profile)))
        if (name < '0005') await migration.up(db);
      for (const username of ['dave', 'Erin', 'Dave'])
        await db
          .insertInto('users')
          .values({ username, password_hash: `hash-${username}`, is_admin: 0, created_at: 1 })
          .execute();
      expect((await migrateToLatest(db, profile)).applied).toEqual(ALL);
    } finally {
      await db.destroy();
    }
    const stores = await openStores({ url });
    try {
      expect((await stores.users.findForLogin('DAVE'))?.passwordHash).toBe('hash-dave');
      expect((await stores.users.findForLogin('Dave'))?.passwordHash).toBe('hash-Dave');
      expect((await stores.users.findForLogin('erin'))?.passwordHash).toBe('hash-Erin');
      await expect(
        stores.users.create({ username: 'ERIN', passwordHash: 'x', isAdmin: false }, 2),
      ).rejects.toMatchObject({ code: 'CARILLON_CONFLICT' });
    } finally {
      await stores.close();
    }
  });
});

describe.each(testDatabases())('concurrent migrations on $label', (database) => {
  afterAll(async () => {
    await database.drop();
  });

  it('three processes migrating one fresh database at once: one applies, all succeed', async () => {
    const url = await database.create();
    const outcomes = await Promise.all([1, 2, 3].map(() => migrateInChild(url)));
    const applied = outcomes.map((o) => o.applied);
    expect(applied.filter((a) => a.length > 0)).toEqual([ALL]);
    expect(applied.filter((a) => a.length === 0)).toHaveLength(2);
    const stores = await openStores({ url, migrate: false });
    try {
      const { jobs } = await seedJobs(stores, 2);
      expect(jobs.map((j) => j.version)).toEqual([1, 1]);
    } finally {
      await stores.close();
    }
  }, 60_000);

  it.runIf(database.parallelTransactionsInProcess)(
    'three store instances in one process migrating at once: one applies, all succeed',
    async () => {
      // A second fresh database of the same server, so this test starts from nothing too.
      const other = testDatabases().find((d) => d.label === database.label);
      if (other === undefined) throw new Error('no database of that kind');
      const url = await other.create();
      try {
        const opened = await Promise.all([1, 2, 3].map(() => openStores({ url, poolSize: 3 })));
        const applied = opened.map((s) => s.migration.applied);
        expect(applied.filter((a) => a.length > 0)).toEqual([ALL]);
        await Promise.all(opened.map((s) => s.close()));
      } finally {
        await other.drop();
      }
    },
  );
});

describe('the migration lock on mariadb', () => {
  const [first, second] = [mariadbDatabase(), mariadbDatabase()];
  afterAll(async () => {
    await Promise.all([first.drop(), second.drop()]);
  });

  it('is taken per database: a migrator holding one does not hold up another database', async () => {
    const [firstUrl, secondUrl] = await Promise.all([first.create(), second.create()]);
    const { db } = await connect({ url: firstUrl, poolSize: 1 });
    // A migrator of the first database, frozen while it holds the lock: its connection keeps it.
    const adapter = db.getExecutor().adapter;
    const lock = { lockTable: `${MIGRATION_TABLE}_lock`, lockRowId: 'migration_lock' };
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken: (() => void) | undefined;
    const lockTaken = new Promise<void>((resolve) => (taken = resolve));
    const holder = db.connection().execute(async (connection) => {
      await adapter.acquireMigrationLock(connection, lock);
      taken?.();
      await held;
      await adapter.releaseMigrationLock(connection, lock);
    });
    try {
      await lockTaken;
      const waiting = openStores({ url: firstUrl, poolSize: 2 });
      let waitingDone = false;
      void waiting.then(
        () => (waitingDone = true),
        () => (waitingDone = true),
      );
      const other = await openStores({ url: secondUrl, poolSize: 2 });
      expect(other.migration.applied).toEqual(ALL);
      await other.close();
      // The same database's migrator still waits for the lock, and migrates once it is let go.
      expect(waitingDone).toBe(false);
      release?.();
      await holder;
      const migrated = await waiting;
      expect(migrated.migration.applied).toEqual(ALL);
      await migrated.close();
    } finally {
      release?.();
      await holder;
      await db.destroy();
    }
  });
});
