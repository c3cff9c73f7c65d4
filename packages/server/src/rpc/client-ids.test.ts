import { describe, expect, it } from 'vitest';
import { ClientIds } from './client-ids.js';

describe('client ids belong to one task group', () => {
  it('refuses another group while the client is connected and for a while after it left', () => {
    const ids = new ClientIds(60_000);
    expect(ids.claim('c1', 'A', 0)).toBe(true);
    expect(ids.claim('c1', 'A', 10)).toBe(true);
    expect(ids.claim('c1', 'B', 20)).toBe(false);
    ids.left('c1', 1_000);
    expect(ids.claim('c1', 'B', 60_999)).toBe(false);
    ids.prune(60_999);
    expect(ids.claim('c1', 'B', 61_000)).toBe(true);
    expect(ids.claim('c1', 'A', 61_001)).toBe(false);
  });

  it('forgets the ids of clients long gone', () => {
    const ids = new ClientIds(1_000);
    ids.claim('gone', 'A', 0);
    ids.left('gone', 0);
    ids.claim('here', 'A', 0);
    ids.prune(5_000);
    expect(ids.claim('gone', 'B', 5_000)).toBe(true);
    expect(ids.claim('here', 'B', 5_000)).toBe(false);
  });
});
