// Original file: proto/carillon/v1/dispatch.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Items of a parallel job's execution that its first-level handler (`dispatch`) produced, sent
 * in chunks while that handler runs, before its Result. Each item becomes one subtask; the
 * server derives the subtask's id from the execution id and the item's position, so a chunk sent
 * again (after a reconnect, say) changes nothing. The server ignores a chunk whose attempt is not
 * the execution's current one.
 */
export interface SubtaskChunk {
  /**
   * The execution (its first level). Required.
   */
  'executionId'?: (string);
  'attempt'?: (number);
  /**
   * The position of the first item, from 1; the chunk's items follow it. At least 1.
   */
  'firstPosition'?: (number | string | Long);
  /**
   * The items, each a JSON text. At least one.
   */
  'payloads'?: (string)[];
}

/**
 * Items of a parallel job's execution that its first-level handler (`dispatch`) produced, sent
 * in chunks while that handler runs, before its Result. Each item becomes one subtask; the
 * server derives the subtask's id from the execution id and the item's position, so a chunk sent
 * again (after a reconnect, say) changes nothing. The server ignores a chunk whose attempt is not
 * the execution's current one.
 */
export interface SubtaskChunk__Output {
  /**
   * The execution (its first level). Required.
   */
  'executionId': (string);
  'attempt': (number);
  /**
   * The position of the first item, from 1; the chunk's items follow it. At least 1.
   */
  'firstPosition': (number);
  /**
   * The items, each a JSON text. At least one.
   */
  'payloads': (string)[];
}
