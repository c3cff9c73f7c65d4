// Original file: proto/carillon/v1/dispatch.proto


/**
 * What a reduce dispatch carries besides the Dispatch fields.
 */
export interface ReduceOrder {
  /**
   * The execution whose subtasks ended. Required.
   */
  'parentExecutionId'?: (string);
  /**
   * Every subtask's outcome, once each, in position order, as a JSON array of objects
   * `{"item": <the item's JSON text, as a string>, "outcome": "succeeded" | "failed" |
   * "timed_out" | "cancelled", "result": <the subtask's result text or null>, "reason": <why it
   * failed, or null>}`.
   */
  'results'?: (string);
}

/**
 * What a reduce dispatch carries besides the Dispatch fields.
 */
export interface ReduceOrder__Output {
  /**
   * The execution whose subtasks ended. Required.
   */
  'parentExecutionId': (string);
  /**
   * Every subtask's outcome, once each, in position order, as a JSON array of objects
   * `{"item": <the item's JSON text, as a string>, "outcome": "succeeded" | "failed" |
   * "timed_out" | "cancelled", "result": <the subtask's result text or null>, "reason": <why it
   * failed, or null>}`.
   */
  'results': (string);
}
