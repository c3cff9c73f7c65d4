import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQLITE_PROFILE, mysqlFamilyProfile } from '@carillon/storage';
import { freePort, testDatabases, waitFor } from '@carillon/testkit';

// The profiles' error classes decide what is retried and what becomes a conflict: check them
// against errors the real drivers raise, not against hand-made look-alikes.

async function caught(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('MariaDB errors as the mysql profile classifies them', () => {
  const database = testDatabases().find((d) => d.label === 'mariadb');
  if (database === undefined) throw new Error('no mariadb');
  const profile = mysqlFamilyProfile('10.11.19-MariaDB');
  let a: Connection;
  let b: Connection;
  let url: string;

  beforeAll(async () => {
    url = await database.create();
    a = await createConnection({ uri: url });
    b = await createConnection({ uri: url });
    await a.query('create table p (id int primary key) engine=innodb');
    await a.query('create table c (id int primary key, p int, foreign key (p) references p (id))');
    await a.query('insert into p values (1), (2)');
  });

  afterAll(async () => {
    await a?.end();
    await b?.end();
    await database.drop();
  });

  it('a deadlock is transient', async () => {
    await a.query('begin');
    await b.query('begin');
    await a.query('select * from p where id = 1 for update');
    await b.query('select * from p where id = 2 for update');
    const first = a.query('select * from p where id = 2 for update').catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await b
      .query('select * from p where id = 1 for update')
      .catch((e: unknown) => e);
    const outcomes = [await first, second];
    await a.query('rollback');
    await b.query('rollback');
    const victim = outcomes.find((o) => o instanceof Error);
    expect(victim).toMatchObject({ errno: 1213 });
    expect(profile.classifyError(victim)).toBe('transient');
  });

  it('a duplicate key is unique, a missing parent foreign-key, the rest other', async () => {
    expect(profile.classifyError(await caught(() => a.query('insert into p values (1)')))).toBe(
      'unique',
    );
    expect(profile.classifyError(await caught(() => a.query('insert into c values (1, 9)')))).toBe(
      'foreign-key',
    );
    expect(profile.classifyError(await caught(() => a.query('create table p (x int)')))).toBe(
      'exists',
    );
    expect(profile.classifyError(await caught(() => a.query('selec 1')))).toBe('other');
  });

  it('a connection killed mid-statement, or refused, is transient', async () => {
    const victim = await createConnection({ uri: url });
    const [[row]] = await victim.query<Array<{ id: number } & RowDataPacket>>(
      'select connection_id() as id',
    );
    const running = victim.query('select sleep(5)').catch((e: unknown) => e);
    await waitFor('the statement to run', async () => {
      const [rows] = await a.query<RowDataPacket[]>(
        'select id from information_schema.processlist where id = ? and info like ?',
        [row?.id, 'select sleep%'],
      );
      return rows.length > 0;
    });
    await a.query(`kill ${Number(row?.id)}`);
    const killed = await running;
    victim.destroy();
    expect(killed).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST' });
    expect(profile.classifyError(killed)).toBe('transient');
    // The same connection used again (a pool that handed it out before noticing its death):
    // mysql2 throws a fatal error with no code at all.
    const reused = await victim.query('select 1').catch((e: unknown) => e);
    expect(reused).toMatchObject({ fatal: true });
    expect(profile.classifyError(reused)).toBe('transient');

    const port = await freePort();
    const refused = await caught(() =>
      createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2_000 }),
    );
    expect(refused).toMatchObject({ code: 'ECONNREFUSED' });
    expect(profile.classifyError(refused)).toBe('transient');
  });

  it('reads capabilities off the version', () => {
    expect(mysqlFamilyProfile('10.5.1-MariaDB').supportsSkipLocked).toBe(false);
    expect(mysqlFamilyProfile('10.6.0-MariaDB').supportsSkipLocked).toBe(true);
    expect(mysqlFamilyProfile('8.0.36').supportsCreateIndexIfNotExists).toBe(false);
    expect(mysqlFamilyProfile('8.0.36').label).toBe('mysql');
  });
});

describe('SQLite errors as the sqlite profile classifies them', () => {
  let dir: string;
  let a: SqliteDatabase.Database;
  let b: SqliteDatabase.Database;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carillon-t-'));
    a = new SqliteDatabase(join(dir, 'x.db'), { timeout: 0 });
    b = new SqliteDatabase(join(dir, 'x.db'), { timeout: 0 });
    a.pragma('journal_mode = WAL');
    a.pragma('foreign_keys = ON');
    a.exec(
      'create table p (id integer primary key); create table c (id integer primary key, p integer references p (id))',
    );
    a.exec('insert into p values (1)');
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a busy database is transient', async () => {
    a.exec('begin immediate');
    const error = await caught(() => b.exec('begin immediate'));
    a.exec('rollback');
    expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(SQLITE_PROFILE.classifyError(error)).toBe('transient');
  });

  it('a duplicate key is unique, a missing parent foreign-key, the rest other', async () => {
    expect(
      SQLITE_PROFILE.classifyError(await caught(() => a.exec('insert into p values (1)'))),
    ).toBe('unique');
    expect(
      SQLITE_PROFILE.classifyError(await caught(() => a.exec('insert into c values (1, 9)'))),
    ).toBe('foreign-key');
    expect(SQLITE_PROFILE.classifyError(await caught(() => a.exec('create table p (x)')))).toBe(
      'exists',
    );
    expect(SQLITE_PROFILE.classifyError(await caught(() => a.exec('selec 1')))).toBe('other');
  });
});
