/** A server that may hold jobs, as holder assignment sees it. */
export interface HolderCandidate {
  readonly serverId: string;
  readonly room: string;
}

/** A source of randomness in [0, 1); injected so tests can fix it. */
export type Random = () => number;

/**
 * Chooses up to `count` holders among `candidates`, keeping `keep` (current holders still alive)
 * first: each pick prefers a room that the chosen holders do not cover yet, so that losing one
 * room never loses every holder of a job; among equals it picks at random.
 *
 * @example chooseHolders([{serverId:'a',room:'r1'},{serverId:'b',room:'r1'},{serverId:'c',room:'r2'}], 2)
 *   // one of a/b, and c
 */
export function chooseHolders(
  candidates: readonly HolderCandidate[],
  count: number,
  keep: readonly string[] = [],
  random: Random = Math.random,
): string[] {
  const byId = new Map(candidates.map((c) => [c.serverId, c]));
  const chosen = keep.filter((id) => byId.has(id)).slice(0, count);
  const rooms = new Map<string, number>();
  for (const id of chosen) {
    const room = byId.get(id)?.room ?? '';
    rooms.set(room, (rooms.get(room) ?? 0) + 1);
  }
  let pool = candidates.filter((c) => !chosen.includes(c.serverId));
  while (chosen.length < count && pool.length > 0) {
    const least = Math.min(...pool.map((c) => rooms.get(c.room) ?? 0));
    const equals = pool.filter((c) => (rooms.get(c.room) ?? 0) === least);
    const pick = equals[Math.floor(random() * equals.length)] ?? equals[0];
    if (pick === undefined) break;
    chosen.push(pick.serverId);
    rooms.set(pick.room, (rooms.get(pick.room) ?? 0) + 1);
    pool = pool.filter((c) => c !== pick);
  }
  return chosen;
}
