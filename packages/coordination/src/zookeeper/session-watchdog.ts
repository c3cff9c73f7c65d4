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
 *
 * Every verdict (drop, silent) waits for one turn of I/O first: timers run before the poll phase
 * reads the sockets, so after this process's event loop was late (a stall, or sustained lag under
 * a CPU cap) the answer may be waiting unread, and ZooKeeper, not this loop, would be blamed.
 */
export class SessionWatchdog {
  readonly #client: Client;
  readonly #timings: WatchdogTimings;
  readonly #events: WatchdogEvents;
  #probeTimer: NodeJS.Timeout | undefined;
  #silenceTimer: NodeJS.Timeout | undefined;
  #probeSentAt: number | undefined;
  #connectingSince: number | undefined;
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
   * Unlike the timer it cannot wait for a turn of I/O, so right after a stall it may read true with
   * an answer still unread: the safe side for a check before a claim.
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
    this.#silenceTimer = setTimeout(
      () => this.#afterIoTurn(() => this.#judgeSilence()),
      this.#timings.suspendAfterMs,
    );
    this.#silenceTimer.unref();
  }

  #judgeSilence(): void {
    // An answer read during the I/O turn has restarted the clock, and the timer with it.
    if (this.overdue) this.#events.onSilent();
  }

  #tick(): void {
    const sentAt = this.#probeSentAt;
    if (sentAt !== undefined) {
      if (Date.now() - sentAt >= this.#timings.probeTimeoutMs) {
        this.#afterIoTurn(() => this.#dropUnanswered(sentAt));
      }
      return;
    }
    if (this.#client.getState().code !== zookeeper.State.SYNC_CONNECTED.code) {
      // The library has no handshake timeout either: a frozen server accepts the TCP connection
      // (the kernel does) and never answers the session request. Move on to the next server.
      const since = (this.#connectingSince ??= Date.now());
      if (Date.now() - since >= this.#timings.probeTimeoutMs) {
        this.#afterIoTurn(() => this.#dropHungHandshake());
      }
      return;
    }
    this.#connectingSince = undefined;
    // Sent even when this tick is late: under sustained lag every tick is, and a watchdog that
    // waited for a punctual one would never hear an answer.
    this.#probe();
  }

  #probe(): void {
    const sent = Date.now();
    this.#probeSentAt = sent;
    this.#client.exists('/', (error) => {
      if (this.#probeSentAt !== sent) return;
      this.#probeSentAt = undefined;
      if (error) return;
      this.contact();
      this.#events.onAnswer();
    });
  }

  #dropUnanswered(sentAt: number): void {
    if (this.#probeSentAt !== sentAt) return; // answered (or failed) during the I/O turn
    this.#probeSentAt = undefined;
    this.#dropConnection();
  }

  #dropHungHandshake(): void {
    if (this.#client.getState().code === zookeeper.State.SYNC_CONNECTED.code) return;
    this.#connectingSince = Date.now();
    this.#dropConnection();
  }

  /** Runs `judge` after the poll phase that follows: setImmediate's check phase comes after it. */
  #afterIoTurn(judge: () => void): void {
    setImmediate(() => {
      if (!this.#stopped) judge();
    }).unref();
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
