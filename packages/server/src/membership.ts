import type { ClientMember, Job, ServerMember } from '@carillon/core';
import { matchesPins } from '@carillon/core';

/**
 * What this server knows of its ServerGroup's live members, and which of a job's holders is
 * preferred: the first holder, in the job's order, that is alive and has a client that can run
 * the job (the first live one when none has). Only the preferred holder claims a job's fires;
 * the others stand by and take over when it leaves.
 *
 * Why clients count: a holder with no client for the job (a server just restarted, that its
 * clients have not found again yet, or one that a static client list leaves out) would claim
 * the fires and keep them in its waiting room while its peers, who have clients, only watch
 * them (a live owner's claimed fires are its own). Seen in the soak (issue 7): a restarted
 * server held a third of the fires for 25 s, until a client's discovery refresh found it.
 * This server knows its own clients at once; its peers' from their client registrations in the
 * coordinator, read now and then ({@link setClients}). Views may differ for a moment (a client
 * just connected): two holders then both claim, and the unique `(job, instant)` row lets one
 * win; or neither does, and a standby claims 200 ms after the instant. Neither runs a fire twice.
 */
export class Membership {
  readonly #serverId: string;
  /** Whether a client connected to this server could run the job. */
  readonly #canRunHere: (job: Job) => boolean;
  #live: ReadonlyMap<string, ServerMember> = new Map();
  /** The servers that left, as they were, and when (this server's clock). */
  readonly #gone = new Map<string, { readonly member: ServerMember; readonly since: number }>();
  /** The client registrations last read, by task group; a group not read yet is absent. */
  readonly #clients = new Map<string, readonly ClientMember[]>();

  constructor(serverId: string, canRunHere: (job: Job) => boolean = () => true) {
    this.#serverId = serverId;
    this.#canRunHere = canRunHere;
  }

  get live(): readonly ServerMember[] {
    return [...this.#live.values()];
  }

  /** Replaces the live set at `nowMs`; returns the ids that left. */
  update(servers: readonly ServerMember[], nowMs: number): string[] {
    const next = new Map(servers.map((s) => [s.serverId, s]));
    const left = [...this.#live.keys()].filter((id) => !next.has(id));
    for (const id of left) {
      const member = this.#live.get(id);
      if (member !== undefined) this.#gone.set(id, { member, since: nowMs });
    }
    for (const id of next.keys()) this.#gone.delete(id);
    this.#live = next;
    // A server that left took its client streams with it: back, it starts with none, whatever
    // the last read (made before its registrations expired) said.
    if (left.length > 0) {
      for (const [groupId, clients] of this.#clients)
        this.#clients.set(
          groupId,
          clients.filter((c) => !left.includes(c.serverId)),
        );
    }
    return left;
  }

  /**
   * The group's client registrations as just read from the coordinator (each names the server
   * that holds the stream).
   */
  setClients(groupId: string, clients: readonly ClientMember[]): void {
    this.#clients.set(groupId, clients);
  }

  /** Forgets the client registrations of groups other than `groupIds`. */
  keepClientsOf(groupIds: ReadonlySet<string>): void {
    for (const groupId of this.#clients.keys())
      if (!groupIds.has(groupId)) this.#clients.delete(groupId);
  }

  /**
   * The servers this server saw leave and not come back, with when they left. A server gone
   * before this one started is not listed: count it as long gone.
   */
  get gone(): ReadonlyArray<{ readonly member: ServerMember; readonly since: number }> {
    return [...this.#gone.values()];
  }

  isLive(serverId: string): boolean {
    return serverId === this.#serverId || this.#live.has(serverId);
  }

  /** The first live holder that can run the job, else the first live one. */
  preferredHolder(job: Job): string | undefined {
    // A loop, not filter and find: every holder asks this for every fire of every job.
    let firstLive: string | undefined;
    for (const id of job.holders) {
      if (!this.isLive(id)) continue;
      if (this.#canRun(id, job)) return id;
      firstLive ??= id;
    }
    return firstLive;
  }

  /** True when this server is the job's preferred holder. */
  isPreferred(job: Job): boolean {
    return this.preferredHolder(job) === this.#serverId;
  }

  /**
   * True when a live holder of the job other than this server and `except` (a gone owner) has
   * a registered client that can run it, by the last read. False while the group's clients
   * were not read yet.
   */
  canRunElsewhere(job: Job, except: string | undefined): boolean {
    if (!this.#clients.has(job.groupId)) return false;
    return job.holders.some(
      (id) => id !== this.#serverId && id !== except && this.isLive(id) && this.#canRun(id, job),
    );
  }

  #canRun(serverId: string, job: Job): boolean {
    if (serverId === this.#serverId) return this.#canRunHere(job);
    const clients = this.#clients.get(job.groupId);
    // Not read yet: every live peer counts as able, as before clients counted at all.
    if (clients === undefined) return true;
    return clients.some(
      (c) =>
        c.serverId === serverId &&
        c.handlers.includes(job.handler) &&
        matchesPins(job, { labels: c.labels ?? [], room: c.room }),
    );
  }
}
