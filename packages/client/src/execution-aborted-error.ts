/** Why the SDK aborted a handler's signal. */
export const AbortReason = {
  /** The server cancelled the execution (a user asked, overlap policy, or superseded). */
  Cancelled: 'cancelled',
  /** The execution ran longer than its job's timeout (here or by the server's Cancel). */
  TimedOut: 'timed_out',
  /** The client is stopping and the grace period ran out. */
  Stopping: 'stopping',
  /** The client was cut off from every server for longer than the fence interval. */
  Fenced: 'fenced',
} as const;
/** One of the {@link AbortReason} values. */
export type AbortReason = (typeof AbortReason)[keyof typeof AbortReason];

/**
 * The `reason` of an aborted `ctx.signal`: says why the SDK stopped the handler. A handler may
 * throw it (e.g. through `signal.throwIfAborted()`); the outcome is then `cancelled` or
 * `timed_out` either way.
 *
 * @example
 * async execute(ctx) {
 *   ctx.signal.addEventListener('abort', () => {
 *     const why = ctx.signal.reason as ExecutionAbortedError;
 *     ctx.log(`stopping: ${why.reason}`, 'warn');
 *   });
 * }
 */
export class ExecutionAbortedError extends Error {
  override name = 'ExecutionAbortedError';
  /** Why the handler was aborted. */
  readonly reason: AbortReason;

  constructor(reason: AbortReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
