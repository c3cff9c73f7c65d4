/**
 * Thrown by a handler to fail an execution without retries: the result is `failed` with
 * `retryable: false`, so the server skips the job's remaining retries. Any other error fails the
 * execution with `retryable: true`. Subclass it for your own non-retryable kinds; the subclass's
 * `name` becomes the error's `type` on the wire.
 *
 * @example
 * client.register('charge-card', {
 *   async execute(ctx) {
 *     const order = JSON.parse(ctx.param ?? '{}');
 *     if (order.amount === undefined) throw new NonRetryableError('the order has no amount');
 *     return await charge(order, { signal: ctx.signal });
 *   },
 * });
 */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
  /** Always true; lets code that cannot use `instanceof` (several copies of the SDK) tell. */
  readonly nonRetryable = true as const;

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
