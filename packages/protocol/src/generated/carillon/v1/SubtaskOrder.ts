// Original file: proto/carillon/v1/dispatch.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What a subtask dispatch carries besides the Dispatch fields.
 */
export interface SubtaskOrder {
  /**
   * The execution the subtask belongs to. Required.
   */
  'parentExecutionId'?: (string);
  /**
   * Its position among the execution's items, from 1.
   */
  'position'?: (number | string | Long);
  /**
   * The item, as the first level produced it (JSON text). Required.
   */
  'payload'?: (string);
}

/**
 * What a subtask dispatch carries besides the Dispatch fields.
 */
export interface SubtaskOrder__Output {
  /**
   * The execution the subtask belongs to. Required.
   */
  'parentExecutionId': (string);
  /**
   * Its position among the execution's items, from 1.
   */
  'position': (number);
  /**
   * The item, as the first level produced it (JSON text). Required.
   */
  'payload': (string);
}
