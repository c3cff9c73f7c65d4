// Original file: proto/carillon/v1/dispatch.proto

import type { CancelReason as _carillon_v1_CancelReason, CancelReason__Output as _carillon_v1_CancelReason__Output } from '../../carillon/v1/CancelReason.js';

/**
 * Stop running an execution. The client aborts the handler and sends a Result: TIMED_OUT for
 * reason TIMED_OUT, CANCELLED otherwise (or the handler's own outcome if it finished first). A
 * Cancel for an execution or attempt the client does not hold is ignored.
 */
export interface Cancel {
  /**
   * The execution's id. Required.
   */
  'executionId'?: (string);
  /**
   * The attempt to stop, from 1. Required.
   */
  'attempt'?: (number);
  /**
   * Why. Required.
   */
  'reason'?: (_carillon_v1_CancelReason);
  /**
   * Details in words, for the handler's log; may be empty.
   */
  'message'?: (string);
}

/**
 * Stop running an execution. The client aborts the handler and sends a Result: TIMED_OUT for
 * reason TIMED_OUT, CANCELLED otherwise (or the handler's own outcome if it finished first). A
 * Cancel for an execution or attempt the client does not hold is ignored.
 */
export interface Cancel__Output {
  /**
   * The execution's id. Required.
   */
  'executionId': (string);
  /**
   * The attempt to stop, from 1. Required.
   */
  'attempt': (number);
  /**
   * Why. Required.
   */
  'reason': (_carillon_v1_CancelReason__Output);
  /**
   * Details in words, for the handler's log; may be empty.
   */
  'message': (string);
}
