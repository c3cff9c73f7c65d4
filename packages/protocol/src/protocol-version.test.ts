import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, negotiateProtocolVersion } from './protocol-version.js';

describe('negotiateProtocolVersion', () => {
  it('speaks the highest version both ends know', () => {
    expect(negotiateProtocolVersion(PROTOCOL_VERSION)).toBe(PROTOCOL_VERSION);
    expect(negotiateProtocolVersion(PROTOCOL_VERSION + 5)).toBe(PROTOCOL_VERSION);
  });

  it('refuses versions below the oldest supported', () => {
    expect(negotiateProtocolVersion(0)).toBeUndefined();
    expect(negotiateProtocolVersion(-1)).toBeUndefined();
  });
});
