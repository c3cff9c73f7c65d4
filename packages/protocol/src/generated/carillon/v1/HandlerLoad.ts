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
}
