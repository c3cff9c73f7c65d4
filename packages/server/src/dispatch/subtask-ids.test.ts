import { describe, expect, it } from 'vitest';
import { reduceId, subtaskId } from './subtask-ids.js';

const execution = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

describe('subtask ids', () => {
  // Stored ids: a server of another version must name the same subtasks, or a first level
  // sent again after an upgrade would store each of its items twice. These are the ids the
  // first implementation (a SHA-1 hash object, bytes patched, then formatted) gave.
  it('names a subtask and the reduce step as every version has', () => {
    expect(subtaskId(execution, 1)).toBe('cbeda42f-7d54-5871-9c91-72e55205edba');
    expect(subtaskId(execution, 100_000)).toBe('15a06c6f-1a87-55f5-b9f7-bdbf270bcbc5');
    expect(reduceId(execution)).toBe('e55d8a51-826c-5408-80a6-ee3ac28a9e22');
  });

  it('gives version 5 UUIDs of the RFC 4122 variant', () => {
    for (let position = 1; position <= 64; position++)
      expect(subtaskId(execution, position)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
  });
});
