// Original file: proto/carillon/v1/dispatch.proto

import type { HelloRejectCode as _carillon_v1_HelloRejectCode, HelloRejectCode__Output as _carillon_v1_HelloRejectCode__Output } from '../../carillon/v1/HelloRejectCode.js';

/**
 * The server refused the Hello and ends the stream.
 */
export interface HelloRejected {
  /**
   * Why. Required.
   */
  'code'?: (_carillon_v1_HelloRejectCode);
  /**
   * Details in words, for the client's log; may be empty.
   */
  'message'?: (string);
}

/**
 * The server refused the Hello and ends the stream.
 */
export interface HelloRejected__Output {
  /**
   * Why. Required.
   */
  'code': (_carillon_v1_HelloRejectCode__Output);
  /**
   * Details in words, for the client's log; may be empty.
   */
  'message': (string);
}
