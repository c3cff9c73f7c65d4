// Original file: proto/carillon/v1/dispatch.proto

import type { Dispatch as _carillon_v1_Dispatch, Dispatch__Output as _carillon_v1_Dispatch__Output } from '../../carillon/v1/Dispatch.js';

/**
 * Executions to run now. Many fires fall due at the same instant, so the server sends them in
 * one message (one stream write) rather than one message each. The client answers each
 * Dispatch on its own, with Accepted (or Started) or Refused.
 */
export interface DispatchBatch {
  /**
   * At least one.
   */
  'dispatches'?: (_carillon_v1_Dispatch)[];
}

/**
 * Executions to run now. Many fires fall due at the same instant, so the server sends them in
 * one message (one stream write) rather than one message each. The client answers each
 * Dispatch on its own, with Accepted (or Started) or Refused.
 */
export interface DispatchBatch__Output {
  /**
   * At least one.
   */
  'dispatches': (_carillon_v1_Dispatch__Output)[];
}
