/** What raises an alert: an execution failed or timed out, an instant was missed, no client took a fire. */
export const AlertTrigger = {
  Failed: 'failed',
  TimedOut: 'timed_out',
  Missed: 'missed',
  NoClient: 'no_client',
} as const;
export type AlertTrigger = (typeof AlertTrigger)[keyof typeof AlertTrigger];

/** Every alert trigger. */
export const ALERT_TRIGGERS: readonly AlertTrigger[] = Object.values(AlertTrigger);

/** How an alert is delivered: a signed JSON webhook, or e-mail through SMTP. */
export const AlertChannel = { Webhook: 'webhook', Email: 'email' } as const;
export type AlertChannel = (typeof AlertChannel)[keyof typeof AlertChannel];

/**
 * An alert rule of a task group, or of one job of it (`jobId`): on any of `triggers`, deliver
 * through `channel` to `target` (a URL, or comma-separated e-mail addresses), at most once per
 * `minIntervalMs` (more are recorded as suppressed).
 */
export interface AlertRule {
  readonly id: number;
  readonly groupId: string;
  readonly jobId: number | null;
  readonly name: string;
  readonly triggers: readonly AlertTrigger[];
  readonly channel: AlertChannel;
  readonly target: string;
  /** The webhook's HMAC-SHA256 key; null for e-mail. Never shown by the API. */
  readonly secret: string | null;
  readonly minIntervalMs: number;
  readonly enabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A rule to create: everything but the id and instants. */
export type NewAlertRule = Omit<AlertRule, 'id' | 'createdAt' | 'updatedAt'>;

/** `pending` while attempts remain; `delivered`, `failed` (attempts spent) or `suppressed` (rate limit). */
export const AlertDeliveryState = {
  Pending: 'pending',
  Delivered: 'delivered',
  Failed: 'failed',
  Suppressed: 'suppressed',
} as const;
export type AlertDeliveryState = (typeof AlertDeliveryState)[keyof typeof AlertDeliveryState];

/** One alert sent (or tried) for a rule. `trigger` is `test` for the "send a test" action. */
export interface AlertDelivery {
  readonly id: number;
  readonly ruleId: number;
  readonly trigger: AlertTrigger | 'test';
  readonly jobId: number | null;
  readonly executionId: string | null;
  readonly state: AlertDeliveryState;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

/** The JSON body of a webhook, and the facts an e-mail tells. */
export interface AlertMessage {
  readonly trigger: AlertTrigger | 'test';
  readonly ruleId: number;
  readonly groupId: string;
  readonly jobId: number | null;
  readonly executionId: string | null;
  /** The scheduled instant of the fire (ms epoch), when there is one. */
  readonly scheduledAt: number | null;
  readonly reason: string;
  /** When the alert was raised (ms epoch). */
  readonly at: number;
}
