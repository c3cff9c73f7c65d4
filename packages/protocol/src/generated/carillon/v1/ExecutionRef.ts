// Original file: proto/carillon/v1/dispatch.proto


/**
 * Names one attempt of one execution.
 */
export interface ExecutionRef {
  /**
   * The execution's id. Required.
   */
  'executionId'?: (string);
  /**
   * The dispatch attempt, from 1. Required.
   */
  'attempt'?: (number);
}

/**
 * Names one attempt of one execution.
 */
export interface ExecutionRef__Output {
  /**
   * The execution's id. Required.
   */
  'executionId': (string);
  /**
   * The dispatch attempt, from 1. Required.
   */
  'attempt': (number);
}
