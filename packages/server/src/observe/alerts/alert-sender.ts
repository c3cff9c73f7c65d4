import { createHmac } from 'node:crypto';
import type { AlertMessage, AlertRule } from '@carillon/core';
import { createTransport } from 'nodemailer';
import type { Transporter } from 'nodemailer';

/** Delivers one alert through one channel; rejects when the delivery failed (it may be retried). */
export interface AlertSender {
  send(rule: AlertRule, message: AlertMessage): Promise<void>;
}

/** The header that carries the webhook's signature: `sha256=` and the hex HMAC-SHA256 of the body. */
export const SIGNATURE_HEADER = 'x-carillon-signature';

/** The signature of a webhook body under `secret`, as sent in {@link SIGNATURE_HEADER}. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs the alert as JSON to the rule's URL, signed with the rule's secret. A non-2xx answer
 * or no answer within `timeoutMs` (default 10,000) is a failure.
 */
export class WebhookSender implements AlertSender {
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(rule: AlertRule, message: AlertMessage): Promise<void> {
    const body = JSON.stringify(message);
    const response = await fetch(rule.target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'carillon-alerts',
        ...(rule.secret === null ? {} : { [SIGNATURE_HEADER]: signWebhookBody(rule.secret, body) }),
      },
      body,
      signal: AbortSignal.timeout(this.#timeoutMs),
      redirect: 'error',
    });
    // Drained so that the connection can be reused.
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
  }
}

/** SMTP settings of {@link EmailSender}. */
export interface SmtpSettings {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://host:465`. */
  readonly url: string;
  /** The From address. */
  readonly from: string;
}

/** Sends the alert as a plain-text e-mail to the rule's addresses through SMTP. */
export class EmailSender implements AlertSender {
  readonly #transport: Transporter;
  readonly #from: string;

  constructor(settings: SmtpSettings) {
    this.#transport = createTransport(settings.url);
    this.#from = settings.from;
  }

  async send(rule: AlertRule, message: AlertMessage): Promise<void> {
    const what = message.jobId === null ? `group ${message.groupId}` : `job ${message.jobId}`;
    await this.#transport.sendMail({
      from: this.#from,
      to: rule.target.split(',').map((a) => a.trim()),
      subject: `[carillon] ${message.trigger}: ${what} (${rule.name})`,
      text: [
        `Alert rule: ${rule.name} (#${rule.id})`,
        `Trigger: ${message.trigger}`,
        `Task group: ${message.groupId}`,
        `Job: ${message.jobId ?? '-'}`,
        `Execution: ${message.executionId ?? '-'}`,
        `Scheduled at: ${message.scheduledAt === null ? '-' : new Date(message.scheduledAt).toISOString()}`,
        `Raised at: ${new Date(message.at).toISOString()}`,
        '',
        message.reason,
        '',
      ].join('\n'),
      headers: { 'X-Carillon-Alert': JSON.stringify(message) },
    });
  }

  /** Closes pooled SMTP connections. */
  close(): void {
    this.#transport.close();
  }
}
