import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

/** The scrypt cost of new hashes: N = 2^15, r = 8, p = 1 (about 50 ms and 32 MiB on a server). */
export const SCRYPT_PARAMS = { N: 32_768, r: 8, p: 1 } as const;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Bounds on the parameters read back from a stored hash, so that a tampered row cannot make
// sign-in allocate gigabytes.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

/** Password length limits: no short passwords, and no megabyte ones either. */
export const PASSWORD_LIMITS = { min: 8, max: 1024 } as const;

function scrypt(
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keylen, options, (error, key) => {
      if (error !== null) reject(error);
      else resolve(key);
    });
  });
}

function maxmem(N: number, r: number, p: number): number {
  return 128 * N * r * p + 1024 * 1024;
}

/**
 * Hashes a password with scrypt and a random salt, as `scrypt$N$r$p$<salt>$<hash>` (salt and
 * hash in base64url).
 */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, { N, r, p, maxmem: maxmem(N, r, p) });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/**
 * True when `password` matches `stored` (made by {@link hashPassword}); false for a wrong
 * password and for a stored value that is not a well-formed scrypt hash. Compares in constant
 * time.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^[0-9]{1,8}$/.test(s ?? '') ? Number(s) : NaN));
  if (N === undefined || r === undefined || p === undefined) return false;
  if (!(
    N > 1 &&
    N <= MAX_N &&
    (N & (N - 1)) === 0 &&
    r >= 1 &&
    r <= MAX_R &&
    p >= 1 &&
    p <= MAX_P
  )) {
    return false;
  }
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length === 0 || expected.length < 16 || expected.length > 128) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: maxmem(N, r, p) });
  return timingSafeEqual(key, expected);
}

// A real hash of nothing anyone knows, checked when the username does not exist, so that a
// wrong username takes as long as a wrong password and usernames cannot be probed by timing.
let decoy: Promise<string> | undefined;

/** Spends the time of one password check without a user; always resolves false. */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await decoy);
  return false;
}
