import { describe, expect, it } from 'vitest';
import { CoreErrorCode } from './errors.js';
import { formatTaskGroupId, isTaskGroupId, parseTaskGroupId } from './task-group-id.js';

describe('task group id', () => {
  it('parses and formats the four segments', () => {
    const id = parseTaskGroupId('101-1-2-6601');
    expect(id).toEqual({ cluster: 101, serverGroup: 1, backups: 2, number: 6601 });
    expect(formatTaskGroupId(id)).toBe('101-1-2-6601');
  });

  it.each([
    '',
    '101-1-2',
    '101-1-2-6601-7',
    '101-1-0-6601',
    '0-1-1-1',
    '101--2-6601',
    '101-1-2-x',
    '-1-1-1-1',
    '01-1-1-1',
    '1-1-1-1.5',
    '1-1-1-9999999999',
  ])('rejects %j with a stable code', (text) => {
    expect(() => parseTaskGroupId(text)).toThrow(
      expect.objectContaining({ code: CoreErrorCode.InvalidTaskGroupId }),
    );
    expect(isTaskGroupId(text)).toBe(false);
  });
});
