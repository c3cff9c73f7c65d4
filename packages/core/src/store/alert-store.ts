import type { AlertDelivery, AlertDeliveryState, AlertRule, NewAlertRule } from '../alert.js';

/** Alert rules and the record of their deliveries. */
export interface AlertStore {
  createRule(rule: NewAlertRule, now: number): Promise<AlertRule>;
  getRule(id: number): Promise<AlertRule | undefined>;
  /** Every rule of a group (job rules included), oldest first. */
  listRules(groupId: string): Promise<readonly AlertRule[]>;
  /** Changes a rule's name, triggers, rate limit or enabled flag; undefined when there is no such rule. */
  updateRule(
    id: number,
    patch: Partial<Pick<AlertRule, 'name' | 'triggers' | 'minIntervalMs' | 'enabled'>>,
    now: number,
  ): Promise<AlertRule | undefined>;
  /** True when a rule was deleted; its deliveries go with it. */
  deleteRule(id: number): Promise<boolean>;
  recordDelivery(delivery: Omit<AlertDelivery, 'id'>): Promise<AlertDelivery>;
  updateDelivery(
    id: number,
    patch: {
      readonly state: AlertDeliveryState;
      readonly attempts: number;
      readonly lastError: string | null;
      readonly finishedAt: number | null;
    },
  ): Promise<void>;
  /** Newest first, at most `limit`. */
  listDeliveries(ruleId: number, limit: number): Promise<readonly AlertDelivery[]>;
}
