// Original file: proto/carillon/v1/dispatch.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The client started the handler.
 */
export interface Started {
  'executionId'?: (string);
  'attempt'?: (number);
  /**
   * When the handler started (instant, ms since the epoch).
   */
  'atMs'?: (number | string | Long);
}

/**
 * The client started the handler.
 */
export interface Started__Output {
  'executionId': (string);
  'attempt': (number);
  /**
   * When the handler started (instant, ms since the epoch).
   */
  'atMs': (number);
}
