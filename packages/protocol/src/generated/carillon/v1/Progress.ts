// Original file: proto/carillon/v1/dispatch.proto

import type { Long } from '@grpc/proto-loader';

/**
 * How far the handler has got. Servers keep the latest.
 */
export interface Progress {
  'executionId'?: (string);
  'attempt'?: (number);
  /**
   * When the progress was reported (instant, ms since the epoch).
   */
  'atMs'?: (number | string | Long);
  /**
   * The fraction done, from 0 to 1 inclusive; absent when the handler only says `message`.
   */
  'fraction'?: (number | string);
  /**
   * What the handler is doing, in words; absent when it only reports `fraction`.
   */
  'message'?: (string);
  '_fraction'?: "fraction";
  '_message'?: "message";
}

/**
 * How far the handler has got. Servers keep the latest.
 */
export interface Progress__Output {
  'executionId': (string);
  'attempt': (number);
  /**
   * When the progress was reported (instant, ms since the epoch).
   */
  'atMs': (number);
  /**
   * The fraction done, from 0 to 1 inclusive; absent when the handler only says `message`.
   */
  'fraction'?: (number);
  /**
   * What the handler is doing, in words; absent when it only reports `fraction`.
   */
  'message'?: (string);
  '_fraction'?: "fraction";
  '_message'?: "message";
}
