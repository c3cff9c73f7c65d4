// Original file: proto/carillon/v1/dispatch.proto

import type { RefuseReason as _carillon_v1_RefuseReason, RefuseReason__Output as _carillon_v1_RefuseReason__Output } from '../../carillon/v1/RefuseReason.js';

/**
 * The client will not run a dispatch; the server places it elsewhere (next attempt).
 */
export interface Refused {
  'executionId'?: (string);
  'attempt'?: (number);
  /**
   * Why. Required.
   */
  'reason'?: (_carillon_v1_RefuseReason);
  /**
   * Details in words, for logs; may be empty.
   */
  'message'?: (string);
}

/**
 * The client will not run a dispatch; the server places it elsewhere (next attempt).
 */
export interface Refused__Output {
  'executionId': (string);
  'attempt': (number);
  /**
   * Why. Required.
   */
  'reason': (_carillon_v1_RefuseReason__Output);
  /**
   * Details in words, for logs; may be empty.
   */
  'message': (string);
}
