import type {
  AlertMessage,
  AlertRule,
  AlertTrigger,
  Execution,
  Logger,
  Stores,
  Unsubscribe,
} from '@carillon/core';
import type { ServerEventBus } from '../../events.js';
import type { AlertDeliverer } from './alert-deliverer.js';

/** Settings of {@link AlertNotifier}. */
export interface AlertNotifierOptions {
  readonly events: ServerEventBus;
  readonly stores: Pick<Stores, 'alerts' | 'jobs'>;
  readonly deliverer: AlertDeliverer;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Raises alerts where the outcome is recorded: listens to the server's events (a failed or
 * timed-out execution, missed instants, a fire no client took) and hands each matching,
 * enabled rule of the job's group (group-wide or for that job) to the deliverer.
 */
export class AlertNotifier {
  readonly #o: AlertNotifierOptions;
  readonly #now: () => number;
  readonly #unsubscribe: Unsubscribe[] = [];

  constructor(options: AlertNotifierOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    const { events } = options;
    this.#unsubscribe.push(
      events.on('execution:finished', ({ execution: e }) => {
        if (e.state === 'failed' || e.state === 'partially_failed')
          this.#raise('failed', e, e.reason ?? 'the execution failed');
        else if (e.state === 'timed_out')
          this.#raise('timed_out', e, e.reason ?? 'the execution timed out');
      }),
      events.on('execution:unrouted', ({ execution, reason }) =>
        this.#raise('no_client', execution, reason),
      ),
      events.on(
        'fires:missed',
        ({ jobId, instants, fired }) => void this.#missed(jobId, instants, fired),
      ),
    );
  }

  /** Stops listening; deliveries under way go on (close the deliverer to end them). */
  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  #raise(trigger: AlertTrigger, e: Execution, reason: string): void {
    void this.#notify(trigger, {
      trigger,
      groupId: e.groupId,
      jobId: e.jobId,
      executionId: e.id,
      scheduledAt: e.scheduledAt,
      reason,
    });
  }

  async #missed(jobId: number, instants: readonly number[], fired: number): Promise<void> {
    try {
      const job = await this.#o.stores.jobs.get(jobId);
      if (job === undefined || instants.length === 0) return;
      await this.#notify('missed', {
        trigger: 'missed',
        groupId: job.groupId,
        jobId,
        executionId: null,
        scheduledAt: instants[0] ?? null,
        reason: `${instants.length} instant(s) of job ${jobId} passed unfired; the misfire policy ${job.misfire} fired ${fired} of them late`,
      });
    } catch (error) {
      this.#o.logger.error({ err: error, jobId }, 'raising a missed-fire alert failed');
    }
  }

  async #notify(trigger: AlertTrigger, facts: Omit<AlertMessage, 'ruleId' | 'at'>): Promise<void> {
    let rules: readonly AlertRule[];
    try {
      rules = await this.#o.stores.alerts.listRules(facts.groupId);
    } catch (error) {
      this.#o.logger.error({ err: error, groupId: facts.groupId }, 'reading alert rules failed');
      return;
    }
    const at = this.#now();
    for (const rule of rules) {
      if (!rule.enabled || !rule.triggers.includes(trigger)) continue;
      if (rule.jobId !== null && rule.jobId !== facts.jobId) continue;
      void this.#o.deliverer.deliver(rule, { ...facts, ruleId: rule.id, at });
    }
  }
}
