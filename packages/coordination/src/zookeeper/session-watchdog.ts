import type { Client } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';

/** What the watchdog reports to its coordinator. */
export interface WatchdogEvents {
  /** Nothing has been heard from ZooKeeper for `suspendAfterMs`: possibly partitioned. */
  onSilent(): void;
  /** A probe was answered: ZooKeeper hears this session (again). */
  onAnswer(): void;
}

/** Timings of a {@link SessionWatchdog}, all derived from the negotiated session timeout. */
export interface WatchdogTimings {
  readonly probeEveryMs: number;
  /** A probe unanswered this long drops the connection so the client tries another server. */
  readonly probeTimeoutMs: number;
  readonly suspendAfterMs: number;
}

/**
 * Probes one client's connection and drops it when a probe goes unanswered, or when a
 * (re)connection hangs in its handshake: node-zookeeper-client has no read timeout and no
 * handshake timeout, so a frozen server (SIGSTOP, or a partition without FIN/RST) would
 * otherwise hold it forever, connected in its own eyes. Dropping the socket makes the library
 * reconnect (to another server of the ensemble, or the same one) with the same session.
 *
 * It also keeps the time of the last answer and calls `onSilent` once nothing has been heard for
 * `suspendAfterMs`: ZooKeeper tells a client of its session's expiry only when it reconnects, so
 * the client must suspend on its own clock.
 */
export class SessionWatchdog {
  readonly #client: Client;
  readonly #timings: WatchdogTimings;
  readonly #events: WatchdogEvents;
  #probeTimer: NodeJS.Timeout | undefined;
  #silenceTimer: NodeJS.Timeout | undefined;
  #probeSentAt: number | undefined;
  #connectingSince: number | undefined;
  #lastTick = Date.now();
  #lastContact = Date.now();
  #stopped = false;

  constructor(client: Client, timings: WatchdogTimings, events: WatchdogEvents) {
    this.#client = client;
    this.#timings = timings;
    this.#events = events;
  }

  /** Milliseconds since ZooKeeper last answered. */
  get silentForMs(): number {
    return Date.now() - this.#lastContact;
  }

  /**
   * True once the silence has lasted `suspendAfterMs`, even if the timer that says so has not run
   * yet: after a stall of the event loop (a paused process, a long GC) overdue work may run first.
   */
  get overdue(): boolean {
    return !this.#stopped && this.silentForMs >= this.#timings.suspendAfterMs;
  }

  start(): void {
    this.contact();
    this.#probeTimer = setInterval(() => this.#tick(), this.#timings.probeEveryMs);
    this.#probeTimer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#probeTimer);
    clearTimeout(this.#silenceTimer);
  }

  /** ZooKeeper answered (a probe, or the session (re)connected): restart the silence clock. */
  contact(): void {
    if (this.#stopped) return;
    this.#lastContact = Date.now();
    clearTimeout(this.#silenceTimer);
    this.#silenceTimer = setTimeout(() => {
      if (!this.#stopped) this.#events.onSilent();
    }, this.#timings.suspendAfterMs);
    this.#silenceTimer.unref();
  }

  #tick(): void {
    const now = Date.now();
    const stalled = now - this.#lastTick > 2 * this.#timings.probeEveryMs;
    this.#lastTick = now;
    // After a stall of this event loop the answer may be waiting unread in the socket: give it
    // one more tick rather than drop a healthy connection.
    if (stalled) return;
    const sentAt = this.#probeSentAt;
    if (sentAt !== undefined) {
      if (Date.now() - sentAt >= this.#timings.probeTimeoutMs) {
        this.#probeSentAt = undefined;
        this.#dropConnection();
      }
      return;
    }
    const client = this.#client;
    if (client.getState().code !== zookeeper.State.SYNC_CONNECTED.code) {
      // The library has no handshake timeout either: a frozen server accepts the TCP connection
      // (the kernel does) and never answers the session request. Move on to the next server.
      const since = (this.#connectingSince ??= Date.now());
      if (Date.now() - since >= this.#timings.probeTimeoutMs) {
        this.#connectingSince = Date.now();
        this.#dropConnection();
      }
      return;
    }
    this.#connectingSince = undefined;
    const sent = Date.now();
    this.#probeSentAt = sent;
    client.exists('/', (error) => {
      if (this.#probeSentAt !== sent) return;
      this.#probeSentAt = undefined;
      if (error) return;
      this.contact();
      this.#events.onAnswer();
    });
  }

  #dropConnection(): void {
    // The library keeps its socket private; destroying it is the one way to make it reconnect
    // with the same session (close() would end the session).
    const manager = (this.#client as unknown as { connectionManager?: { socket?: Destroyable } })
      .connectionManager;
    manager?.socket?.destroy();
  }
}

interface Destroyable {
  destroy(): void;
}
