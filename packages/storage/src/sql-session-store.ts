import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { NewSession, Session, SessionStore, SignInFailures } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import type { SessionsTable } from './schema.js';
import { affected, toInt, toIntOrNull } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import { STORE_LIMITS, checkInt, checkText, translateWriteError } from './validate.js';

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    id: toInt(row.id),
    userId: toInt(row.user_id),
    createdAt: toInt(row.created_at),
    lastSeenAt: toInt(row.last_seen_at),
    expiresAt: toInt(row.expires_at),
    idleMs: toInt(row.idle_ms),
    address: row.address,
    userAgent: row.user_agent,
    csrfToken: row.csrf_token,
    revokedAt: toIntOrNull(row.revoked_at),
  };
}

/** {@link SessionStore} over Kysely. */
export class SqlSessionStore implements SessionStore {
  readonly #db: Db;
  readonly #profile: DatabaseProfile;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, profile: DatabaseProfile) {
    this.#db = db;
    this.#profile = profile;
  }

  /**
   * Address and user agent are cut to their column sizes (they only label the session).
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a bad field, `CARILLON_NOT_FOUND` if
   *   the user does not exist.
   */
  async create(session: NewSession, nowMs: number): Promise<Session> {
    const row = {
      user_id: checkInt('userId', session.userId, 1, Number.MAX_SAFE_INTEGER),
      secret_hash: checkText('secretHash', session.secretHash, STORE_LIMITS.secretHashMax),
      csrf_token: checkText('csrfToken', session.csrfToken, 128),
      created_at: checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax),
      last_seen_at: nowMs,
      expires_at: checkInt('expiresAt', session.expiresAt, 0, STORE_LIMITS.instantMax),
      idle_ms: checkInt('idleMs', session.idleMs, 1, STORE_LIMITS.instantMax),
      address: session.address.slice(0, 64),
      user_agent: session.userAgent.slice(0, 255),
      revoked_at: null,
    };
    try {
      const result = await this.#db.insertInto('sessions').values(row).executeTakeFirstOrThrow();
      return toSession({ ...row, id: toInt(result.insertId) });
    } catch (error) {
      throw translateWriteError(this.#profile, error, `session of user ${session.userId}`);
    }
  }

  async findBySecret(secretHash: string): Promise<Session | undefined> {
    const row = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row === undefined ? undefined : toSession(row);
  }

  async get(id: number): Promise<Session | undefined> {
    const row = await this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toSession(row);
  }

  async touch(id: number, nowMs: number): Promise<void> {
    await this.#db
      .updateTable('sessions')
      .set({ last_seen_at: nowMs })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .where('last_seen_at', '<', nowMs)
      .execute();
  }

  async listActive(userId: number | undefined, nowMs: number): Promise<readonly Session[]> {
    let query = this.#db
      .selectFrom('sessions')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', nowMs)
      .where(sql<boolean>`last_seen_at + idle_ms > ${nowMs}`);
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    const rows = await query.orderBy('id', 'desc').limit(1000).execute();
    return rows.map(toSession);
  }

  async revoke(id: number, nowMs: number): Promise<boolean> {
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    const result = await this.#db
      .updateTable('sessions')
      .set({ revoked_at: nowMs })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return affected(result) === 1;
  }

  async prune(endedBeforeMs: number): Promise<number> {
    checkInt('endedBeforeMs', endedBeforeMs, 0, STORE_LIMITS.instantMax);
    const sessions = await this.#db
      .deleteFrom('sessions')
      .where((eb) =>
        eb.or([eb('expires_at', '<', endedBeforeMs), eb('revoked_at', '<', endedBeforeMs)]),
      )
      .executeTakeFirst();
    const failures = await this.#db
      .deleteFrom('sign_in_failures')
      .where('last_failure_at', '<', endedBeforeMs)
      .executeTakeFirst();
    return Number(sessions.numDeletedRows) + Number(failures.numDeletedRows);
  }

  async failuresOf(key: string): Promise<SignInFailures | undefined> {
    const row = await this.#db
      .selectFrom('sign_in_failures')
      .select(['failures', 'last_failure_at'])
      .where('throttle_key', '=', key)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { failures: toInt(row.failures), lastFailureAt: toInt(row.last_failure_at) };
  }

  async recordFailure(key: string, nowMs: number): Promise<void> {
    const throttleKey = checkText('key', key, 255);
    const insert = this.#db
      .insertInto('sign_in_failures')
      .values({ throttle_key: throttleKey, failures: 1, last_failure_at: nowMs });
    const update = {
      failures: sql<number>`failures + 1`,
      last_failure_at: nowMs,
    };
    await (
      this.#profile.upsert === 'on-duplicate-key'
        ? insert.onDuplicateKeyUpdate(update)
        : insert.onConflict((oc) => oc.column('throttle_key').doUpdateSet(update))
    ).execute();
  }

  async clearFailures(key: string): Promise<void> {
    await this.#db.deleteFrom('sign_in_failures').where('throttle_key', '=', key).execute();
  }
}
