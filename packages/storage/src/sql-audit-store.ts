import type { AuditEvent, AuditStore } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import { toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import { STORE_LIMITS, checkBytesOrNull, checkInt, checkText } from './validate.js';

/** {@link AuditStore} over Kysely: an append-only table, newest first by id. */
export class SqlAuditStore implements AuditStore {
  readonly #db: Db;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, _profile: DatabaseProfile) {
    this.#db = db;
  }

  /**
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for an actor over 128, an action over 64,
   *   a target over 255 characters or a detail over 64 KiB.
   */
  async append(event: Omit<AuditEvent, 'id'>): Promise<void> {
    await this.#db
      .insertInto('audit_events')
      .values({
        at: checkInt('at', event.at, 0, STORE_LIMITS.instantMax),
        actor: checkText('actor', event.actor, STORE_LIMITS.actorMax),
        action: checkText('action', event.action, STORE_LIMITS.actionMax),
        target: checkText('target', event.target, STORE_LIMITS.targetMax, 0),
        detail: checkBytesOrNull('detail', event.detail, STORE_LIMITS.detailMaxBytes),
      })
      .execute();
  }

  /**
   * Newest first, at most `limit` (1..1,000), before the event `beforeId` when given.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a limit out of range.
   */
  async list(limit: number, beforeId?: number): Promise<readonly AuditEvent[]> {
    checkInt('limit', limit, 1, 1000);
    let query = this.#db.selectFrom('audit_events').selectAll();
    if (beforeId !== undefined) query = query.where('id', '<', beforeId);
    const rows = await query.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: toInt(r.id),
      at: toInt(r.at),
      actor: r.actor,
      action: r.action,
      target: r.target,
      detail: r.detail,
    }));
  }
}
