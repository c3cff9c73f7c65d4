// Original file: proto/carillon/v1/dispatch.proto


/**
 * A job type that a client registered, with its own concurrency limit.
 */
export interface HandlerInfo {
  /**
   * The handler name that jobs name in their `handler` setting. Required, at most 128
   * characters.
   */
  'name'?: (string);
  /**
   * How many executions of this handler the client runs at once. At least 1.
   */
  'concurrency'?: (number);
}

/**
 * A job type that a client registered, with its own concurrency limit.
 */
export interface HandlerInfo__Output {
  /**
   * The handler name that jobs name in their `handler` setting. Required, at most 128
   * characters.
   */
  'name': (string);
  /**
   * How many executions of this handler the client runs at once. At least 1.
   */
  'concurrency': (number);
}
