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
    const raw = this.#env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.#problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
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
