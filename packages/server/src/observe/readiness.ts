import type { SessionState } from '@carillon/core';

/** One check of {@link Readiness}: its name, whether it passes, and why not. */
export interface ReadinessCheck {
  readonly name: 'database' | 'coordinator' | 'claiming';
  readonly ok: boolean;
  readonly detail?: string;
}

/** The answer to "should this server get traffic": every check passes. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/** What {@link Readiness} probes. */
export interface ReadinessSource {
  /** A cheap read that fails when the database is unreachable (e.g. the job change sequence). */
  readonly probeDatabase: () => Promise<unknown>;
  readonly sessionState: () => SessionState;
  /** The server's lifecycle state; it claims only while `running`. */
  readonly serverState: () => string;
  /** Called on each failed database probe (a metric counts them). */
  readonly onDatabaseError?: (error: unknown) => void;
}

/**
 * Readiness of a server: database reachable, coordinator session connected, server running
 * (claiming). A database probe that does not answer within `timeoutMs` (default 2,000 ms)
 * fails, so a hung connection does not hang the health check.
 */
export class Readiness {
  readonly #source: ReadinessSource;
  readonly #timeoutMs: number;

  constructor(source: ReadinessSource, options: { timeoutMs?: number } = {}) {
    this.#source = source;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** Runs every check; never throws. */
  async check(): Promise<ReadinessReport> {
    const session = this.#source.sessionState();
    const state = this.#source.serverState();
    const checks: ReadinessCheck[] = [
      await this.#database(),
      session === 'connected'
        ? { name: 'coordinator', ok: true }
        : { name: 'coordinator', ok: false, detail: `session ${session}` },
      state === 'running'
        ? { name: 'claiming', ok: true }
        : { name: 'claiming', ok: false, detail: `server ${state}` },
    ];
    return { ready: checks.every((c) => c.ok), checks };
  }

  async #database(): Promise<ReadinessCheck> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      await Promise.race([this.#source.probeDatabase(), timeout]);
      return { name: 'database', ok: true };
    } catch (error) {
      this.#source.onDatabaseError?.(error);
      return {
        name: 'database',
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}
