/**
 * Handles a client's reports about one execution in the order they came, and those about
 * different executions side by side. A report whose handling fails (the database away) goes to
 * `failed`, and the reports behind it are still handled: left on the chain, the rejection went
 * unhandled (which ends a Node process by default; seen in CI as a result for another server's
 * execution arrived while the test's database was gone) and every later report of that
 * execution was skipped.
 */
export class ReportChains {
  readonly #chains = new Map<string, Promise<void>>();

  /** Runs `handle` after the reports before it under `key`; its failure goes to `failed`. */
  run(key: string, handle: () => Promise<void>, failed: (error: unknown) => void): void {
    const guarded = (): Promise<void> => handle().catch(failed);
    const before = this.#chains.get(key);
    // Nothing before it: handled now rather than on a promise's turn (most reports).
    const next = before === undefined ? guarded() : before.then(guarded);
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }
}
