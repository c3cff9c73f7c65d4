import type { ApiToken, TokenKind, User } from '../access.js';

export interface NewUser {
  readonly username: string;
  /** An scrypt hash in the console's format; the store never sees a password. */
  readonly passwordHash: string;
  readonly isAdmin: boolean;
}

export interface NewApiToken {
  readonly kind: TokenKind;
  readonly userId: number | null;
  readonly groupId: string | null;
  readonly name: string;
  /** SHA-256 of the secret, hex. The secret itself is shown once and never stored. */
  readonly secretHash: string;
}

/** Users and their API tokens. */
export interface UserStore {
  /**
   * @throws CarillonError `CARILLON_CONFLICT` when the username is taken in any case,
   *   `CARILLON_INVALID_ARGUMENT` when it holds a NUL or an unpaired surrogate.
   */
  create(user: NewUser, nowMs: number): Promise<User>;
  get(id: number): Promise<User | undefined>;
  /** The user and its password hash, for sign-in; the username in any case. */
  findForLogin(username: string): Promise<{ user: User; passwordHash: string } | undefined>;
  list(): Promise<readonly User[]>;
  setPasswordHash(userId: number, passwordHash: string): Promise<void>;
  createToken(token: NewApiToken, nowMs: number): Promise<ApiToken>;
  /** The token with this secret hash, unless revoked. */
  findToken(secretHash: string): Promise<ApiToken | undefined>;
  /** Of these secret hashes, those of tokens not revoked, each with its token; few queries. */
  findTokens(secretHashes: readonly string[]): Promise<ReadonlyMap<string, ApiToken>>;
  revokeToken(id: number, nowMs: number): Promise<boolean>;
}
