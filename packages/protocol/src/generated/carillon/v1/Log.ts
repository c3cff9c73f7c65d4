// Original file: proto/carillon/v1/dispatch.proto

import type { LogLevel as _carillon_v1_LogLevel, LogLevel__Output as _carillon_v1_LogLevel__Output } from '../../carillon/v1/LogLevel.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One log line written by the handler.
 */
export interface Log {
  'executionId'?: (string);
  'attempt'?: (number);
  /**
   * When the line was written (instant, ms since the epoch).
   */
  'atMs'?: (number | string | Long);
  /**
   * Required.
   */
  'level'?: (_carillon_v1_LogLevel);
  /**
   * The line, UTF-8; may be empty. Servers may truncate very long lines.
   */
  'message'?: (string);
}

/**
 * One log line written by the handler.
 */
export interface Log__Output {
  'executionId': (string);
  'attempt': (number);
  /**
   * When the line was written (instant, ms since the epoch).
   */
  'atMs': (number);
  /**
   * Required.
   */
  'level': (_carillon_v1_LogLevel__Output);
  /**
   * The line, UTF-8; may be empty. Servers may truncate very long lines.
   */
  'message': (string);
}
