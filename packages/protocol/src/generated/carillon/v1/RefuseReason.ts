// Original file: proto/carillon/v1/dispatch.proto

/**
 * Why a client refused a dispatch.
 */
export const RefuseReason = {
  REFUSE_REASON_UNSPECIFIED: 'REFUSE_REASON_UNSPECIFIED',
  /**
   * The handler's concurrency or the client's capacity is used up.
   */
  REFUSE_REASON_AT_CAPACITY: 'REFUSE_REASON_AT_CAPACITY',
  /**
   * The client has not registered the dispatch's handler.
   */
  REFUSE_REASON_UNKNOWN_HANDLER: 'REFUSE_REASON_UNKNOWN_HANDLER',
  /**
   * The client is stopping and takes no new work.
   */
  REFUSE_REASON_STOPPING: 'REFUSE_REASON_STOPPING',
} as const;

/**
 * Why a client refused a dispatch.
 */
export type RefuseReason =
  | 'REFUSE_REASON_UNSPECIFIED'
  | 0
  /**
   * The handler's concurrency or the client's capacity is used up.
   */
  | 'REFUSE_REASON_AT_CAPACITY'
  | 1
  /**
   * The client has not registered the dispatch's handler.
   */
  | 'REFUSE_REASON_UNKNOWN_HANDLER'
  | 2
  /**
   * The client is stopping and takes no new work.
   */
  | 'REFUSE_REASON_STOPPING'
  | 3

/**
 * Why a client refused a dispatch.
 */
export type RefuseReason__Output = typeof RefuseReason[keyof typeof RefuseReason]
