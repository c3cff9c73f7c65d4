import type { ExecutionContext } from './execution-context.js';

/**
 * A job type's handler: what a client runs for each execution the servers dispatch to it.
 * Register it with `client.register(name, handler)`.
 */
export interface JobHandler {
  /** `simple` (the default) for a handler that runs each execution whole. */
  readonly kind?: 'simple';
  /**
   * How many executions of this job type run at once on this client (its JobPool's size); a
   * dispatch beyond it is refused, and the server places it on another client. Default 1.
   */
  readonly concurrency?: number;
  /**
   * Runs one execution. The returned value is the result: a string as it is, anything else as
   * JSON (nothing for `undefined`). Throw to fail (the job may be retried); throw a
   * `NonRetryableError` to fail without retries. Stop promptly when `ctx.signal` aborts: the
   * execution's slot stays taken until this function really ends.
   */
  execute(ctx: ExecutionContext): unknown;
}
