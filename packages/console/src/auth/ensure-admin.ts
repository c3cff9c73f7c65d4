import type { Clock, Stores, User } from '@carillon/core';
import { CarillonError, CoreErrorCode, SystemClock } from '@carillon/core';
import { PASSWORD_LIMITS, hashPassword } from './password.js';

/** What {@link ensureAdmin} did. */
export interface EnsureAdminResult {
  readonly user: User;
  /** True when the admin was created now; false when it existed. */
  readonly created: boolean;
  /** True when an existing admin's password was replaced (`resetPassword`). */
  readonly passwordReset: boolean;
}

/** Options of {@link ensureAdmin}. */
export interface EnsureAdminOptions {
  /** Defaults to the system clock. */
  readonly clock?: Clock;
  /** When the admin exists, replace its password with `password` (default false: keep it). */
  readonly resetPassword?: boolean;
}

/**
 * Makes sure an admin named `username` exists, for bootstrapping a fresh installation (`carillon
 * dev`, `carillon console`). Creates it with `password` (scrypt-hashed) if absent; otherwise
 * keeps it as it is, unless `resetPassword`. Audited as actor `system`. There is no default
 * password: the caller must supply one. Consoles calling it at once on a fresh database all
 * succeed; one creates the admin.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` when the username is empty or the password
 *   is missing, shorter than 8 or longer than 1024 characters; `CARILLON_CONFLICT` when a user
 *   of that name exists and is not an admin.
 * @example const { user, created } = await ensureAdmin(stores, 'admin', process.env.CARILLON_ADMIN_PASSWORD ?? generated);
 */
export async function ensureAdmin(
  stores: Stores,
  username: string,
  password: string,
  options: EnsureAdminOptions = {},
): Promise<EnsureAdminResult> {
  if (typeof username !== 'string' || username.trim() === '' || username.length > 64) {
    throw new CarillonError(CoreErrorCode.InvalidArgument, 'ensureAdmin: a username is required', {
      details: { field: 'username' },
    });
  }
  if (
    typeof password !== 'string' ||
    password.length < PASSWORD_LIMITS.min ||
    password.length > PASSWORD_LIMITS.max
  ) {
    throw new CarillonError(
      CoreErrorCode.InvalidArgument,
      `ensureAdmin: a password of ${PASSWORD_LIMITS.min} to ${PASSWORD_LIMITS.max} characters is required; there is no default`,
      { details: { field: 'password' } },
    );
  }
  const clock = options.clock ?? new SystemClock();
  const existing = await stores.users.findForLogin(username);
  if (existing !== undefined) {
    if (!existing.user.isAdmin) {
      throw new CarillonError(
        CoreErrorCode.Conflict,
        `ensureAdmin: user "${username}" exists and is not an admin`,
      );
    }
    if (options.resetPassword !== true) {
      return { user: existing.user, created: false, passwordReset: false };
    }
    const passwordHash = await hashPassword(password);
    await stores.transaction(async (tx) => {
      await tx.users.setPasswordHash(existing.user.id, passwordHash);
      await tx.audit.append({
        at: clock.now(),
        actor: 'system',
        action: 'user:password',
        target: `user:${existing.user.id}`,
        detail: null,
      });
    });
    return { user: existing.user, created: false, passwordReset: true };
  }
  const passwordHash = await hashPassword(password);
  let user: User;
  try {
    user = await createAdmin(stores, username, passwordHash, clock);
  } catch (error) {
    // Another console starting at the same moment on a fresh database created it first (the
    // name is unique): go on as if it had existed (kept, or its password reset if asked).
    if (!(error instanceof CarillonError) || error.code !== CoreErrorCode.Conflict) throw error;
    if ((await stores.users.findForLogin(username)) === undefined) throw error;
    return ensureAdmin(stores, username, password, options);
  }
  return { user, created: true, passwordReset: false };
}

async function createAdmin(
  stores: Stores,
  username: string,
  passwordHash: string,
  clock: Clock,
): Promise<User> {
  return stores.transaction(async (tx) => {
    const created = await tx.users.create({ username, passwordHash, isAdmin: true }, clock.now());
    await tx.audit.append({
      at: clock.now(),
      actor: 'system',
      action: 'user:create',
      target: `user:${created.id}`,
      detail: JSON.stringify({ username, isAdmin: true }),
    });
    return created;
  });
}
