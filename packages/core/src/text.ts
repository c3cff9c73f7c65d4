import { CarillonError, CoreErrorCode } from './errors.js';

// Text that a database cannot hold faithfully never enters Carillon: MariaDB's utf8mb4 cannot
// encode an unpaired surrogate (it turns into '?' or an error), and a NUL ends strings in
// many tools that read the data later. Lengths are counted in Unicode code points, as JSON
// Schema's maxLength (and so the OpenAPI document) and MariaDB's VARCHAR(n) in utf8mb4 count.

// eslint-disable-next-line no-control-regex -- finding NUL is the point
const SUSPECT = /[\u0000\ud800-\udfff]/;

/** A character that text may not hold, and where. */
export interface ForbiddenCharacter {
  /** Position in UTF-16 units. */
  readonly index: number;
  /** In words, e.g. "a NUL character (U+0000)". */
  readonly description: string;
}

/** The first NUL or unpaired surrogate in `text`, if any. */
export function findForbiddenCharacter(text: string): ForbiddenCharacter | undefined {
  if (!SUSPECT.test(text)) return undefined;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return { index: i, description: 'a NUL character (U+0000)' };
    if (unit < 0xd800 || unit > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      i++;
      continue;
    }
    const hex = unit.toString(16).toUpperCase();
    return { index: i, description: `an unpaired surrogate (U+${hex})` };
  }
  return undefined;
}

/** The length of `text` in Unicode code points (a surrogate pair counts one). */
export function codePointLength(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        length--;
        i++;
      }
    }
  }
  return length;
}

/**
 * Checks that `text` holds no NUL and no unpaired surrogate.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` naming `field` (in `details.field`) and the
 *   character and its position.
 * @example assertCleanText('name', 'nightly'); // returns; assertCleanText('name', 'a\u0000') throws
 */
export function assertCleanText(field: string, text: string): void {
  const bad = findForbiddenCharacter(text);
  if (bad === undefined) return;
  throw new CarillonError(
    CoreErrorCode.InvalidArgument,
    `${field}: contains ${bad.description} at position ${bad.index}; text may hold neither NUL characters nor unpaired surrogates`,
    { details: { field, position: bad.index } },
  );
}

/**
 * A user name as compared for uniqueness and sign-in: case-folded, so that `Alice` and `ALICE`
 * are one user. Full case folding approximated by upper- then lower-casing (`ß` → `ss`),
 * after NFC so that composed and decomposed accents match.
 */
export function foldUsername(username: string): string {
  return username.normalize('NFC').toUpperCase().toLowerCase();
}
