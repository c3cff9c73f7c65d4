import { describe, expect, it } from 'vitest';
import { ConsoleErrorCode } from '../errors.js';
import { formatSchemaErrors } from './schema-errors.js';

describe('formatSchemaErrors', () => {
  it('names the field of each kind of error', () => {
    const cases: Array<[Parameters<typeof formatSchemaErrors>[0][number], string, string]> = [
      [
        { instancePath: '/trigger', keyword: 'required', params: { missingProperty: 'cron' } },
        'body',
        'body.trigger.cron: is required',
      ],
      [
        {
          instancePath: '',
          keyword: 'additionalProperties',
          params: { additionalProperty: 'colour' },
        },
        'body',
        'body.colour: is not a known field',
      ],
      [
        { instancePath: '/timeoutMs', keyword: 'type', params: { type: 'integer' } },
        'body',
        'body.timeoutMs: must be integer',
      ],
      [
        { instancePath: '/param', keyword: 'type', params: { type: 'string,null' } },
        'body',
        'body.param: must be string or null',
      ],
      [
        { instancePath: '/name', keyword: 'minLength', params: { limit: 1 } },
        'body',
        'body.name: must not be empty',
      ],
      [
        { instancePath: '/name', keyword: 'pattern', params: { pattern: '\\S' } },
        'body',
        'body.name: must not be blank',
      ],
      [
        { instancePath: '/overlap', keyword: 'enum', params: { allowedValues: ['allow', 'skip'] } },
        'body',
        'body.overlap: must be one of "allow", "skip"',
      ],
      [
        {
          instancePath: '/trigger',
          keyword: 'discriminator',
          params: { error: 'mapping', tag: 'type', tagValue: 'rate' },
        },
        'body',
        'body.trigger.type: has an unknown value "rate"',
      ],
      [
        { instancePath: '/id', keyword: 'type', params: { type: 'integer' } },
        'params',
        'path.id: must be integer',
      ],
      [
        {
          instancePath: '/count',
          keyword: 'maximum',
          params: { limit: 100 },
          message: 'must be <= 100',
        },
        'querystring',
        'query.count: must be <= 100',
      ],
      [
        { instancePath: '', keyword: 'type', params: { type: 'object' } },
        'body',
        'body: must be object',
      ],
    ];
    for (const [error, dataVar, message] of cases) {
      const result = formatSchemaErrors([error], dataVar);
      expect(result.code).toBe(ConsoleErrorCode.InvalidRequest);
      expect(result.message).toBe(message);
    }
  });

  it('records the field and the location in details', () => {
    const error = formatSchemaErrors(
      [{ instancePath: '/trigger', keyword: 'required', params: { missingProperty: 'cron' } }],
      'body',
    );
    expect(error.details).toEqual({ field: 'trigger.cron', location: 'body' });
  });
});
