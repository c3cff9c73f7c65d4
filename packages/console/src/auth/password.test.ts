import { describe, expect, it } from 'vitest';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './password.js';
import { hashTokenSecret } from '@carillon/core';
import { newTokenSecret } from './token-secret.js';

describe('password hashing', () => {
  it('stores scrypt$N$r$p$salt$hash with a random salt', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
  });

  it('accepts the password and refuses others', async () => {
    const stored = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    expect(await verifyPassword('correct horse ', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('refuses malformed and hostile stored values instead of throwing', async () => {
    expect(await verifyPassword('x', '')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$2$abc')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1048577$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')).toBe(
      false,
    );
    expect(await verifyPassword('x', 'scrypt$4194304$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')).toBe(
      false,
    );
    expect(await verifyPassword('x', 'scrypt$16384$8$1$$aGFzaGhhc2hoYXNoaGFzaA')).toBe(false);
  });

  it('checks parameters read back from the stored value', async () => {
    // A hash made with other (valid) parameters still verifies: cost can be raised later.
    const { scryptSync } = await import('node:crypto');
    const salt = Buffer.from('0123456789abcdef');
    const key = scryptSync('pw-1234567', salt, 32, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword('pw-1234567', stored)).toBe(true);
  });

  it('the decoy check never accepts', async () => {
    expect(await verifyAgainstDecoy('anything')).toBe(false);
  });
});

describe('token secrets', () => {
  it('are 32 random bytes in base64url, hashed with SHA-256 hex', () => {
    const secret = newTokenSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(newTokenSecret()).not.toBe(secret);
    expect(hashTokenSecret('test')).toBe(
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    );
  });
});
