import type { Logger, UserStore } from '@carillon/core';

/** A live stream as the token watch sees it. */
export interface WatchedStream {
  readonly clientId: string;
  readonly groupId: string;
  /** SHA-256 of the client token the stream authenticated with. */
  readonly tokenHash: string;
}

/**
 * Re-checks, every `intervalMs`, the client tokens of live streams, and names the streams whose
 * token was revoked or whose task group was deleted (deleting a group deletes its tokens). One
 * query for all of them, whatever the number of streams.
 */
export class TokenWatch {
  readonly #users: UserStore;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #streams: () => Iterable<WatchedStream>;
  readonly #revoked: (streams: readonly WatchedStream[]) => void;
  #timer: NodeJS.Timeout | undefined;
  #checking = false;
  #failing = false;

  constructor(options: {
    readonly users: UserStore;
    readonly logger: Logger;
    readonly intervalMs: number;
    readonly streams: () => Iterable<WatchedStream>;
    readonly revoked: (streams: readonly WatchedStream[]) => void;
  }) {
    this.#users = options.users;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
    this.#streams = options.streams;
    this.#revoked = options.revoked;
  }

  start(): void {
    // Real time, not the injected clock: this is polling the store, not a schedule.
    this.#timer = setInterval(() => void this.check(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Checks once now (skipped while a check is still running). */
  async check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const byToken = new Map<string, WatchedStream[]>();
      for (const stream of this.#streams()) {
        const list = byToken.get(stream.tokenHash);
        if (list === undefined) byToken.set(stream.tokenHash, [stream]);
        else list.push(stream);
      }
      if (byToken.size === 0) return;
      const valid = await this.#users.findTokens([...byToken.keys()]);
      const gone: WatchedStream[] = [];
      for (const [hash, streams] of byToken) {
        for (const s of streams) if (valid.get(hash)?.groupId !== s.groupId) gone.push(s);
      }
      if (this.#failing) this.#logger.info({}, 'client token re-check works again');
      this.#failing = false;
      if (gone.length > 0) this.#revoked(gone);
    } catch (error) {
      // A store that cannot answer revokes nothing: streams stay until it answers again.
      if (!this.#failing) this.#logger.warn({ err: error }, 'client token re-check failed');
      this.#failing = true;
    } finally {
      this.#checking = false;
    }
  }
}
