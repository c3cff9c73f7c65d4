import { CarillonError, CoreErrorCode, LogLevel } from '@carillon/core';
import type { ExecutionLog, LogLine } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import { inAppendTransaction, insertSequenced } from './sequenced-insert.js';
import type { SequencedRow } from './sequenced-insert.js';
import { chunkBySize, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import { STORE_LIMITS, checkInt, checkOneOf, checkUuid } from './validate.js';

const LOG_LEVELS = Object.values(LogLevel);
const LINES_PER_STATEMENT = 500;
const BYTES_PER_STATEMENT = 4 * 1024 * 1024;

/**
 * Locks the rows of `executionIds` (in id order, so that two batches cannot lock them in
 * opposite orders) and returns the ids that exist. Where the database locks rows, appenders of
 * one execution thus queue behind each other instead of computing the same `seq`.
 */
export async function lockExecutions(
  trx: Db,
  profile: DatabaseProfile,
  executionIds: readonly string[],
): Promise<ReadonlySet<string>> {
  let query = trx
    .selectFrom('executions')
    .select('id')
    .where('id', 'in', [...executionIds].sort())
    .orderBy('id');
  if (profile.supportsRowLocks) query = query.forUpdate();
  const rows = await query.execute();
  return new Set(rows.map((r) => r.id));
}

function cut(message: string): string {
  return message.length <= STORE_LIMITS.logMessageMax
    ? message
    : `${message.slice(0, STORE_LIMITS.logMessageMax - 1)}…`;
}

/**
 * Appends log lines, numbering them per execution after the lines it has, in the order given.
 * Messages longer than `STORE_LIMITS.logMessageMax` are cut (ending in `…`).
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a malformed line,
 *   `CARILLON_NOT_FOUND` when an execution does not exist (nothing of the batch is written).
 */
export async function appendLogs(
  db: Db,
  profile: DatabaseProfile,
  lines: readonly LogLine[],
): Promise<void> {
  if (lines.length === 0) return;
  const rows: SequencedRow[] = lines.map((line, i) => ({
    parentId: checkUuid(`lines[${i}].executionId`, line.executionId),
    values: [
      checkInt(`lines[${i}].at`, line.at, 0, STORE_LIMITS.instantMax),
      checkOneOf(`lines[${i}].level`, line.level, LOG_LEVELS),
      typeof line.message === 'string' ? cut(line.message) : '',
    ],
  }));
  const executionIds = [...new Set(rows.map((r) => r.parentId))];
  const write = async (trx: Db): Promise<void> => {
    const existing = await lockExecutions(trx, profile, executionIds);
    const missing = executionIds.filter((id) => !existing.has(id));
    if (missing.length > 0) {
      throw new CarillonError(CoreErrorCode.NotFound, `no execution ${missing.join(', ')}`, {
        details: { executionId: missing[0] ?? '' },
      });
    }
    const runs = chunkBySize(rows, LINES_PER_STATEMENT, BYTES_PER_STATEMENT, (r) =>
      typeof r.values[2] === 'string' ? r.values[2].length * 3 + 64 : 64,
    );
    for (const run of runs) {
      await insertSequenced(
        trx,
        profile,
        {
          table: 'execution_logs',
          parentColumn: 'execution_id',
          columns: ['at', 'level', 'message'],
          skipDuplicates: false,
        },
        run,
      );
    }
  };
  await inAppendTransaction(db, profile, write);
}

/**
 * Log lines of an execution in order, after `afterSeq` (exclusive, default 0), at most `limit`
 * (1..10,000, default 1,000).
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a bad id or range.
 */
export async function listLogs(
  db: Db,
  executionId: string,
  afterSeq = 0,
  limit = 1000,
): Promise<readonly ExecutionLog[]> {
  checkUuid('executionId', executionId);
  checkInt('afterSeq', afterSeq, 0, Number.MAX_SAFE_INTEGER);
  checkInt('limit', limit, 1, 10_000);
  const rows = await db
    .selectFrom('execution_logs')
    .selectAll()
    .where('execution_id', '=', executionId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    executionId: r.execution_id,
    seq: toInt(r.seq),
    at: toInt(r.at),
    level: r.level as LogLevel,
    message: r.message,
  }));
}
