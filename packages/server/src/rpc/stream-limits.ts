/** Limits on each client stream; a client past one is told why and disconnected. */
export interface StreamLimits {
  /** A stream with no accepted hello after this long is closed. */
  readonly helloTimeoutMs: number;
  /** The largest message a client may send, in encoded bytes. */
  readonly maxMessageBytes: number;
  /** Messages (each report of a batch counts) a client may send in one second. */
  readonly maxMessagesPerSecond: number;
  /** How long a client cut off for its message rate may not connect again. */
  readonly rateCoolDownMs: number;
  /** How often the client tokens of live streams are checked for revocation. */
  readonly tokenCheckMs: number;
  /** Refused hellos an address may send in 10 s before it is kept off; 0: no limit. */
  readonly refusedHelloLimit: number;
  /** How long an address over that limit has its hellos closed unchecked. */
  readonly refusedHelloCoolDownMs: number;
  /** Streams of one address that may wait for their hello at once; 0: no cap. */
  readonly maxPendingHellos: number;
}
