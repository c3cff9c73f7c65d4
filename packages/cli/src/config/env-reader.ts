import { readFileSync } from 'node:fs';
import { CarillonError } from '@carillon/core';
import { CliErrorCode } from '../errors.js';

/** Reads typed values from environment variables, collecting every problem before failing. */
export class EnvReader {
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #problems: string[] = [];

  constructor(env: Readonly<Record<string, string | undefined>>) {
    this.#env = env;
  }

  string(name: string, fallback: string): string {
    const value = this.#env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.#env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    return this.integerValue(name, this.#env[name], fallback, min, max);
  }

  /** Checks an integer given by a flag or variable called `label`; `raw` undefined is `fallback`. */
  integerValue(
    label: string,
    raw: string | undefined,
    fallback: number,
    min: number,
    max: number,
  ): number {
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.#problems.push(`${label} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  /** Reads a file a variable names, or records why it cannot be read. */
  file(name: string, path: string): Buffer | undefined {
    try {
      return readFileSync(path);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.#problems.push(`${name}: cannot read "${path}" (${String(code ?? error)})`);
      return undefined;
    }
  }

  problem(message: string): void {
    this.#problems.push(message);
  }

  /** @throws CarillonError `CARILLON_INVALID_CONFIG` listing every problem found. */
  done(): void {
    if (this.#problems.length > 0) {
      throw new CarillonError(
        CliErrorCode.InvalidConfig,
        `invalid configuration:\n  ${this.#problems.join('\n  ')}`,
      );
    }
  }
}
