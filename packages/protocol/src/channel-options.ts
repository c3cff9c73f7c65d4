import { PROTOCOL_LIMITS } from './protocol-limits.js';

// Measured (shared/FINDINGS.md, "gRPC and timers in Node 20"): a killed peer is seen in < 25 ms
// by any transport, but a frozen one (SIGSTOP, a partition without FIN/RST) is never seen with
// gRPC's defaults. Keepalive 1 s / 1 s detected it in 1.2 s. An initial reconnect backoff of
// 100 ms (instead of 1 s) brought reconnection from 1.45 s down to 0.47 s.
// A live server can be frozen too: better-sqlite3 waits synchronously for a lock, up to SQLite's
// busy_timeout (5 s by default), and a long GC stops everything. A ping timeout shorter than that
// took such a server for dead (1.5 s lost client streams under 2 s locks). 6 s outlasts the
// busy_timeout; a frozen peer is still noticed within 3 s + 6 s, inside the 10 s fence interval.

/** How often each end pings the other on an idle connection (ms). */
export const KEEPALIVE_TIME_MS = 3_000;

/**
 * How long a ping may go unanswered before the connection is declared dead (ms): longer than a
 * live process may be frozen (SQLite's busy_timeout).
 */
export const KEEPALIVE_TIMEOUT_MS = 6_000;

/**
 * Channel options for a client's connection to a server: keepalive, fast reconnection and the
 * contract's message size. Pass them to `DispatcherClient` (it applies them by default).
 */
export const CLIENT_CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  // The stream is the only call and may sit idle between fires: ping anyway.
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 5_000,
  'grpc.max_receive_message_length': PROTOCOL_LIMITS.maxMessageBytes,
  'grpc.max_send_message_length': PROTOCOL_LIMITS.maxMessageBytes,
} as const;

/**
 * Options for a server's gRPC listener: the same keepalive as clients, so that a server notices
 * a frozen client (and re-dispatches its work) as fast as the client notices a frozen server.
 */
export const SERVER_CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': PROTOCOL_LIMITS.maxMessageBytes,
  'grpc.max_send_message_length': PROTOCOL_LIMITS.maxMessageBytes,
} as const;
