/** A browser (or script) session of a user, as stored: only the hash of its secret is kept. */
export interface Session {
  readonly id: number;
  readonly userId: number;
  readonly createdAt: number;
  /** The last request that used it (updated at most about once a minute). */
  readonly lastSeenAt: number;
  /** The absolute end of its life, whatever its use. */
  readonly expiresAt: number;
  /** How long it may sit unused before it ends. */
  readonly idleMs: number;
  /** The address and user agent that signed in, to tell sessions apart in a list. */
  readonly address: string;
  readonly userAgent: string;
  /** Sent back by the page in a header on every change (the CSRF check of cookie sessions). */
  readonly csrfToken: string;
  readonly revokedAt: number | null;
}

/** What {@link SessionStore.create} needs. */
export interface NewSession {
  readonly userId: number;
  /** SHA-256 of the secret, hex. */
  readonly secretHash: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
  readonly idleMs: number;
  readonly address: string;
  readonly userAgent: string;
}

/** Failed sign-ins under one throttle key (e.g. address and username). */
export interface SignInFailures {
  readonly failures: number;
  readonly lastFailureAt: number;
}

/**
 * Sessions and sign-in throttling, in the database so that every console of a cluster sees
 * the same: any console verifies any session, and throttling holds across consoles.
 */
export interface SessionStore {
  create(session: NewSession, nowMs: number): Promise<Session>;
  /** The session with this secret hash, unless revoked (expiry is the caller's to judge). */
  findBySecret(secretHash: string): Promise<Session | undefined>;
  get(id: number): Promise<Session | undefined>;
  /** Records a use; a no-op on a revoked session. */
  touch(id: number, nowMs: number): Promise<void>;
  /** Unrevoked sessions of a user (of every user when undefined) whose life has not ended at `nowMs`, newest first. */
  listActive(userId: number | undefined, nowMs: number): Promise<readonly Session[]>;
  /** False if there is no such session or it was revoked already. */
  revoke(id: number, nowMs: number): Promise<boolean>;
  /**
   * Deletes sessions that ended (expired or revoked) before `endedBeforeMs`, and failure counts
   * last touched before it. Returns how many rows went.
   */
  prune(endedBeforeMs: number): Promise<number>;
  failuresOf(key: string): Promise<SignInFailures | undefined>;
  recordFailure(key: string, nowMs: number): Promise<void>;
  clearFailures(key: string): Promise<void>;
}
