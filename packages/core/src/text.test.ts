import { describe, expect, it } from 'vitest';
import { CoreErrorCode } from './errors.js';
import { assertCleanText, codePointLength, findForbiddenCharacter, foldUsername } from './text.js';

describe('text that can be stored', () => {
  it('finds NUL and unpaired surrogates, and lets pairs through', () => {
    expect(findForbiddenCharacter('plain é 日本 😀')).toBeUndefined();
    expect(findForbiddenCharacter('a\u0000b')).toEqual({
      index: 1,
      description: 'a NUL character (U+0000)',
    });
    expect(findForbiddenCharacter('x\ud800')?.description).toBe('an unpaired surrogate (U+D800)');
    expect(findForbiddenCharacter('\udc00x')?.index).toBe(0);
    expect(findForbiddenCharacter('😀\ud83d')?.index).toBe(2);
  });

  it('counts code points', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('😀😀')).toBe(2);
    expect(codePointLength('\ud800\ud800')).toBe(2);
    expect(codePointLength('é')).toBe(1);
  });

  it('throws an invalid-argument error naming the field', () => {
    expect(() => assertCleanText('name', 'a\u0000')).toThrow(
      expect.objectContaining({
        code: CoreErrorCode.InvalidArgument,
        details: { field: 'name', position: 1 },
      }),
    );
  });

  it('folds user names without regard to case', () => {
    expect(foldUsername('Alice')).toBe(foldUsername('aLICE'));
    expect(foldUsername('Straße')).toBe(foldUsername('STRASSE'));
    expect(foldUsername('Ame\u0301lie')).toBe(foldUsername('AMÉLIE'));
  });
});
