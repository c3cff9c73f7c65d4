import type { FastifyRequest } from 'fastify';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const INTEGER = /^-?[0-9]{1,15}$/;

function coerce(values: unknown, schema: unknown): void {
  if (!isRecord(values) || !isRecord(schema) || !isRecord(schema.properties)) return;
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = values[key];
    if (isRecord(property) && property.type === 'integer' && typeof value === 'string') {
      if (INTEGER.test(value)) values[key] = Number(value);
    }
  }
}

/**
 * A `preValidation` hook that turns the path and query values that the route's schema declares
 * `integer` from digit strings into numbers. The console's Ajv does not coerce types, so that a
 * JSON body with `"timeoutMs": "5"` is refused; path and query values are always text, so they
 * are converted here, and only where the schema asks for an integer.
 */
export function coerceIntegers(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema;
  if (schema !== undefined) {
    coerce(request.params, schema.params);
    coerce(request.query, schema.querystring);
  }
  return Promise.resolve();
}
