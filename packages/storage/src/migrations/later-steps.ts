import type { Migration } from 'kysely';
import { DEFAULT_DISPATCH_TIMEOUT_MS, foldUsername } from '@carillon/core';
import type { DatabaseProfile } from '../database-profile.js';
import { index, table } from './schema-builders.js';

// Steps 0005 on, one per feature: user names without case, the dispatch timeout, browser
// sessions, alerts, the client-lost policy. Numbers have gaps (work landed in parallel).

export function sessions(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      await table(db, profile, 'sessions')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull().unique())
        .addColumn('csrf_token', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('idle_ms', 'bigint', (c) => c.notNull())
        .addColumn('address', 'varchar(64)', (c) => c.notNull())
        .addColumn('user_agent', 'varchar(255)', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addForeignKeyConstraint('sessions_user', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await index(db, profile, 'sessions_by_user', 'sessions', ['user_id']);
      await table(db, profile, 'sign_in_failures')
        .addColumn('throttle_key', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * User names unique without regard to case: a case-folded copy of each, under a unique index.
 * Where users already differ only in case, the oldest gets the key; the others keep a null key
 * (a unique index allows many) and sign in by their exact name until an admin renames them.
 */
export function usernameKeys(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      try {
        // A fold can be longer than the name (ß becomes ss): three times covers every case.
        await db.schema.alterTable('users').addColumn('username_key', 'varchar(192)').execute();
      } catch (error) {
        if (profile.classifyError(error) !== 'exists') throw error;
      }
      const rows = (await db
        .selectFrom('users')
        .select(['id', 'username', 'username_key'])
        .orderBy('id')
        .execute()) as Array<{ id: number; username: string; username_key: string | null }>;
      const taken = new Set(rows.flatMap((r) => (r.username_key === null ? [] : [r.username_key])));
      for (const row of rows) {
        if (row.username_key !== null) continue;
        const key = foldUsername(row.username);
        if (taken.has(key)) continue;
        taken.add(key);
        await db.updateTable('users').set({ username_key: key }).where('id', '=', row.id).execute();
      }
      await index(db, profile, 'users_by_username_key', 'users', ['username_key'], true);
    },
  };
}

export function dispatchTimeout(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      try {
        await db.schema
          .alterTable('jobs')
          .addColumn('dispatch_timeout_ms', 'integer', (c) =>
            c.notNull().defaultTo(DEFAULT_DISPATCH_TIMEOUT_MS),
          )
          .execute();
      } catch (error) {
        if (profile.classifyError(error) !== 'exists') throw error;
      }
    },
  };
}

export function alerts(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      await table(db, profile, 'alert_rules')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('job_id', 'bigint')
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('triggers', 'varchar(128)', (c) => c.notNull())
        .addColumn('channel', 'varchar(16)', (c) => c.notNull())
        .addColumn('target', 'varchar(2048)', (c) => c.notNull())
        .addColumn('secret', 'varchar(256)')
        .addColumn('min_interval_ms', 'bigint', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await index(db, profile, 'alert_rules_group', 'alert_rules', ['group_id']);
      await table(db, profile, 'alert_deliveries')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('rule_id', 'integer', (c) => c.notNull())
        .addColumn('trigger_name', 'varchar(16)', (c) => c.notNull())
        .addColumn('job_id', 'bigint')
        .addColumn('execution_id', 'varchar(64)')
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'varchar(1024)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .execute();
      await index(db, profile, 'alert_deliveries_rule', 'alert_deliveries', ['rule_id', 'id']);
    },
  };
}

export function onClientLost(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      try {
        await db.schema
          .alterTable('jobs')
          .addColumn('on_client_lost', 'varchar(16)', (c) => c.notNull().defaultTo('retry'))
          .execute();
      } catch (error) {
        if (profile.classifyError(error) !== 'exists') throw error;
      }
    },
  };
}
