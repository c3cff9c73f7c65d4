import type { Job, RouteCandidate } from '@carillon/core';
import { matchesPins, pickClient } from '@carillon/core';
import type { ClientLink } from './client-link.js';

interface Slot {
  readonly link: ClientLink;
  inFlight: number;
  readonly perHandler: Map<string, number>;
  /** Of `perHandler`, slots this server knows are held by handlers that outlived their execution. */
  readonly held: Map<string, number>;
  /** Due dispatches sent that the client has not answered yet (accepted, started or refused). */
  unanswered: number;
  /**
   * Work the client runs for other servers of the group, from its last heartbeat (its own count
   * less what this server had reserved on it then): with it, two servers do not both fill the
   * client's capacity. Stale by up to a heartbeat interval, on the safe side as work ends.
   */
  others: number;
  readonly othersPerHandler: Map<string, number>;
}

/** What a client's heartbeat says it runs, in all and per handler. */
export interface ClientLoad {
  readonly inFlight: number;
  readonly handlers: ReadonlyArray<{
    readonly name: string;
    readonly inFlight: number;
    readonly hung: number;
  }>;
}

/**
 * At most this many fires already due travel to one client unanswered. Free slots alone would
 * let a client of large capacity be sent a whole backlog in one write: fires due next would
 * queue behind it on the wire and in the client. With a window, whatever the backlog, a fresh
 * fire waits behind at most this many, and the backlog rule keeps its meaning. Fires sent ahead
 * of their instant are bounded by free slots alone.
 */
const DISPATCH_WINDOW = 256;

/**
 * The connected clients of every group and what each has in flight. Routing reserves a slot
 * of the handler's pool on the chosen client; the slot is released when the execution ends.
 */
export class ClientPool {
  readonly #byClient = new Map<string, Slot>();
  readonly #cursors = new Map<number, { next: number }>();

  /** Adds a client; a client that reconnects replaces its old link and keeps its counts. */
  add(link: ClientLink): void {
    const previous = this.#byClient.get(link.clientId);
    this.#byClient.set(link.clientId, {
      link,
      inFlight: previous?.inFlight ?? 0,
      perHandler: previous?.perHandler ?? new Map<string, number>(),
      held: previous?.held ?? new Map<string, number>(),
      // Answers to what the old stream carried will not come on the new one.
      unanswered: 0,
      others: previous?.others ?? 0,
      othersPerHandler: previous?.othersPerHandler ?? new Map<string, number>(),
    });
  }

  /**
   * Takes in a client's heartbeat: how much it runs for other servers. Returns true when that
   * went down somewhere (room opened for fires waiting here).
   */
  heard(clientId: string, load: ClientLoad): boolean {
    const slot = this.#byClient.get(clientId);
    if (slot === undefined) return false;
    const others = Math.max(0, load.inFlight - slot.inFlight);
    let freed = others < slot.others;
    slot.others = others;
    const before = new Map(slot.othersPerHandler);
    slot.othersPerHandler.clear();
    for (const h of load.handlers) {
      // Hung slots are counted apart (see freeSlots), so they are left out here.
      const mine = (slot.perHandler.get(h.name) ?? 0) - (slot.held.get(h.name) ?? 0);
      const theirs = Math.max(0, h.inFlight - h.hung - mine);
      if (theirs > 0) slot.othersPerHandler.set(h.name, theirs);
    }
    for (const [name, count] of before)
      if ((slot.othersPerHandler.get(name) ?? 0) < count) freed = true;
    return freed;
  }

  remove(clientId: string): ClientLink | undefined {
    const slot = this.#byClient.get(clientId);
    this.#byClient.delete(clientId);
    return slot?.link;
  }

  get(clientId: string): ClientLink | undefined {
    return this.#byClient.get(clientId)?.link;
  }

  /** Clients of a group, with their load. */
  listByGroup(groupId: string): Array<{ link: ClientLink; inFlight: number }> {
    return [...this.#byClient.values()]
      .filter((s) => s.link.groupId === groupId)
      .map((s) => ({ link: s.link, inFlight: s.inFlight }));
  }

  /** Slots the connected clients have free, by their declared capacity, all handlers together. */
  get freeSlots(): number {
    let free = 0;
    for (const slot of this.#byClient.values())
      free += Math.max(0, slot.link.capacity - slot.inFlight);
    return free;
  }

  /** True when some client could take a fire of the job now (by its routing strategy). */
  hasRoom(job: Job, exclude: ReadonlySet<string> = EMPTY): boolean {
    // A copy of the cursor: asking must not move round-robin on.
    const cursor = { next: this.#cursors.get(job.id)?.next ?? 0 };
    return (
      pickClient(
        this.#candidates(job, exclude),
        job.routing,
        cursor,
        Math.random,
        String(job.id),
      ) !== undefined
    );
  }

  /**
   * True when a connected client could ever run the job's fires (its group, its handler, its
   * pins), free slots or not: a full client is still one to wait for, no client is not.
   */
  canRun(job: Job): boolean {
    for (const slot of this.#byClient.values()) {
      const link = slot.link;
      if (link.groupId === job.groupId && link.handlers.has(job.handler) && matchesPins(job, link))
        return true;
    }
    return false;
  }

  /** True when some client of `groupId` could take a fire for `handler` now. */
  hasRoomFor(groupId: string, handler: string): boolean {
    for (const slot of this.#byClient.values()) {
      const link = slot.link;
      const concurrency = link.handlers.get(handler);
      if (link.groupId !== groupId || concurrency === undefined) continue;
      if (freeSlots(slot, handler, concurrency) > 0) return true;
    }
    return false;
  }

  /**
   * Picks a client of the job's group that registered its handler, matches the job's pins and
   * has a free slot, by the job's routing strategy, and reserves the slot. Undefined when none
   * can take it now. Consistent hashing hashes the job id.
   */
  reserve(job: Job, exclude: ReadonlySet<string> = EMPTY): ClientLink | undefined {
    let cursor = this.#cursors.get(job.id);
    if (cursor === undefined) {
      cursor = { next: 0 };
      this.#cursors.set(job.id, cursor);
    }
    const pick = pickClient(
      this.#candidates(job, exclude),
      job.routing,
      cursor,
      Math.random,
      String(job.id),
    );
    const slot = pick === undefined ? undefined : this.#byClient.get(pick.clientId);
    if (slot === undefined) return undefined;
    slot.inFlight++;
    slot.perHandler.set(job.handler, (slot.perHandler.get(job.handler) ?? 0) + 1);
    return slot.link;
  }

  #candidates(job: Job, exclude: ReadonlySet<string>): RouteCandidate[] {
    const candidates: RouteCandidate[] = [];
    for (const slot of this.#byClient.values()) {
      const link = slot.link;
      const concurrency = link.handlers.get(job.handler);
      if (link.groupId !== job.groupId || concurrency === undefined || exclude.has(link.clientId))
        continue;
      // Pins filter before any strategy picks: a pinned fire never goes to another client.
      if (!matchesPins(job, link)) continue;
      candidates.push({
        clientId: link.clientId,
        inFlight: slot.inFlight + slot.others,
        capacity: link.capacity,
        freeSlots: freeSlots(slot, job.handler, concurrency),
      });
    }
    return candidates;
  }

  /** How many more dispatches of `handler` the client can take now (0 when unknown). */
  freeFor(clientId: string, handler: string): number {
    const slot = this.#byClient.get(clientId);
    const concurrency = slot?.link.handlers.get(handler);
    if (slot === undefined || concurrency === undefined) return 0;
    return Math.max(0, freeSlots(slot, handler, concurrency));
  }

  /** Counts a slot on a given client (work it already runs, named in its hello). */
  reserveOn(clientId: string, handler: string): void {
    const slot = this.#byClient.get(clientId);
    if (slot === undefined) return;
    slot.inFlight++;
    slot.perHandler.set(handler, (slot.perHandler.get(handler) ?? 0) + 1);
  }

  /**
   * Marks a reserved slot as held by a handler that outlived its execution (`+1`), or no longer
   * (`-1`): the client's own report of hung slots then counts only beyond these.
   */
  markHeld(clientId: string, handler: string, delta: 1 | -1): void {
    const slot = this.#byClient.get(clientId);
    if (slot === undefined) return;
    slot.held.set(handler, Math.max(0, (slot.held.get(handler) ?? 0) + delta));
  }

  /** Counts a dispatch sent to the client, unanswered until {@link answered}. */
  sent(clientId: string): void {
    const slot = this.#byClient.get(clientId);
    if (slot !== undefined) slot.unanswered++;
  }

  /** The client answered a dispatch (or it ended before an answer came). */
  answered(clientId: string): void {
    const slot = this.#byClient.get(clientId);
    if (slot !== undefined) slot.unanswered = Math.max(0, slot.unanswered - 1);
  }

  /** Frees a slot reserved by {@link reserve}. */
  release(clientId: string, handler: string): void {
    const slot = this.#byClient.get(clientId);
    if (slot === undefined) return;
    slot.inFlight = Math.max(0, slot.inFlight - 1);
    slot.perHandler.set(handler, Math.max(0, (slot.perHandler.get(handler) ?? 0) - 1));
  }
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * What a client can still take for a handler: its slots, less those reserved here, less hung
 * slots it reports that this server does not know of (after a server restart, say, or work
 * another server timed out): a client is never sent more than it can hold.
 */
function freeSlots(slot: Slot, handler: string, concurrency: number): number {
  const used = (slot.perHandler.get(handler) ?? 0) + (slot.othersPerHandler.get(handler) ?? 0);
  const unknownHung = Math.max(
    0,
    (slot.link.hungSlots?.get(handler) ?? 0) - (slot.held.get(handler) ?? 0),
  );
  return (
    Math.min(
      concurrency - used,
      slot.link.capacity - slot.inFlight - slot.others,
      DISPATCH_WINDOW - slot.unanswered,
    ) - unknownHung
  );
}
