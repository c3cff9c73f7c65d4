import type { Clock, Coordinator, Logger, Stores } from '@carillon/core';

/** Settings of a {@link CarillonServer}; the CLI builds them from validated configuration. */
export interface ServerOptions {
  /** Stable id of this server, unique in the cluster. */
  readonly serverId: string;
  readonly cluster: number;
  readonly serverGroup: number;
  /** Machine room or availability zone. */
  readonly room: string;
  readonly stores: Stores;
  /** Started by the caller; the server registers itself in it. */
  readonly coordinator: Coordinator;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Where the gRPC endpoint listens. Port 0 picks a free one. Default 127.0.0.1:0. */
  readonly rpcHost?: string;
  readonly rpcPort?: number;
  /** The address clients should dial, if not host:port (behind NAT, containers). */
  readonly rpcAdvertisedAddress?: string;
  /** Claim fires this long before their instant. Default 300 ms. */
  readonly leadMs?: number;
  /** A fire later than this counts as missed and goes to the misfire policy. Default 5,000 ms. */
  readonly misfireThresholdMs?: number;
  /** `fire_all` fires at most this many missed instants per job. Default 100. */
  readonly fireAllCap?: number;
  /** How often to look for manual fires and cancel requests missed by notices. Default 2,000 ms. */
  readonly pollMs?: number;
  /** Heartbeat interval told to clients. Default 2,000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** How long a client cut off from every server keeps running handlers. Default 10,000 ms. */
  readonly fenceMs?: number;
  /**
   * After a restart, how long executions this server left running wait for their client to
   * report before they are dispatched again. Default fenceMs + 5,000 ms, so that a cut-off
   * client has aborted them by then.
   */
  readonly recoveryGraceMs?: number;
}
