import type { Job, ServerMember } from '@carillon/core';

/**
 * What this server knows of its ServerGroup's live members, and which of a job's holders is
 * preferred: the first holder, in the job's order, that is alive. Only the preferred holder
 * claims a job's fires; the others stand by and take over when it leaves.
 */
export class Membership {
  readonly #serverId: string;
  #live: ReadonlyMap<string, ServerMember> = new Map();
  /** The servers that left, as they were, and when (this server's clock). */
  readonly #gone = new Map<string, { readonly member: ServerMember; readonly since: number }>();

  constructor(serverId: string) {
    this.#serverId = serverId;
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
    return left;
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

  preferredHolder(job: Job): string | undefined {
    return job.holders.find((id) => this.isLive(id));
  }

  /** True when this server is the job's preferred holder. */
  isPreferred(job: Job): boolean {
    return this.preferredHolder(job) === this.#serverId;
  }
}
