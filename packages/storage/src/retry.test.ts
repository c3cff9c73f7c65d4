import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import type { Connection } from './connect.js';
import { StorageErrorCode } from './errors.js';
import { TRANSIENT_ATTEMPTS, withRetry } from './retry.js';

// A real SQLITE_BUSY: `holder` keeps the write lock while `writer` (no busy timeout) writes.
describe('withRetry', () => {
  let dir: string;
  let holder: SqliteDatabase.Database;
  let writer: SqliteDatabase.Database;
  let kysely: Connection;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carillon-retry-'));
    const file = join(dir, 'r.db');
    holder = new SqliteDatabase(file, { timeout: 0 });
    holder.pragma('journal_mode = WAL');
    holder.exec('create table t (n integer)');
    writer = new SqliteDatabase(file, { timeout: 0 });
    kysely = await connect({ url: 'sqlite::memory:' });
  });

  afterAll(async () => {
    await kysely?.db.destroy();
    holder?.close();
    writer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('tries a transient failure again until it succeeds', async () => {
    holder.exec('begin immediate');
    let attempts = 0;
    const result = await withRetry(kysely.db, kysely.profile, () => {
      attempts++;
      if (attempts === 3) holder.exec('commit');
      writer.exec('insert into t values (1)');
      return Promise.resolve('written');
    });
    expect(result).toBe('written');
    expect(attempts).toBe(3);
  });

  it('gives up after a bounded number of attempts, with the cause', async () => {
    holder.exec('begin immediate');
    let attempts = 0;
    const error = await withRetry(kysely.db, kysely.profile, () => {
      attempts++;
      writer.exec('insert into t values (2)');
      return Promise.resolve();
    }).catch((e: unknown) => e);
    holder.exec('rollback');
    expect(attempts).toBe(TRANSIENT_ATTEMPTS);
    expect(error).toMatchObject({
      code: StorageErrorCode.Contended,
      cause: expect.objectContaining({ code: 'SQLITE_BUSY' }) as unknown,
    });
  });

  it('does not retry inside a transaction, nor errors that are not transient', async () => {
    holder.exec('begin immediate');
    let attempts = 0;
    const error = await kysely.db
      .transaction()
      .execute((trx) =>
        withRetry(trx, kysely.profile, () => {
          attempts++;
          writer.exec('insert into t values (3)');
          return Promise.resolve();
        }),
      )
      .catch((e: unknown) => e);
    holder.exec('rollback');
    expect(attempts).toBe(1);
    expect(error).toMatchObject({ code: 'SQLITE_BUSY' });

    let plain = 0;
    await expect(
      withRetry(kysely.db, kysely.profile, () => {
        plain++;
        writer.exec('insert into missing values (1)');
        return Promise.resolve();
      }),
    ).rejects.toMatchObject({ code: 'SQLITE_ERROR' });
    expect(plain).toBe(1);
  });
});
