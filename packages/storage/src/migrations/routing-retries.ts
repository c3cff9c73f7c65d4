import type { ColumnDataType, Migration } from 'kysely';
import { DEFAULT_RETRY_POLICY } from '@carillon/core';
import type { DatabaseProfile } from '../database-profile.js';

// Step 0012: routing pins and per-job retry settings, for executions and for subtasks. The
// defaults are what servers did before (exponential from 1 s, no jitter, no pins), so jobs
// stored earlier behave as they did; the cap only shortens delays a timer could not hold.
const COLUMNS: ReadonlyArray<readonly [string, ColumnDataType, string | number]> = [
  ['route_labels', 'varchar(1040)', ''],
  ['route_room', 'varchar(256)', ''],
  ['retry_backoff', 'varchar(16)', DEFAULT_RETRY_POLICY.backoff],
  ['retry_delay_ms', 'bigint', DEFAULT_RETRY_POLICY.delayMs],
  ['retry_max_delay_ms', 'bigint', DEFAULT_RETRY_POLICY.maxDelayMs],
  ['retry_jitter', 'double precision', DEFAULT_RETRY_POLICY.jitter],
  ['subtask_max_retries', 'integer', 0],
  ['subtask_retry_backoff', 'varchar(16)', DEFAULT_RETRY_POLICY.backoff],
  ['subtask_retry_delay_ms', 'bigint', DEFAULT_RETRY_POLICY.delayMs],
  ['subtask_retry_max_delay_ms', 'bigint', DEFAULT_RETRY_POLICY.maxDelayMs],
  ['subtask_retry_jitter', 'double precision', DEFAULT_RETRY_POLICY.jitter],
];

export function routingRetries(profile: DatabaseProfile): Migration {
  return {
    async up(db) {
      // One column per statement (SQLite adds one at a time); MySQL commits each DDL statement
      // on its own, so a step cut short is run again and skips the columns already there.
      for (const [name, type, value] of COLUMNS) {
        try {
          await db.schema
            .alterTable('jobs')
            .addColumn(name, type, (c) => c.notNull().defaultTo(value))
            .execute();
        } catch (error) {
          if (profile.classifyError(error) !== 'exists') throw error;
        }
      }
    },
  };
}
