import type { AlertDelivery, AlertMessage, AlertRule, Logger, Stores } from '@carillon/core';
import type { AlertSender } from './alert-sender.js';

/** Settings of {@link AlertDeliverer}. */
export interface AlertDelivererOptions {
  readonly stores: Pick<Stores, 'alerts'>;
  /** A sender per channel; a channel without one fails its deliveries at once. */
  readonly senders: { readonly webhook?: AlertSender; readonly email?: AlertSender };
  readonly logger: Logger;
  readonly now?: () => number;
  /** Attempts per delivery. Default 5. */
  readonly maxAttempts?: number;
  /** Wait before the second attempt, doubled for each next one. Default 1,000 ms. */
  readonly backoffMs?: number;
  /** Told of each delivery's end (a metric counts them). */
  readonly onOutcome?: (channel: string, outcome: AlertDelivery['state']) => void;
}

/**
 * Delivers alerts: records each delivery, tries it with exponential backoff, and records the
 * outcome. Rate limit per rule: within a rule's `minIntervalMs` of its last delivery in this
 * process, an alert is recorded `suppressed` and not sent (tests bypass the limit).
 */
export class AlertDeliverer {
  readonly #o: AlertDelivererOptions;
  readonly #now: () => number;
  readonly #lastSent = new Map<number, number>();
  readonly #pending = new Set<Promise<AlertDelivery>>();
  readonly #sleeps = new Map<NodeJS.Timeout, () => void>();
  #closed = false;

  constructor(options: AlertDelivererOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Delivers `message` by `rule`; resolves with the delivery as finally recorded (after all
   * attempts). Never rejects: failures are recorded and logged.
   */
  deliver(rule: AlertRule, message: AlertMessage): Promise<AlertDelivery> {
    const work = this.#deliver(rule, message);
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
    return work;
  }

  /** Stops retrying: pending deliveries end after their current attempt, recorded as failed. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [timer, wake] of this.#sleeps) {
      clearTimeout(timer);
      wake();
    }
    this.#sleeps.clear();
    await Promise.allSettled([...this.#pending]);
  }

  async #deliver(rule: AlertRule, message: AlertMessage): Promise<AlertDelivery> {
    const now = this.#now();
    const base = {
      ruleId: rule.id,
      trigger: message.trigger,
      jobId: message.jobId,
      executionId: message.executionId,
      createdAt: now,
    };
    try {
      const last = this.#lastSent.get(rule.id);
      if (message.trigger !== 'test' && last !== undefined && now - last < rule.minIntervalMs) {
        this.#o.onOutcome?.(rule.channel, 'suppressed');
        return await this.#o.stores.alerts.recordDelivery({
          ...base,
          state: 'suppressed',
          attempts: 0,
          lastError: `rate limited: one alert per ${rule.minIntervalMs} ms`,
          finishedAt: now,
        });
      }
      if (message.trigger !== 'test') this.#lastSent.set(rule.id, now);
      const delivery = await this.#o.stores.alerts.recordDelivery({
        ...base,
        state: 'pending',
        attempts: 0,
        lastError: null,
        finishedAt: null,
      });
      return await this.#attempt(rule, message, delivery);
    } catch (error) {
      this.#o.logger.error({ err: error, ruleId: rule.id }, 'recording an alert delivery failed');
      return {
        ...base,
        id: 0,
        state: 'failed',
        attempts: 0,
        lastError: String(error),
        finishedAt: now,
      };
    }
  }

  async #attempt(
    rule: AlertRule,
    message: AlertMessage,
    delivery: AlertDelivery,
  ): Promise<AlertDelivery> {
    const sender = this.#o.senders[rule.channel];
    const maxAttempts = this.#o.maxAttempts ?? 5;
    let lastError: string | null = null;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await this.#sleep((this.#o.backoffMs ?? 1_000) * 2 ** (attempt - 2));
      if (this.#closed && attempt > 1) {
        lastError = `${lastError ?? ''} (not retried: stopping)`;
        return this.#finish(rule, delivery, 'failed', attempt - 1, lastError);
      }
      try {
        if (sender === undefined) throw new Error(`no ${rule.channel} sender is configured`);
        await sender.send(rule, message);
        return await this.#finish(rule, delivery, 'delivered', attempt, null);
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        this.#o.logger.warn(
          { ruleId: rule.id, deliveryId: delivery.id, attempt, err: error },
          'alert delivery attempt failed',
        );
        if (sender === undefined) return this.#finish(rule, delivery, 'failed', attempt, lastError);
        await this.#o.stores.alerts.updateDelivery(delivery.id, {
          state: 'pending',
          attempts: attempt,
          lastError,
          finishedAt: null,
        });
      }
    }
    return this.#finish(rule, delivery, 'failed', maxAttempts, lastError);
  }

  async #finish(
    rule: AlertRule,
    delivery: AlertDelivery,
    state: 'delivered' | 'failed',
    attempts: number,
    lastError: string | null,
  ): Promise<AlertDelivery> {
    const patch = { state, attempts, lastError, finishedAt: this.#now() };
    await this.#o.stores.alerts.updateDelivery(delivery.id, patch);
    this.#o.onOutcome?.(rule.channel, state);
    return { ...delivery, ...patch };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleeps.delete(timer);
        resolve();
      }, ms);
      this.#sleeps.set(timer, resolve);
    });
  }
}
