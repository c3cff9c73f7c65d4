/**
 * Lets at most `limit` password checks (each an scrypt of 32 MiB) run at once in this console;
 * the others wait their turn. A flood of sign-ins then costs bounded memory and CPU, and is
 * slowed down rather than refused: nobody is locked out, they wait in line.
 */
export class PasswordGate {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Runs `check` when a slot is free. */
  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await check();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next in line, so `#running` stays as it is.
      if (next !== undefined) next();
      else this.#running -= 1;
    }
  }
}
