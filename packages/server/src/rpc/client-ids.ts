/**
 * Which task group each client id belongs to on this server. A client id names one client of
 * one group: a hello of another group with the same id would replace that client's stream, and
 * when it ended, hand the client's work to the fence timers as if the client had left. A claim
 * lasts while the client is connected and `retainMs` after it left (its work is then redispatched
 * or failed), so that ids of clients long gone do not pile up.
 */
export class ClientIds {
  readonly #retainMs: number;
  readonly #claims = new Map<string, { groupId: string; leftAt: number | undefined }>();

  constructor(retainMs: number) {
    this.#retainMs = retainMs;
  }

  /** True, and the id is `groupId`'s, unless another group holds it. */
  claim(clientId: string, groupId: string, nowMs: number): boolean {
    const held = this.#claims.get(clientId);
    if (
      held !== undefined &&
      held.groupId !== groupId &&
      (held.leftAt === undefined || nowMs - held.leftAt < this.#retainMs)
    )
      return false;
    this.#claims.set(clientId, { groupId, leftAt: undefined });
    return true;
  }

  /** The client's last stream ended. */
  left(clientId: string, nowMs: number): void {
    const held = this.#claims.get(clientId);
    if (held !== undefined) held.leftAt = nowMs;
  }

  /** Forgets the ids whose clients left more than `retainMs` ago. */
  prune(nowMs: number): void {
    for (const [clientId, held] of this.#claims) {
      if (held.leftAt !== undefined && nowMs - held.leftAt >= this.#retainMs)
        this.#claims.delete(clientId);
    }
  }
}
