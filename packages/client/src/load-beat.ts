/** Heartbeats sent for a change of load come at most this often. */
const MIN_GAP_MS = 200;

/**
 * Decides when a change of the client's in-flight count is worth a heartbeat to every server
 * now, rather than at the next beat. Each server routes by what the client runs for the other
 * servers, from its last heartbeat; beats every 2 s taken while an instant's fires waited to
 * start told the servers for 2 s of work long done. With three servers, one of two bench
 * clients was thus sent twice the fires of the other, every run (its beat fell in that wait,
 * the other's did not). A change by a quarter or more is sent, at most every 200 ms.
 */
export class LoadBeat {
  readonly #send: () => void;
  #lastInFlight = 0;
  #lastAt = -Infinity;
  #timer: NodeJS.Timeout | undefined;

  constructor(send: () => void) {
    this.#send = send;
  }

  /**
   * A heartbeat went to every server saying `inFlight`. Each link's own beat every 2 s is not
   * counted: it goes to one server only.
   */
  sent(inFlight: number, now: number): void {
    this.#lastInFlight = inFlight;
    this.#lastAt = now;
  }

  /** The in-flight count is now `inFlight`. */
  changed(inFlight: number, now: number): void {
    const last = this.#lastInFlight;
    if (Math.abs(inFlight - last) < Math.max(1, Math.ceil(Math.max(inFlight, last) / 4))) return;
    if (this.#timer !== undefined) return;
    const wait = this.#lastAt + MIN_GAP_MS - now;
    if (wait <= 0) {
      this.#send();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#send();
    }, wait);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
