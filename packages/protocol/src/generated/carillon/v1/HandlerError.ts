// Original file: proto/carillon/v1/dispatch.proto


/**
 * A handler's failure, as data.
 */
export interface HandlerError {
  /**
   * The error's class or kind, e.g. "TypeError" or "NonRetryableError". Required.
   */
  'type'?: (string);
  /**
   * The error's message; may be empty.
   */
  'message'?: (string);
  /**
   * The stack trace, if the language has one.
   */
  'stack'?: (string);
  /**
   * False when the handler said that trying again cannot help (the job's retries are skipped).
   */
  'retryable'?: (boolean);
  '_stack'?: "stack";
}

/**
 * A handler's failure, as data.
 */
export interface HandlerError__Output {
  /**
   * The error's class or kind, e.g. "TypeError" or "NonRetryableError". Required.
   */
  'type': (string);
  /**
   * The error's message; may be empty.
   */
  'message': (string);
  /**
   * The stack trace, if the language has one.
   */
  'stack'?: (string);
  /**
   * False when the handler said that trying again cannot help (the job's retries are skipped).
   */
  'retryable': (boolean);
  '_stack'?: "stack";
}
