import type { FastifyRequest } from 'fastify';
import { findForbiddenCharacter } from '@carillon/core';
import { invalidArgument } from '../errors.js';

function check(field: string, value: unknown): void {
  if (typeof value === 'string') {
    const bad = findForbiddenCharacter(value);
    if (bad !== undefined) {
      throw invalidArgument(
        field,
        `contains ${bad.description} at position ${bad.index}; text may hold neither NUL characters nor unpaired surrogates`,
      );
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => check(`${field}[${i}]`, item));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    const path = field === '' ? key : `${field}.${key}`;
    if (findForbiddenCharacter(key) !== undefined)
      throw invalidArgument(
        field === '' ? 'body' : field,
        'a field name holds a NUL character or an unpaired surrogate',
      );
    check(path, item);
  }
}

/**
 * A `preValidation` hook that refuses, with 400 `CARILLON_INVALID_ARGUMENT` naming the field,
 * any request whose body, query or path holds a NUL character or an unpaired surrogate in any
 * text: no such text can be stored faithfully (MariaDB's utf8mb4 cannot encode a lone
 * surrogate), so none is accepted, whatever the field.
 */
export function rejectForbiddenCharacters(request: FastifyRequest): Promise<void> {
  check('', request.body);
  check('', request.query);
  check('', request.params);
  return Promise.resolve();
}
