import type {
  AlertDelivery,
  AlertDeliveryState,
  AlertRule,
  AlertStore,
  AlertTrigger,
  NewAlertRule,
} from '@carillon/core';
import { ALERT_TRIGGERS } from '@carillon/core';
import type { Selectable } from 'kysely';
import type { DatabaseProfile } from './database-profile.js';
import type { AlertDeliveriesTable, AlertRulesTable } from './schema.js';
import { affected, toInt, toIntOrNull } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import { STORE_LIMITS, checkInt, checkOneOf, checkText, checkTextOrNull } from './validate.js';

const ALERT_LIMITS = { nameMax: 128, targetMax: 2048, secretMax: 256, errorMax: 1024 } as const;

function toRule(r: Selectable<AlertRulesTable>): AlertRule {
  return {
    id: toInt(r.id),
    groupId: r.group_id,
    jobId: toIntOrNull(r.job_id),
    name: r.name,
    triggers: r.triggers.split(',').filter((t) => t !== '') as AlertTrigger[],
    channel: r.channel as AlertRule['channel'],
    target: r.target,
    secret: r.secret,
    minIntervalMs: toInt(r.min_interval_ms),
    enabled: toInt(r.enabled) === 1,
    createdAt: toInt(r.created_at),
    updatedAt: toInt(r.updated_at),
  };
}

function toDelivery(r: Selectable<AlertDeliveriesTable>): AlertDelivery {
  return {
    id: toInt(r.id),
    ruleId: toInt(r.rule_id),
    trigger: r.trigger_name as AlertDelivery['trigger'],
    jobId: toIntOrNull(r.job_id),
    executionId: r.execution_id,
    state: r.state as AlertDeliveryState,
    attempts: toInt(r.attempts),
    lastError: r.last_error,
    createdAt: toInt(r.created_at),
    finishedAt: toIntOrNull(r.finished_at),
  };
}

/** Over-long error texts are cut rather than refused: they come from remote peers. */
function clip(text: string | null): string | null {
  return text === null || text.length <= ALERT_LIMITS.errorMax
    ? text
    : `${text.slice(0, ALERT_LIMITS.errorMax - 1)}…`;
}

/** {@link AlertStore} over Kysely. */
export class SqlAlertStore implements AlertStore {
  readonly #db: Db;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, _profile: DatabaseProfile) {
    this.#db = db;
  }

  /** @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a value the columns cannot hold. */
  async createRule(rule: NewAlertRule, now: number): Promise<AlertRule> {
    const row = {
      group_id: checkText('groupId', rule.groupId, STORE_LIMITS.groupIdMax),
      job_id:
        rule.jobId === null ? null : checkInt('jobId', rule.jobId, 1, Number.MAX_SAFE_INTEGER),
      name: checkText('name', rule.name, ALERT_LIMITS.nameMax),
      triggers: rule.triggers.map((t) => checkOneOf('triggers', t, ALERT_TRIGGERS)).join(','),
      channel: checkOneOf('channel', rule.channel, ['webhook', 'email'] as const),
      target: checkText('target', rule.target, ALERT_LIMITS.targetMax),
      secret: checkTextOrNull('secret', rule.secret, ALERT_LIMITS.secretMax),
      min_interval_ms: checkInt('minIntervalMs', rule.minIntervalMs, 0, 7 * 24 * 3_600_000),
      enabled: rule.enabled ? 1 : 0,
      created_at: checkInt('now', now, 0, STORE_LIMITS.instantMax),
      updated_at: now,
    };
    const result = await this.#db.insertInto('alert_rules').values(row).executeTakeFirstOrThrow();
    return toRule({ ...row, id: toInt(result.insertId) });
  }

  async getRule(id: number): Promise<AlertRule | undefined> {
    const row = await this.#db
      .selectFrom('alert_rules')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toRule(row);
  }

  async listRules(groupId: string): Promise<readonly AlertRule[]> {
    const rows = await this.#db
      .selectFrom('alert_rules')
      .selectAll()
      .where('group_id', '=', groupId)
      .orderBy('id')
      .execute();
    return rows.map(toRule);
  }

  /** @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a value the columns cannot hold. */
  async updateRule(
    id: number,
    patch: Partial<Pick<AlertRule, 'name' | 'triggers' | 'minIntervalMs' | 'enabled'>>,
    now: number,
  ): Promise<AlertRule | undefined> {
    await this.#db
      .updateTable('alert_rules')
      .set({
        ...(patch.name === undefined
          ? {}
          : { name: checkText('name', patch.name, ALERT_LIMITS.nameMax) }),
        ...(patch.triggers === undefined
          ? {}
          : {
              triggers: patch.triggers
                .map((t) => checkOneOf('triggers', t, ALERT_TRIGGERS))
                .join(','),
            }),
        ...(patch.minIntervalMs === undefined
          ? {}
          : {
              min_interval_ms: checkInt(
                'minIntervalMs',
                patch.minIntervalMs,
                0,
                7 * 24 * 3_600_000,
              ),
            }),
        ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
        updated_at: checkInt('now', now, 0, STORE_LIMITS.instantMax),
      })
      .where('id', '=', id)
      .execute();
    return this.getRule(id);
  }

  async deleteRule(id: number): Promise<boolean> {
    await this.#db.deleteFrom('alert_deliveries').where('rule_id', '=', id).execute();
    return (
      affected(await this.#db.deleteFrom('alert_rules').where('id', '=', id).executeTakeFirst()) > 0
    );
  }

  async recordDelivery(delivery: Omit<AlertDelivery, 'id'>): Promise<AlertDelivery> {
    const row = {
      rule_id: delivery.ruleId,
      trigger_name: delivery.trigger,
      job_id: delivery.jobId,
      execution_id: delivery.executionId,
      state: delivery.state,
      attempts: delivery.attempts,
      last_error: clip(delivery.lastError),
      created_at: delivery.createdAt,
      finished_at: delivery.finishedAt,
    };
    const result = await this.#db
      .insertInto('alert_deliveries')
      .values(row)
      .executeTakeFirstOrThrow();
    return toDelivery({ ...row, id: toInt(result.insertId) });
  }

  async updateDelivery(
    id: number,
    patch: {
      readonly state: AlertDeliveryState;
      readonly attempts: number;
      readonly lastError: string | null;
      readonly finishedAt: number | null;
    },
  ): Promise<void> {
    await this.#db
      .updateTable('alert_deliveries')
      .set({
        state: patch.state,
        attempts: patch.attempts,
        last_error: clip(patch.lastError),
        finished_at: patch.finishedAt,
      })
      .where('id', '=', id)
      .execute();
  }

  async listDeliveries(ruleId: number, limit: number): Promise<readonly AlertDelivery[]> {
    checkInt('limit', limit, 1, 1000);
    const rows = await this.#db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('rule_id', '=', ruleId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }
}
