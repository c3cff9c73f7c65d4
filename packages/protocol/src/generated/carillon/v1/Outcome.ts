// Original file: proto/carillon/v1/dispatch.proto

/**
 * How an execution ended on the client.
 */
export const Outcome = {
  OUTCOME_UNSPECIFIED: 'OUTCOME_UNSPECIFIED',
  /**
   * The handler returned.
   */
  OUTCOME_SUCCEEDED: 'OUTCOME_SUCCEEDED',
  /**
   * The handler threw (see Result.error).
   */
  OUTCOME_FAILED: 'OUTCOME_FAILED',
  /**
   * The handler was aborted: a Cancel other than TIMED_OUT, the client stopping, or the client
   * cut off from every server for longer than Welcome.fence_ms.
   */
  OUTCOME_CANCELLED: 'OUTCOME_CANCELLED',
  /**
   * The handler ran longer than Dispatch.timeout_ms, or the server sent Cancel TIMED_OUT.
   */
  OUTCOME_TIMED_OUT: 'OUTCOME_TIMED_OUT',
} as const;

/**
 * How an execution ended on the client.
 */
export type Outcome =
  | 'OUTCOME_UNSPECIFIED'
  | 0
  /**
   * The handler returned.
   */
  | 'OUTCOME_SUCCEEDED'
  | 1
  /**
   * The handler threw (see Result.error).
   */
  | 'OUTCOME_FAILED'
  | 2
  /**
   * The handler was aborted: a Cancel other than TIMED_OUT, the client stopping, or the client
   * cut off from every server for longer than Welcome.fence_ms.
   */
  | 'OUTCOME_CANCELLED'
  | 3
  /**
   * The handler ran longer than Dispatch.timeout_ms, or the server sent Cancel TIMED_OUT.
   */
  | 'OUTCOME_TIMED_OUT'
  | 4

/**
 * How an execution ended on the client.
 */
export type Outcome__Output = typeof Outcome[keyof typeof Outcome]
