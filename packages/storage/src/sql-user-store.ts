import type { Selectable } from 'kysely';
import { CarillonError, CoreErrorCode, TokenKind, foldUsername } from '@carillon/core';
import type { ApiToken, NewApiToken, NewUser, User, UserStore } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import type { ApiTokensTable, UsersTable } from './schema.js';
import { affected, toInt, toIntOrNull } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import {
  STORE_LIMITS,
  checkInt,
  checkOneOf,
  checkCleanText,
  checkText,
  invalid,
  translateWriteError,
} from './validate.js';

function toUser(
  row: Pick<Selectable<UsersTable>, 'id' | 'username' | 'is_admin' | 'created_at'>,
): User {
  return {
    id: toInt(row.id),
    username: row.username,
    isAdmin: toInt(row.is_admin) === 1,
    createdAt: toInt(row.created_at),
  };
}

function toToken(row: Selectable<ApiTokensTable>): ApiToken {
  return {
    id: toInt(row.id),
    kind: row.kind as TokenKind,
    userId: toIntOrNull(row.user_id),
    groupId: row.group_id,
    name: row.name,
    createdAt: toInt(row.created_at),
    revokedAt: toIntOrNull(row.revoked_at),
  };
}

/**
 * {@link UserStore} over Kysely. Usernames are unique and found without regard to case (by a
 * case-folded key); they are kept and shown as typed.
 */
export class SqlUserStore implements UserStore {
  readonly #db: Db;
  readonly #profile: DatabaseProfile;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, profile: DatabaseProfile) {
    this.#db = db;
    this.#profile = profile;
  }

  /**
   * @throws CarillonError `CARILLON_CONFLICT` when the username is taken,
   *   `CARILLON_INVALID_ARGUMENT` for a username of 1..64 or a hash of 1..255 characters.
   */
  async create(user: NewUser, nowMs: number): Promise<User> {
    const username = checkCleanText('username', user.username, STORE_LIMITS.usernameMax);
    const row = {
      username,
      password_hash: checkText('passwordHash', user.passwordHash, STORE_LIMITS.passwordHashMax),
      is_admin: user.isAdmin ? 1 : 0,
      created_at: checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax),
    };
    try {
      const result = await this.#db
        .insertInto('users')
        .values({ ...row, username_key: foldUsername(username) })
        .executeTakeFirstOrThrow();
      return toUser({ ...row, id: toInt(result.insertId) });
    } catch (error) {
      throw translateWriteError(this.#profile, error, `user ${user.username}`);
    }
  }

  async get(id: number): Promise<User | undefined> {
    const row = await this.#db
      .selectFrom('users')
      .select(['id', 'username', 'is_admin', 'created_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  /**
   * By the username as typed, else by any case of it. (As typed first: a legacy user that
   * differed only in case from an older one has no key and signs in by its exact name.)
   */
  async findForLogin(username: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const row =
      (await this.#db
        .selectFrom('users')
        .selectAll()
        .where('username', '=', username)
        .executeTakeFirst()) ??
      (await this.#db
        .selectFrom('users')
        .selectAll()
        .where('username_key', '=', foldUsername(username))
        .executeTakeFirst());
    return row === undefined ? undefined : { user: toUser(row), passwordHash: row.password_hash };
  }

  /** By id. */
  async list(): Promise<readonly User[]> {
    const rows = await this.#db
      .selectFrom('users')
      .select(['id', 'username', 'is_admin', 'created_at'])
      .orderBy('id')
      .execute();
    return rows.map(toUser);
  }

  /** @throws CarillonError `CARILLON_NOT_FOUND` if the user does not exist. */
  async setPasswordHash(userId: number, passwordHash: string): Promise<void> {
    checkText('passwordHash', passwordHash, STORE_LIMITS.passwordHashMax);
    const result = await this.#db
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', userId)
      .executeTakeFirst();
    if (affected(result) === 0) {
      throw new CarillonError(CoreErrorCode.NotFound, `no user ${userId}`);
    }
  }

  /**
   * A `user` token needs `userId`, a `client` token `groupId`.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a missing owner or a bad field,
   *   `CARILLON_NOT_FOUND` if the user or group does not exist, `CARILLON_CONFLICT` if the secret
   *   hash is taken.
   */
  async createToken(token: NewApiToken, nowMs: number): Promise<ApiToken> {
    const kind = checkOneOf('kind', token.kind, Object.values(TokenKind));
    if (kind === TokenKind.User && token.userId === null)
      throw invalid('userId', 'a user token needs its user');
    if (kind === TokenKind.Client && token.groupId === null)
      throw invalid('groupId', 'a client token needs its group');
    const row = {
      kind,
      user_id:
        token.userId === null ? null : checkInt('userId', token.userId, 1, Number.MAX_SAFE_INTEGER),
      group_id:
        token.groupId === null
          ? null
          : checkText('groupId', token.groupId, STORE_LIMITS.groupIdMax),
      name: checkCleanText('name', token.name, STORE_LIMITS.tokenNameMax, 0),
      secret_hash: checkText('secretHash', token.secretHash, STORE_LIMITS.secretHashMax),
      created_at: checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax),
      revoked_at: null,
    };
    try {
      const result = await this.#db.insertInto('api_tokens').values(row).executeTakeFirstOrThrow();
      return toToken({ ...row, id: toInt(result.insertId) });
    } catch (error) {
      throw translateWriteError(this.#profile, error, `token ${token.name}`);
    }
  }

  async findToken(secretHash: string): Promise<ApiToken | undefined> {
    const row = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row === undefined ? undefined : toToken(row);
  }

  async findTokens(secretHashes: readonly string[]): Promise<ReadonlyMap<string, ApiToken>> {
    const found = new Map<string, ApiToken>();
    // Chunks keep the statement under SQLite's bound-parameter limit.
    for (let i = 0; i < secretHashes.length; i += 500) {
      const rows = await this.#db
        .selectFrom('api_tokens')
        .selectAll()
        .where('secret_hash', 'in', secretHashes.slice(i, i + 500))
        .where('revoked_at', 'is', null)
        .execute();
      for (const row of rows) found.set(row.secret_hash, toToken(row));
    }
    return found;
  }

  /** False if there is no such token or it was revoked already. */
  async revokeToken(id: number, nowMs: number): Promise<boolean> {
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    const result = await this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: nowMs })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return affected(result) === 1;
  }
}
