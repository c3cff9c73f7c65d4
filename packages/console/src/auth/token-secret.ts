import { randomBytes } from 'node:crypto';

/**
 * A new API token secret: 32 random bytes in base64url. It is shown to its owner once; only its
 * `hashTokenSecret` (SHA-256 hex, from `@carillon/core`) is stored.
 */
export function newTokenSecret(): string {
  return randomBytes(32).toString('base64url');
}
