/** A fire a peer has claimed and, when its row was last read, not dispatched. */
export interface PeerClaim {
  readonly jobId: number;
  readonly scheduledAt: number;
  /** The execution as read: its id, its attempt and the server that owned it. */
  readonly id: string;
  readonly attempt: number;
  readonly owner: string;
  /** Its rescue was put off once already (no client here): now it is done whatever the clients. */
  readonly deferred?: boolean;
  /** Its row was read by the very check that looks at it (not kept from an earlier one). */
  readonly fresh?: boolean;
}

interface Kept {
  readonly claim: PeerClaim;
  dueAt: number;
}

/**
 * The fires claimed by live peers that a standby keeps under watch, per owner, with when each
 * may be adopted (later for one put off). Their rows are not read again while their owner
 * lives: a look asks only whether the owners are gone (one read of the beats for all) and does
 * nothing per fire of a live owner, and a gone owner's fires are adopted by compare-and-set on
 * owner and state, which leaves alone what it sent meanwhile.
 */
export class PeerClaims {
  readonly #byOwner = new Map<string, Map<string, Kept>>();
  readonly #watchForMs: number;
  #size = 0;

  /** `watchForMs`: a fire is kept at most this long after its instant. */
  constructor(watchForMs: number) {
    this.#watchForMs = watchForMs;
  }

  /** Fires kept. */
  get size(): number {
    return this.#size;
  }

  /** Whether the execution `id` is kept. */
  has(id: string): boolean {
    for (const fires of this.#byOwner.values()) if (fires.has(id)) return true;
    return false;
  }

  /**
   * Keeps `claim`, due for a look at `dueAt`, unless that is more than `watchForMs` after its
   * instant (it is then let go). A fire kept already, under any owner, is replaced.
   */
  keep(claim: PeerClaim, dueAt: number): void {
    this.#remove(claim.id);
    if (dueAt - claim.scheduledAt > this.#watchForMs) return;
    let fires = this.#byOwner.get(claim.owner);
    if (fires === undefined) {
      fires = new Map();
      this.#byOwner.set(claim.owner, fires);
    }
    fires.set(claim.id, { claim, dueAt });
    this.#size++;
  }

  /** The owners of the fires kept: what a look asks about, whatever the number of fires. */
  owners(): string[] {
    return [...this.#byOwner.keys()];
  }

  /**
   * Lets go the fires more than `watchForMs` past their instant at `at`, and those whose job
   * `held` rejects (no longer held by this server). A pass over the fires without allocating:
   * it runs at every look, and a look must cost little per fire when a loaded peer leaves
   * hundreds claimed past their check.
   */
  prune(at: number, held: (jobId: number) => boolean): void {
    for (const [owner, fires] of this.#byOwner) {
      for (const [id, kept] of fires) {
        if (at - kept.claim.scheduledAt <= this.#watchForMs && held(kept.claim.jobId)) continue;
        fires.delete(id);
        this.#size--;
      }
      if (fires.size === 0) this.#byOwner.delete(owner);
    }
  }

  /** Takes out `owner`'s fires due by `at` (a gone owner's, to adopt); the others stay. */
  takeDue(owner: string, at: number): PeerClaim[] {
    const fires = this.#byOwner.get(owner);
    const taken: PeerClaim[] = [];
    if (fires === undefined) return taken;
    for (const [id, kept] of fires) {
      if (kept.dueAt > at) continue;
      fires.delete(id);
      this.#size--;
      taken.push(kept.claim);
    }
    if (fires.size === 0) this.#byOwner.delete(owner);
    return taken;
  }

  /** Makes every fire due at `at` (the watch resumes after a pause). */
  dueAll(at: number): void {
    for (const fires of this.#byOwner.values()) for (const kept of fires.values()) kept.dueAt = at;
  }

  #remove(id: string): void {
    for (const [owner, fires] of this.#byOwner) {
      if (!fires.delete(id)) continue;
      this.#size--;
      if (fires.size === 0) this.#byOwner.delete(owner);
      return;
    }
  }
}
