import { sql } from 'kysely';
import type { Migration } from 'kysely';
import type { DatabaseProfile } from '../database-profile.js';
import { index, table } from './schema-builders.js';

// The first four steps (0001–0004): the directory, jobs, executions and the job change feed.

export function directory(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      await table(db, profile, 'clusters')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('last_group_number', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await table(db, profile, 'server_groups')
        .addColumn('cluster', 'integer', (c) => c.notNull())
        .addColumn('id', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('server_groups_pk', ['cluster', 'id'])
        .execute();
      await table(db, profile, 'servers')
        .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('cluster', 'integer', (c) => c.notNull())
        .addColumn('server_group', 'integer', (c) => c.notNull())
        .addColumn('room', 'varchar(64)', (c) => c.notNull())
        .addColumn('rpc_address', 'varchar(255)', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .execute();
      await index(db, profile, 'servers_by_group', 'servers', ['cluster', 'server_group']);
      await table(db, profile, 'task_groups')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('cluster', 'integer', (c) => c.notNull())
        .addColumn('server_group', 'integer', (c) => c.notNull())
        .addColumn('backups', 'integer', (c) => c.notNull())
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('task_groups_cluster_number', ['cluster', 'number'])
        .execute();
      await table(db, profile, 'users')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('is_admin', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await table(db, profile, 'group_permissions')
        .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addPrimaryKeyConstraint('group_permissions_pk', ['group_id', 'user_id'])
        .addForeignKeyConstraint(
          'group_permissions_group',
          ['group_id'],
          'task_groups',
          ['id'],
          (fk) => fk.onDelete('cascade'),
        )
        .addForeignKeyConstraint('group_permissions_user', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await index(db, profile, 'group_permissions_by_user', 'group_permissions', ['user_id']);
      await table(db, profile, 'api_tokens')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('user_id', 'integer')
        .addColumn('group_id', 'varchar(64)')
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('secret_hash', 'varchar(128)', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .addForeignKeyConstraint('api_tokens_user', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .addForeignKeyConstraint('api_tokens_group', ['group_id'], 'task_groups', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await table(db, profile, 'audit_events')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('actor', 'varchar(128)', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('target', 'varchar(255)', (c) => c.notNull())
        .addColumn('detail', sql.raw(profile.largeTextType))
        .execute();
    },
  };
}

export function jobs(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      await table(db, profile, 'jobs')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('description', 'varchar(1024)', (c) => c.notNull())
        .addColumn('trigger_type', 'varchar(16)', (c) => c.notNull())
        .addColumn('cron', 'varchar(256)')
        .addColumn('time_zone', 'varchar(64)')
        .addColumn('handler', 'varchar(128)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('param', sql.raw(profile.largeTextType))
        .addColumn('routing', 'varchar(16)', (c) => c.notNull())
        .addColumn('overlap', 'varchar(16)', (c) => c.notNull())
        .addColumn('misfire', 'varchar(16)', (c) => c.notNull())
        .addColumn('timeout_ms', 'bigint', (c) => c.notNull())
        .addColumn('max_retries', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addForeignKeyConstraint('jobs_group', ['group_id'], 'task_groups', ['id'])
        .execute();
      await index(db, profile, 'jobs_by_group', 'jobs', ['group_id', 'status']);
      await table(db, profile, 'job_holders')
        .addColumn('job_id', 'integer', (c) => c.notNull())
        .addColumn('server_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('job_holders_pk', ['job_id', 'server_id'])
        .addForeignKeyConstraint('job_holders_job', ['job_id'], 'jobs', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await index(db, profile, 'job_holders_by_server', 'job_holders', ['server_id', 'job_id']);
    },
  };
}

export function executions(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      await table(db, profile, 'executions')
        .addColumn('id', 'char(36)', (c) => c.primaryKey())
        .addColumn('job_id', 'integer', (c) => c.notNull())
        .addColumn('group_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('scheduled_at', 'bigint', (c) => c.notNull())
        .addColumn('scheduled_fire', 'bigint')
        .addColumn('cause', 'varchar(16)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('owner_server_id', 'varchar(128)')
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('param', sql.raw(profile.largeTextType))
        .addColumn('client_id', 'varchar(128)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('dispatched_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('result', sql.raw(profile.largeTextType))
        .addColumn('reason', 'text')
        .addColumn('progress', 'double precision')
        .addColumn('cancel_requested_at', 'bigint')
        // The guarantee against a double fire: one row per (job, scheduled instant).
        .addUniqueConstraint('executions_fire', ['job_id', 'scheduled_fire'])
        // No foreign key to jobs on this, the hottest insert path: it cost a third of the claim
        // rate on MariaDB and share-locks the job row under every claim. Jobs are never
        // deleted (only marked), and claims name jobs read from the store.
        .execute();
      await index(db, profile, 'executions_job_page', 'executions', [
        'job_id',
        'scheduled_at',
        'id',
      ]);
      await index(db, profile, 'executions_job_state', 'executions', ['job_id', 'state']);
      await index(db, profile, 'executions_owner_state', 'executions', [
        'owner_server_id',
        'state',
      ]);
      await index(db, profile, 'executions_group_page', 'executions', [
        'group_id',
        'scheduled_at',
        'id',
      ]);
      await index(db, profile, 'executions_page', 'executions', ['scheduled_at', 'id']);
      await table(db, profile, 'execution_logs')
        .addColumn('execution_id', 'char(36)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('level', 'varchar(8)', (c) => c.notNull())
        .addColumn('message', sql.raw(profile.largeTextType), (c) => c.notNull())
        .addPrimaryKeyConstraint('execution_logs_pk', ['execution_id', 'seq'])
        .addForeignKeyConstraint(
          'execution_logs_execution',
          ['execution_id'],
          'executions',
          ['id'],
          (fk) => fk.onDelete('cascade'),
        )
        .execute();
      await table(db, profile, 'subtasks')
        .addColumn('id', 'char(36)', (c) => c.primaryKey())
        .addColumn('execution_id', 'char(36)', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('payload', sql.raw(profile.largeTextType), (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('client_id', 'varchar(128)')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('dispatched_at', 'bigint')
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('result', sql.raw(profile.largeTextType))
        .addColumn('reason', 'text')
        .addUniqueConstraint('subtasks_position', ['execution_id', 'seq'])
        .addForeignKeyConstraint(
          'subtasks_execution',
          ['execution_id'],
          'executions',
          ['id'],
          (fk) => fk.onDelete('cascade'),
        )
        .execute();
      await index(db, profile, 'subtasks_by_state', 'subtasks', ['execution_id', 'state']);
    },
  };
}

/**
 * A change sequence for jobs: every job write takes the next number from a one-row counter and
 * stamps the job with it, so that a server asks "what changed since n" instead of reading all
 * of its jobs again.
 */
export function jobChanges(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      try {
        await db.schema
          .alterTable('jobs')
          .addColumn('change_seq', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
      } catch (error) {
        if (profile.classifyError(error) !== 'exists') throw error;
      }
      await index(db, profile, 'jobs_by_change', 'jobs', ['change_seq']);
      await table(db, profile, 'job_change_counter')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      const present = await db
        .selectFrom('job_change_counter')
        .select('id')
        .where('id', '=', 1)
        .executeTakeFirst();
      if (present === undefined)
        await db.insertInto('job_change_counter').values({ id: 1, value: 0 }).execute();
    },
  };
}
