// Original file: proto/carillon/v1/dispatch.proto


/**
 * What a shard dispatch carries besides the Dispatch fields.
 */
export interface ShardOrder {
  /**
   * The execution the shard belongs to. Required.
   */
  'parentExecutionId'?: (string);
  /**
   * The shard's index, from 0 (for a broadcast share: the client's place among the clients of
   * the fire, in client id order).
   */
  'index'?: (number);
  /**
   * Shards in the execution (clients of a broadcast fire). At least 1, more than `index`.
   */
  'count'?: (number);
  /**
   * The shard's parameter (the job's `shardParams` at `index`); absent when it has none.
   */
  'param'?: (string);
  '_param'?: "param";
}

/**
 * What a shard dispatch carries besides the Dispatch fields.
 */
export interface ShardOrder__Output {
  /**
   * The execution the shard belongs to. Required.
   */
  'parentExecutionId': (string);
  /**
   * The shard's index, from 0 (for a broadcast share: the client's place among the clients of
   * the fire, in client id order).
   */
  'index': (number);
  /**
   * Shards in the execution (clients of a broadcast fire). At least 1, more than `index`.
   */
  'count': (number);
  /**
   * The shard's parameter (the job's `shardParams` at `index`); absent when it has none.
   */
  'param'?: (string);
  '_param'?: "param";
}
