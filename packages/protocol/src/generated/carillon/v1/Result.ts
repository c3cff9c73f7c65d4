// Original file: proto/carillon/v1/dispatch.proto

import type { Outcome as _carillon_v1_Outcome, Outcome__Output as _carillon_v1_Outcome__Output } from '../../carillon/v1/Outcome.js';
import type { HandlerError as _carillon_v1_HandlerError, HandlerError__Output as _carillon_v1_HandlerError__Output } from '../../carillon/v1/HandlerError.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The handler finished. A client sends it once per accepted dispatch (again after a reconnect
 * when unsure it arrived; servers keep the first).
 */
export interface Result {
  'executionId'?: (string);
  'attempt'?: (number);
  /**
   * When the handler finished (instant, ms since the epoch).
   */
  'atMs'?: (number | string | Long);
  /**
   * How it ended. Required.
   */
  'outcome'?: (_carillon_v1_Outcome);
  /**
   * What the handler returned, as text (JSON or plain); absent when it returned nothing.
   */
  'result'?: (string);
  /**
   * Why it failed; normally present when outcome is FAILED, absent when SUCCEEDED.
   */
  'error'?: (_carillon_v1_HandlerError | null);
  '_result'?: "result";
  '_error'?: "error";
}

/**
 * The handler finished. A client sends it once per accepted dispatch (again after a reconnect
 * when unsure it arrived; servers keep the first).
 */
export interface Result__Output {
  'executionId': (string);
  'attempt': (number);
  /**
   * When the handler finished (instant, ms since the epoch).
   */
  'atMs': (number);
  /**
   * How it ended. Required.
   */
  'outcome': (_carillon_v1_Outcome__Output);
  /**
   * What the handler returned, as text (JSON or plain); absent when it returned nothing.
   */
  'result'?: (string);
  /**
   * Why it failed; normally present when outcome is FAILED, absent when SUCCEEDED.
   */
  'error'?: (_carillon_v1_HandlerError__Output | null);
  '_result'?: "result";
  '_error'?: "error";
}
