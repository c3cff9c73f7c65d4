import { sql } from 'kysely';
import type { Selectable } from 'kysely';
import type { ServerBeat, ServerRecord, ServerStore } from '@carillon/core';
import { registerServerGroup } from './cluster-registry.js';
import type { DatabaseProfile } from './database-profile.js';
import { withRetry } from './retry.js';
import type { ServersTable } from './schema.js';
import { toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import { STORE_LIMITS, checkInt, checkText } from './validate.js';

function toServer(row: Selectable<ServersTable>): ServerRecord {
  return {
    id: row.id,
    cluster: toInt(row.cluster),
    serverGroup: toInt(row.server_group),
    room: row.room,
    rpcAddress: row.rpc_address,
    lastSeenAt: toInt(row.last_seen_at),
  };
}

/** {@link ServerStore} over Kysely. */
export class SqlServerStore implements ServerStore {
  readonly #db: Db;
  readonly #profile: DatabaseProfile;
  /**
   * `cluster/serverGroup` pairs this store recorded: nothing deletes them, and a server upserts
   * its record every 100 ms (its heartbeat), which registering again cost two statements of
   * three.
   */
  readonly #registered = new Set<string>();

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, profile: DatabaseProfile) {
    this.#db = db;
    this.#profile = profile;
  }

  /**
   * Inserts or replaces the server's record, recording its cluster and ServerGroup if new. The
   * record's `lastSeenAt` (the caller's clock) also starts a run of beats; the next
   * {@link beat} restamps both on the database's clock if they are far from it.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for an id over 128, a room over 64 or an
   *   address over 255 characters.
   */
  async upsert(server: ServerRecord): Promise<void> {
    const row = {
      id: checkText('id', server.id, STORE_LIMITS.serverIdMax),
      cluster: checkInt('cluster', server.cluster, 1, 999_999_999),
      server_group: checkInt('serverGroup', server.serverGroup, 1, 999_999_999),
      room: checkText('room', server.room, STORE_LIMITS.roomMax, 0),
      rpc_address: checkText('rpcAddress', server.rpcAddress, STORE_LIMITS.rpcAddressMax, 0),
      last_seen_at: checkInt('lastSeenAt', server.lastSeenAt, 0, STORE_LIMITS.instantMax),
      beating_since: server.lastSeenAt,
    };
    const group = `${row.cluster}/${row.server_group}`;
    if (!this.#registered.has(group)) {
      await registerServerGroup(
        this.#db,
        this.#profile,
        row.cluster,
        row.server_group,
        row.last_seen_at,
      );
      this.#registered.add(group);
    }
    const changes = {
      cluster: row.cluster,
      server_group: row.server_group,
      room: row.room,
      rpc_address: row.rpc_address,
      last_seen_at: row.last_seen_at,
      beating_since: row.beating_since,
    };
    const insert = this.#db.insertInto('servers').values(row);
    const upsert =
      this.#profile.upsert === 'on-duplicate-key'
        ? insert.onDuplicateKeyUpdate(changes)
        : insert.onConflict((oc) => oc.column('id').doUpdateSet(changes));
    await withRetry(this.#db, this.#profile, () => upsert.execute());
  }

  async beat(id: string, breakMs: number): Promise<boolean> {
    const now = sql.raw<number>(this.#profile.nowMsSql);
    const gap = checkInt('breakMs', breakMs, 0, STORE_LIMITS.instantMax);
    // `beating_since` first: MySQL evaluates the assignments in order, each seeing the ones
    // before it, so it must read the previous `last_seen_at` (SQLite reads the old row for all).
    const result = await withRetry(this.#db, this.#profile, () =>
      this.#db
        .updateTable('servers')
        .set({
          beating_since: sql<number>`case when ${now} - last_seen_at > ${gap} or last_seen_at > ${now} then ${now} else beating_since end`,
          last_seen_at: now,
        })
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  async beats(cluster: number, serverGroup: number): Promise<readonly ServerBeat[]> {
    const rows = await this.#db
      .selectFrom('servers')
      .select(['id', 'last_seen_at', 'beating_since'])
      .where('cluster', '=', cluster)
      .where('server_group', '=', serverGroup)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      lastSeenAt: toInt(row.last_seen_at),
      beatingSince: toInt(row.beating_since),
    }));
  }

  /** By id. */
  async list(cluster: number, serverGroup?: number): Promise<readonly ServerRecord[]> {
    let query = this.#db.selectFrom('servers').selectAll().where('cluster', '=', cluster);
    if (serverGroup !== undefined) query = query.where('server_group', '=', serverGroup);
    const rows = await query.orderBy('id').execute();
    return rows.map(toServer);
  }

  async get(id: string): Promise<ServerRecord | undefined> {
    const row = await this.#db
      .selectFrom('servers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toServer(row);
  }
}
