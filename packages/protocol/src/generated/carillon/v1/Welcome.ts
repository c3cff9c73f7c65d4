// Original file: proto/carillon/v1/dispatch.proto

import type { Long } from '@grpc/proto-loader';

/**
 * The server accepted the Hello; dispatches may follow.
 */
export interface Welcome {
  /**
   * The server's stable id. Required.
   */
  'serverId'?: (string);
  /**
   * How often the client sends Heartbeat on this stream. At least 1.
   */
  'heartbeatIntervalMs'?: (number | string | Long);
  /**
   * How long a client cut off from every server may keep running handlers before it aborts
   * them (see "Cut off" above). At least 1.
   */
  'fenceMs'?: (number | string | Long);
  /**
   * The protocol version the server speaks on this stream (at least 1, at most the Hello's).
   */
  'protocolVersion'?: (number);
  /**
   * The server's clock when it sent the Welcome (instant, ms since the epoch), so that the
   * client can estimate clock skew; dispatches' scheduled_at_ms are on the server's clock.
   */
  'serverTimeMs'?: (number | string | Long);
}

/**
 * The server accepted the Hello; dispatches may follow.
 */
export interface Welcome__Output {
  /**
   * The server's stable id. Required.
   */
  'serverId': (string);
  /**
   * How often the client sends Heartbeat on this stream. At least 1.
   */
  'heartbeatIntervalMs': (number);
  /**
   * How long a client cut off from every server may keep running handlers before it aborts
   * them (see "Cut off" above). At least 1.
   */
  'fenceMs': (number);
  /**
   * The protocol version the server speaks on this stream (at least 1, at most the Hello's).
   */
  'protocolVersion': (number);
  /**
   * The server's clock when it sent the Welcome (instant, ms since the epoch), so that the
   * client can estimate clock skew; dispatches' scheduled_at_ms are on the server's clock.
   */
  'serverTimeMs': (number);
}
