import { CarillonError } from '@carillon/core';
import { ConsoleErrorCode } from '../errors.js';

/** The part of an Ajv error the console reads (Fastify passes Ajv's errors through). */
export interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

const PART_NAMES: Readonly<Record<string, string>> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function describe(error: SchemaError, path: string): { field: string; text: string } {
  const p = error.params;
  switch (error.keyword) {
    case 'required':
      return { field: join(path, String(p.missingProperty)), text: 'is required' };
    case 'additionalProperties':
      return {
        field: join(path, String(p.additionalProperty)),
        text: 'is not a known field',
      };
    case 'type':
      return { field: path, text: `must be ${String(p.type).split(',').join(' or ')}` };
    case 'minLength':
      return {
        field: path,
        text:
          p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`,
      };
    case 'maxLength':
      return { field: path, text: `must be at most ${String(p.limit)} characters` };
    case 'pattern':
      return {
        field: path,
        text: p.pattern === '\\S' ? 'must not be blank' : `must match ${String(p.pattern)}`,
      };
    case 'enum':
      return {
        field: path,
        text: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'discriminator':
      return {
        field: join(path, String(p.tag)),
        text:
          p.error === 'mapping'
            ? `has an unknown value ${JSON.stringify(p.tagValue)}`
            : 'is required and must be a string',
      };
    default:
      return { field: path, text: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * Turns the schema errors of one request part into a 400 `CARILLON_INVALID_REQUEST` whose
 * message names the field, e.g. `body.trigger.cron: is required`. `details.field` holds the
 * field's path and `details.location` the part (body, query, path, header).
 */
export function formatSchemaErrors(errors: readonly SchemaError[], dataVar: string): CarillonError {
  const location = PART_NAMES[dataVar] ?? dataVar;
  const first = errors[0];
  if (first === undefined) {
    return new CarillonError(ConsoleErrorCode.InvalidRequest, `invalid ${location}`);
  }
  const { field, text } = describe(first, fieldPath(first.instancePath));
  const name = field === '' ? location : `${location}.${field}`;
  return new CarillonError(ConsoleErrorCode.InvalidRequest, `${name}: ${text}`, {
    details: { field, location },
  });
}
