import type { SessionStore } from '@carillon/core';

/** When sign-in slows down. */
export interface SignInThrottleSettings {
  /** Failures of one username from one address before each attempt must wait. Default 5. */
  readonly freePerUserAndAddress: number;
  /** Failures from one address (any usernames) before each attempt must wait. Default 50. */
  readonly freePerAddress: number;
  /** The first wait; it doubles with each further failure. Default 1 s. */
  readonly baseDelayMs: number;
  /** The longest wait. Default 5 min. */
  readonly maxDelayMs: number;
}

/** The defaults of {@link SignInThrottleSettings}. */
export const SIGN_IN_THROTTLE_DEFAULTS: SignInThrottleSettings = Object.freeze({
  freePerUserAndAddress: 5,
  freePerAddress: 50,
  baseDelayMs: 1_000,
  maxDelayMs: 300_000,
});

/**
 * Sign-in throttling by delays, never locks, kept in the database so that it holds across the
 * consoles of a cluster. Keys are (address, username) and address alone: someone guessing the
 * admin's password from elsewhere slows only their own address down, so the admin can always
 * sign in from theirs. A throttled attempt is refused before its password is checked, so a
 * flood costs no scrypt work.
 */
export class SignInThrottle {
  readonly #sessions: SessionStore;
  readonly #settings: SignInThrottleSettings;

  constructor(sessions: SessionStore, settings: SignInThrottleSettings) {
    this.#sessions = sessions;
    this.#settings = settings;
  }

  #keys(address: string, username: string): { pair: string; address: string } {
    return { pair: `ua:${address}:${username}`.slice(0, 255), address: `a:${address}` };
  }

  #waitOf(
    found: { failures: number; lastFailureAt: number } | undefined,
    free: number,
    nowMs: number,
  ): number {
    if (found === undefined || found.failures < free) return 0;
    const { baseDelayMs, maxDelayMs } = this.#settings;
    const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(30, found.failures - free));
    return Math.max(0, found.lastFailureAt + delay - nowMs);
  }

  /** How long this attempt must wait before its password may be checked (0: go ahead). */
  async waitMs(address: string, username: string, nowMs: number): Promise<number> {
    const keys = this.#keys(address, username);
    const [pair, byAddress] = await Promise.all([
      this.#sessions.failuresOf(keys.pair),
      this.#sessions.failuresOf(keys.address),
    ]);
    return Math.max(
      this.#waitOf(pair, this.#settings.freePerUserAndAddress, nowMs),
      this.#waitOf(byAddress, this.#settings.freePerAddress, nowMs),
    );
  }

  /** Counts a wrong username or password. */
  async failed(address: string, username: string, nowMs: number): Promise<void> {
    const keys = this.#keys(address, username);
    await this.#sessions.recordFailure(keys.pair, nowMs);
    await this.#sessions.recordFailure(keys.address, nowMs);
  }

  /** Forgets the failures of this username at this address (the address's own count stays). */
  async succeeded(address: string, username: string): Promise<void> {
    await this.#sessions.clearFailures(this.#keys(address, username).pair);
  }
}
