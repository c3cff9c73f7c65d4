import type { Clock, Coordinator, Logger, Stores } from '@carillon/core';
import type { ServerTls } from '@carillon/protocol';

/**
 * How much earlier than the lead a server claims fires by default: a thousand-row claim on a busy
 * MariaDB took 100 ms to over 600 ms when measured (docs/backlog-and-dispatch.md).
 */
export const DEFAULT_CLAIM_AHEAD_MS = 700;

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
  /** TLS (or mutual TLS) for the gRPC endpoint. Default: plaintext. */
  readonly rpcTls?: ServerTls;
  /** Hand fires to the dispatcher (route and send them) this long before their instant. Default 300 ms. */
  readonly leadMs?: number;
  /**
   * Claim fires this much earlier than `leadMs` and hold them until then, so that a slow claim
   * statement (a busy database) does not make an instant late. Default 700 ms.
   */
  readonly claimAheadMs?: number;
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
  /**
   * A database statement unanswered for this long (a locked table) counts as the database
   * failing, in the server's `health` and the logs. Default 5,000 ms.
   */
  readonly databaseStallMs?: number;
  /**
   * A job's holder that left the membership keeps its place this long (a restart, a short
   * partition) before the holder-assignment leader gives the job another. Default 10,000 ms.
   */
  readonly holderGraceMs?: number;
  /**
   * How often the server writes its heartbeat (`servers.lastSeenAt`, stamped by the database's
   * clock). Its peers' are read only when a standby asks about one. Default 100 ms.
   */
  readonly livenessWriteMs?: number;
  /**
   * A peer whose last heartbeat is this much older than this server's own (both stamped by the
   * database's clock, and counted only over this server's own unbroken run of beats) counts as
   * gone: its claimed fires that were not dispatched are adopted by a standby holder. Default
   * 600 ms.
   */
  readonly goneAfterMs?: number;
  /** How long after an instant a standby holder checks that the fire was claimed. Default 200 ms. */
  readonly standbyCheckDelayMs?: number;
  /**
   * A server out of the membership and silent for this long has its unfinished executions
   * adopted by a holder that finds them, even if no peer saw it leave. Default 5,000 ms.
   */
  readonly orphanGraceMs?: number;
  /** A client stream with no accepted hello after this long is closed. Default 5,000 ms. */
  readonly helloTimeoutMs?: number;
  /** The largest message a client may send, in bytes. Default 8 MiB (the protocol's limit). */
  readonly maxMessageBytes?: number;
  /**
   * Messages a client may send on one stream in one second (each report of a batch counts, log
   * lines included); past it the stream is closed with RESOURCE_EXHAUSTED. Default 100,000: a
   * client sends about three reports per execution, so this leaves room for a client draining
   * a backlog at tens of thousands of executions a second, and still bounds a flood.
   */
  readonly maxMessagesPerSecond?: number;
  /**
   * How long a client whose stream was closed for its message rate may not connect again (its
   * hellos are answered RESOURCE_EXHAUSTED, with the time left). Default 3,000 ms. Keep it well
   * under the fence interval: a client kept off longer has its work dispatched again.
   */
  readonly rateCoolDownMs?: number;
  /**
   * How often the client tokens of live streams are checked: a revoked token or a deleted task
   * group closes its streams within about this long. Default 500 ms.
   */
  readonly tokenCheckMs?: number;
  /**
   * Hellos the server may refuse (bad token, unknown group, wrong ServerGroup, or none within
   * the hello timeout) from one network address within 10 s. Past it, that address's hellos are closed with RESOURCE_EXHAUSTED
   * unchecked (no store lookup, no log line) for `refusedHelloCoolDownMs`, except those with a
   * client token this server accepted in the last ten minutes. Default 50; 0: no limit.
   */
  readonly refusedHelloLimit?: number;
  /** How long an address over `refusedHelloLimit` is kept off. Default 10,000 ms. */
  readonly refusedHelloCoolDownMs?: number;
  /**
   * Streams of one network address that may wait for their hello (to arrive or to be checked)
   * at once; more are ended with RESOURCE_EXHAUSTED as they open. Default 200; 0: no cap.
   */
  readonly maxPendingHellos?: number;
}
