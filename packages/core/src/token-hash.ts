import { createHash } from 'node:crypto';

/**
 * The stored form of an API or client token secret: SHA-256, hex. Secrets are random 256-bit
 * values, so a fast hash is enough; the secret itself is never stored.
 */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
