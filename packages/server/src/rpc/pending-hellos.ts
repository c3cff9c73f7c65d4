/**
 * Streams waiting for their hello (to arrive, or to be checked), counted per network address,
 * with a cap. A stream costs the server memory until its hello or its hello timeout, and anyone
 * who reaches the port may open them: one process on this machine opened 3,700 streams a second
 * that never said hello, and the server's memory grew 384 MB in 10 s (a throwaway script, 20
 * connections). A real client sends its hello as its stream opens, so an address has few such
 * streams at once, however many clients it runs.
 */
export class PendingHellos {
  readonly #max: number;
  /** Per address: its streams waiting; an address with none has no entry. */
  readonly #waiting = new Map<string, number>();

  /** At most `max` streams of one address wait at once; 0: no cap. */
  constructor(max: number) {
    this.#max = max;
  }

  /** A stream of `address` opened: true if it may wait for its hello, false to end it now. */
  opened(address: string): boolean {
    const waiting = this.#waiting.get(address) ?? 0;
    if (this.#max > 0 && waiting >= this.#max) return false;
    this.#waiting.set(address, waiting + 1);
    return true;
  }

  /** A stream that {@link opened} waits no longer (hello checked, or stream closed): once each. */
  settled(address: string): void {
    const waiting = (this.#waiting.get(address) ?? 0) - 1;
    if (waiting > 0) this.#waiting.set(address, waiting);
    else this.#waiting.delete(address);
  }
}
