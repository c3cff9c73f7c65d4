import type { Selectable } from 'kysely';
import { GroupRole, formatTaskGroupId, taskGroupId } from '@carillon/core';
import type { GroupStore, NewTaskGroup, TaskGroup } from '@carillon/core';
import { registerServerGroup } from './cluster-registry.js';
import type { DatabaseProfile } from './database-profile.js';
import { withRetry } from './retry.js';
import type { TaskGroupsTable } from './schema.js';
import { affected, inTransaction, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import {
  STORE_LIMITS,
  checkCleanText,
  checkInt,
  checkOneOf,
  translateWriteError,
} from './validate.js';

const ROLES = Object.values(GroupRole);

function toGroup(row: Selectable<TaskGroupsTable>): TaskGroup {
  return {
    id: row.id,
    cluster: toInt(row.cluster),
    serverGroup: toInt(row.server_group),
    backups: toInt(row.backups),
    number: toInt(row.number),
    name: row.name,
    createdAt: toInt(row.created_at),
  };
}

/**
 * {@link GroupStore} over Kysely. Group numbers come from a per-cluster counter in `clusters`,
 * so a number is never handed out twice, not even after its group was deleted (old tokens and
 * permissions named it).
 */
export class SqlGroupStore implements GroupStore {
  readonly #db: Db;
  readonly #profile: DatabaseProfile;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, profile: DatabaseProfile) {
    this.#db = db;
    this.#profile = profile;
  }

  /**
   * Creates a group with the cluster's next number (the first is 1), recording the cluster and
   * ServerGroup if new. Concurrent creators queue on the cluster's counter row.
   *
   * @throws CarillonError `CARILLON_INVALID_TASK_GROUP_ID` for a segment out of range,
   *   `CARILLON_INVALID_ARGUMENT` for a bad name.
   */
  async create(group: NewTaskGroup, nowMs: number): Promise<TaskGroup> {
    const { cluster, serverGroup, backups } = taskGroupId({
      cluster: group.cluster,
      serverGroup: group.serverGroup,
      backups: group.backups,
      number: 1,
    });
    const name = checkCleanText('name', group.name, STORE_LIMITS.groupNameMax);
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    await registerServerGroup(this.#db, this.#profile, cluster, serverGroup, nowMs);
    return withRetry(this.#db, this.#profile, () =>
      inTransaction(this.#db, async (trx) => {
        await trx
          .updateTable('clusters')
          .set((eb) => ({ last_group_number: eb('last_group_number', '+', 1) }))
          .where('id', '=', cluster)
          .execute();
        const counter = await trx
          .selectFrom('clusters')
          .select('last_group_number')
          .where('id', '=', cluster)
          .executeTakeFirstOrThrow();
        const number = toInt(counter.last_group_number);
        const id = formatTaskGroupId(taskGroupId({ cluster, serverGroup, backups, number }));
        const row = {
          id,
          cluster,
          server_group: serverGroup,
          backups,
          number,
          name,
          created_at: nowMs,
        };
        await trx.insertInto('task_groups').values(row).execute();
        return toGroup(row);
      }),
    );
  }

  async get(id: string): Promise<TaskGroup | undefined> {
    const row = await this.#db
      .selectFrom('task_groups')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toGroup(row);
  }

  /** By cluster, then number. */
  async list(): Promise<readonly TaskGroup[]> {
    const rows = await this.#db
      .selectFrom('task_groups')
      .selectAll()
      .orderBy('cluster')
      .orderBy('number')
      .execute();
    return rows.map(toGroup);
  }

  /**
   * Deletes the group with its permissions and client tokens.
   *
   * @throws CarillonError `CARILLON_CONFLICT` while jobs (even deleted ones) still belong to it.
   */
  async delete(id: string): Promise<boolean> {
    try {
      const result = await this.#db
        .deleteFrom('task_groups')
        .where('id', '=', id)
        .executeTakeFirst();
      return affected(result) > 0;
    } catch (error) {
      throw translateWriteError(this.#profile, error, `task group ${id}`, true);
    }
  }

  /** @throws CarillonError `CARILLON_NOT_FOUND` if the group or the user does not exist. */
  async grant(groupId: string, userId: number, role: GroupRole): Promise<void> {
    checkOneOf('role', role, ROLES);
    const insert = this.#db
      .insertInto('group_permissions')
      .values({ group_id: groupId, user_id: userId, role });
    const upsert =
      this.#profile.upsert === 'on-duplicate-key'
        ? insert.onDuplicateKeyUpdate({ role })
        : insert.onConflict((oc) => oc.columns(['group_id', 'user_id']).doUpdateSet({ role }));
    try {
      await withRetry(this.#db, this.#profile, () => upsert.execute());
    } catch (error) {
      throw translateWriteError(this.#profile, error, `permission on ${groupId}`);
    }
  }

  async revoke(groupId: string, userId: number): Promise<void> {
    await this.#db
      .deleteFrom('group_permissions')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .execute();
  }

  async roleOf(groupId: string, userId: number): Promise<GroupRole | undefined> {
    const row = await this.#db
      .selectFrom('group_permissions')
      .select('role')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row === undefined ? undefined : (row.role as GroupRole);
  }

  async rolesOf(userId: number): Promise<ReadonlyMap<string, GroupRole>> {
    const rows = await this.#db
      .selectFrom('group_permissions')
      .select(['group_id', 'role'])
      .where('user_id', '=', userId)
      .orderBy('group_id')
      .execute();
    return new Map(rows.map((r) => [r.group_id, r.role as GroupRole]));
  }
}
