// Original file: proto/carillon/v1/dispatch.proto

/**
 * Why a server cancels an execution.
 */
export const CancelReason = {
  CANCEL_REASON_UNSPECIFIED: 'CANCEL_REASON_UNSPECIFIED',
  /**
   * A user or the API asked for it.
   */
  CANCEL_REASON_REQUESTED: 'CANCEL_REASON_REQUESTED',
  /**
   * It ran longer than its job's timeout.
   */
  CANCEL_REASON_TIMED_OUT: 'CANCEL_REASON_TIMED_OUT',
  /**
   * A newer fire of the same job replaces it (overlap policy "cancel previous").
   */
  CANCEL_REASON_OVERLAP: 'CANCEL_REASON_OVERLAP',
  /**
   * The server gave up on this attempt (for example it lost track of the client) and may have
   * dispatched the execution again.
   */
  CANCEL_REASON_SUPERSEDED: 'CANCEL_REASON_SUPERSEDED',
} as const;

/**
 * Why a server cancels an execution.
 */
export type CancelReason =
  | 'CANCEL_REASON_UNSPECIFIED'
  | 0
  /**
   * A user or the API asked for it.
   */
  | 'CANCEL_REASON_REQUESTED'
  | 1
  /**
   * It ran longer than its job's timeout.
   */
  | 'CANCEL_REASON_TIMED_OUT'
  | 2
  /**
   * A newer fire of the same job replaces it (overlap policy "cancel previous").
   */
  | 'CANCEL_REASON_OVERLAP'
  | 3
  /**
   * The server gave up on this attempt (for example it lost track of the client) and may have
   * dispatched the execution again.
   */
  | 'CANCEL_REASON_SUPERSEDED'
  | 4

/**
 * Why a server cancels an execution.
 */
export type CancelReason__Output = typeof CancelReason[keyof typeof CancelReason]
