// Original file: proto/carillon/v1/dispatch.proto


/**
 * The in-flight count of one handler.
 */
export interface HandlerLoad {
  /**
   * A handler name from Hello.handlers. Required.
   */
  'name'?: (string);
  /**
   * Its executions accepted and not yet finished. At least 0.
   */
  'inFlight'?: (number);
  /**
   * Of those, executions whose handler has not returned well after its signal aborted (timed
   * out or cancelled, plus a grace): their slots are lost to the handler until it returns.
   * At least 0, at most in_flight. Absent (0) from older clients.
   */
  'hung'?: (number);
}

/**
 * The in-flight count of one handler.
 */
export interface HandlerLoad__Output {
  /**
   * A handler name from Hello.handlers. Required.
   */
  'name': (string);
  /**
   * Its executions accepted and not yet finished. At least 0.
   */
  'inFlight': (number);
  /**
   * Of those, executions whose handler has not returned well after its signal aborted (timed
   * out or cancelled, plus a grace): their slots are lost to the handler until it returns.
   * At least 0, at most in_flight. Absent (0) from older clients.
   */
  'hung': (number);
}
