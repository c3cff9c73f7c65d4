import type { SessionStore } from '@carillon/core';

/** When sign-in slows down. */
export interface SignInThrottleSettings {
  /** Failures of one username from one address before each attempt must wait. Default 5. */
  readonly freePerUserAndAddress: number;
  /** The first wait; it doubles with each further failure. Default 1 s. */
  readonly baseDelayMs: number;
  /** The longest wait. Default 5 min. */
  readonly maxDelayMs: number;
}

/** The defaults of {@link SignInThrottleSettings}. */
export const SIGN_IN_THROTTLE_DEFAULTS: SignInThrottleSettings = Object.freeze({
  freePerUserAndAddress: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 300_000,
});

/**
 * Sign-in throttling by delays, never locks, kept in the database so that it holds across the
 * consoles of a cluster. The key is (address, username): someone guessing the admin's password
 * from elsewhere slows only their own address down, so the admin can always sign in from
 * theirs. There is deliberately no key by username alone or by address alone: behind a proxy
 * without `trustProxy`, or a shared NAT, either would let anyone delay everyone. A throttled
 * attempt is refused before its password is checked, so it costs no scrypt work; guesses
 * spread over many usernames are bounded by the console's password gate instead.
 */
export class SignInThrottle {
  readonly #sessions: SessionStore;
  readonly #settings: SignInThrottleSettings;

  constructor(sessions: SessionStore, settings: SignInThrottleSettings) {
    this.#sessions = sessions;
    this.#settings = settings;
  }

  #key(address: string, username: string): string {
    return `ua:${address}:${username}`.slice(0, 255);
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
    const failures = await this.#sessions.failuresOf(this.#key(address, username));
    return this.#waitOf(failures, this.#settings.freePerUserAndAddress, nowMs);
  }

  /** Counts a wrong username or password. */
  async failed(address: string, username: string, nowMs: number): Promise<void> {
    await this.#sessions.recordFailure(this.#key(address, username), nowMs);
  }

  /** Forgets the failures of this username at this address. */
  async succeeded(address: string, username: string): Promise<void> {
    await this.#sessions.clearFailures(this.#key(address, username));
  }
}
