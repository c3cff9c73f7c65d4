import type { DatabaseHealth, TimedOperation } from './database-health.js';

/** First wait before trying again; doubled per attempt up to {@link MAX_BACKOFF_MS}. */
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 2_000;

/**
 * Runs database work through the {@link DatabaseHealth} and tries it again, with backoff and
 * jitter, for as long as the database fails transiently; other errors pass through at once.
 * Only for work that may run again safely (the patient stores say why theirs may). After
 * {@link stopRetrying} (the server stopping) a failing call fails instead of waiting.
 */
export class Patience {
  readonly #health: DatabaseHealth;
  #retrying = true;
  readonly #sleeps = new Set<() => void>();

  constructor(health: DatabaseHealth) {
    this.#health = health;
  }

  /** Makes calls waiting for the database fail now, and later ones fail at their first error. */
  stopRetrying(): void {
    this.#retrying = false;
    for (const wake of this.#sleeps) wake();
  }

  async run<T>(work: () => Promise<T>, operation?: TimedOperation): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#health.watch(work, operation);
      } catch (error) {
        if (!this.#retrying || !this.#health.isTransient(error)) throw error;
        await this.#sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** attempt));
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    // Real time, not the server's clock: this paces a database, not a schedule.
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms * (0.5 + Math.random() / 2));
      this.#sleeps.add(wake);
    });
  }
}
