import { codePointLength, isTaskGroupId } from '@carillon/core';
import { protocolError } from './errors.js';
import type { ProtocolErrorCode } from './errors.js';
import { PROTOCOL_LIMITS } from './protocol-limits.js';

const INT32_MAX = 2_147_483_647;

/**
 * Checks message fields against the contract and throws a protocol error naming the first bad
 * field. The decoders use it on received wire values (code `Malformed`), the encoders on values
 * about to be sent (code `InvalidOutgoing`: protobufjs would otherwise coerce them silently,
 * 1.5 to 1 and NaN to 0). Values are taken as `unknown` because a peer's message can hold
 * anything the codec lets through: unknown enum numbers, integers beyond 2^53.
 */
export class FieldChecker {
  readonly #code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode) {
    this.#code = code;
  }

  /** Throws the checker's error for `field`. */
  fail(field: string, reason: string): never {
    throw protocolError(this.#code, field, reason);
  }

  /** A required id or name: a non-empty string of at most `maxLength` characters. */
  id(field: string, value: unknown, maxLength: number = PROTOCOL_LIMITS.idMaxLength): string {
    const text = this.text(field, value);
    if (text.length === 0) this.fail(field, 'is required');
    if (text.length > maxLength && codePointLength(text) > maxLength)
      this.fail(field, `is longer than ${maxLength} characters`);
    return text;
  }

  /** Any string, empty included, of at most `maxLength` characters (default: no limit). */
  text(field: string, value: unknown, maxLength = Infinity): string {
    if (typeof value !== 'string') this.fail(field, `must be a string, got ${typeof value}`);
    // Code points, as the console and the database count: UTF-16 length is an upper bound.
    if (value.length > maxLength && codePointLength(value) > maxLength)
      this.fail(field, `is longer than ${maxLength} characters`);
    return value;
  }

  /** A proto3 `optional` string: null when absent. */
  optionalText(field: string, value: unknown): string | null {
    return value === undefined || value === null ? null : this.text(field, value);
  }

  /** A boolean. */
  bool(field: string, value: unknown): boolean {
    if (typeof value !== 'boolean') this.fail(field, `must be a boolean, got ${typeof value}`);
    return value;
  }

  /** An int32 field that must be an integer of at least `min`. */
  int32(field: string, value: unknown, min: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.fail(field, `must be an integer, got ${show(value)}`);
    }
    if (value < min || value > INT32_MAX) {
      this.fail(field, `must be between ${min} and ${INT32_MAX}, got ${value}`);
    }
    return value;
  }

  /** An attempt number: an integer of at least 1. */
  attempt(field: string, value: unknown): number {
    return this.int32(field, value, 1);
  }

  /**
   * An int64 field that must be an integer of at least `min` and exactly representable in
   * JavaScript. Decoded int64s arrive as numbers (loader option `longs: Number`), so a value
   * beyond 2^53 - 1 arrives rounded and is no longer a safe integer: it is caught here.
   */
  int64(field: string, value: unknown, min: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      this.fail(field, `must be an integer of at most 2^53 - 1, got ${show(value)}`);
    }
    if (value < min) this.fail(field, `must be at least ${min}, got ${value}`);
    return value;
  }

  /** An instant in ms since the epoch: a safe integer, not negative. */
  instant(field: string, value: unknown): number {
    return this.int64(field, value, 0);
  }

  /** A proto3 `optional double` fraction from 0 to 1: null when absent. */
  fraction(field: string, value: unknown): number | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      this.fail(field, `must be a number from 0 to 1, got ${show(value)}`);
    }
    return value;
  }

  /** A four-segment task group id text, e.g. `101-1-2-6601`. */
  groupId(field: string, value: unknown): string {
    const text = this.id(field, value);
    if (!isTaskGroupId(text)) this.fail(field, `is not a task group id: "${text}"`);
    return text;
  }

  /** A value that `lookup` knows: an enum member. */
  member<T>(field: string, value: unknown, lookup: (value: unknown) => T | undefined): T {
    const known = lookup(value);
    if (known === undefined) this.fail(field, `has an unknown value: ${show(value)}`);
    return known;
  }

  /** A required nested message: an object. */
  object<T extends object>(field: string, value: T | null | undefined): T {
    if (typeof value !== 'object' || value === null) this.fail(field, 'is required');
    return value;
  }

  /** A repeated field of at least `min` items, each checked by `each` with its index. */
  list<T, U>(
    field: string,
    value: readonly T[] | null | undefined,
    each: (item: T, field: string) => U,
    min = 0,
  ): U[] {
    if (!isList(value)) this.fail(field, 'must be a list');
    if (value.length < min) this.fail(field, `must have at least ${min} item(s)`);
    return value.map((item, i) => each(item, `${field}[${i}]`));
  }
}

function isList<T>(value: readonly T[] | null | undefined): value is readonly T[] {
  return Array.isArray(value);
}

/** A received value in an error message: short, and never `[object Object]`. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 64));
  if (typeof value === 'object' && value !== null)
    return Array.isArray(value) ? 'a list' : 'an object';
  return String(value);
}

/**
 * A two-way table between a domain `as const` value and its proto enum value name. Typed as a
 * total record, so adding a member on either side without the other fails to compile.
 */
export class EnumMapping<D extends string, W extends string> {
  readonly #toWire: Readonly<Record<D, W>>;
  readonly #fromWire: ReadonlyMap<unknown, D>;

  constructor(toWire: Readonly<Record<D, W>>) {
    this.#toWire = toWire;
    this.#fromWire = new Map(
      (Object.entries(toWire) as [D, W][]).map(([domain, wire]) => [wire, domain]),
    );
  }

  /** The wire name of a domain value, or undefined when `value` is not a member. */
  readonly toWire = (value: unknown): W | undefined =>
    typeof value === 'string' && Object.hasOwn(this.#toWire, value)
      ? this.#toWire[value as D]
      : undefined;

  /** The domain value of a wire name, or undefined for an unknown or unspecified value. */
  readonly fromWire = (value: unknown): D | undefined => this.#fromWire.get(value);
}
