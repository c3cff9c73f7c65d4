// Original file: proto/carillon/v1/dispatch.proto

/**
 * Why an execution exists.
 */
export const ExecutionCause = {
  EXECUTION_CAUSE_UNSPECIFIED: 'EXECUTION_CAUSE_UNSPECIFIED',
  /**
   * Its job's trigger fell due.
   */
  EXECUTION_CAUSE_SCHEDULE: 'EXECUTION_CAUSE_SCHEDULE',
  /**
   * A user or the API asked for one fire ("trigger once").
   */
  EXECUTION_CAUSE_MANUAL: 'EXECUTION_CAUSE_MANUAL',
  /**
   * An earlier execution of the job failed and the job allows retries.
   */
  EXECUTION_CAUSE_RETRY: 'EXECUTION_CAUSE_RETRY',
  /**
   * Its server died and another server adopted it.
   */
  EXECUTION_CAUSE_FAILOVER: 'EXECUTION_CAUSE_FAILOVER',
  /**
   * It was missed while no server could fire it, and the misfire policy fires it now.
   */
  EXECUTION_CAUSE_MISFIRE: 'EXECUTION_CAUSE_MISFIRE',
} as const;

/**
 * Why an execution exists.
 */
export type ExecutionCause =
  | 'EXECUTION_CAUSE_UNSPECIFIED'
  | 0
  /**
   * Its job's trigger fell due.
   */
  | 'EXECUTION_CAUSE_SCHEDULE'
  | 1
  /**
   * A user or the API asked for one fire ("trigger once").
   */
  | 'EXECUTION_CAUSE_MANUAL'
  | 2
  /**
   * An earlier execution of the job failed and the job allows retries.
   */
  | 'EXECUTION_CAUSE_RETRY'
  | 3
  /**
   * Its server died and another server adopted it.
   */
  | 'EXECUTION_CAUSE_FAILOVER'
  | 4
  /**
   * It was missed while no server could fire it, and the misfire policy fires it now.
   */
  | 'EXECUTION_CAUSE_MISFIRE'
  | 5

/**
 * Why an execution exists.
 */
export type ExecutionCause__Output = typeof ExecutionCause[keyof typeof ExecutionCause]
