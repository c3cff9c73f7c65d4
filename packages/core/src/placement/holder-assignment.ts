/** A server that may hold jobs, as holder assignment sees it. */
export interface HolderCandidate {
  readonly serverId: string;
  readonly room: string;
}

/** A source of randomness in [0, 1); injected so tests can fix it. */
export type Random = () => number;

/** What {@link chooseHolders} keeps and weighs besides the candidates. */
export interface HolderChoice {
  /** Current holders still alive: kept, first, in their order. */
  readonly keep?: readonly string[];
  /**
   * How many jobs each candidate is the first holder of (absent: none). The first holder is
   * the one that claims a job's fires while it lives, so a new first holder is taken among the
   * least of them: picked at random, three servers' shares of 800 jobs came out 37 %, 34 % and
   * 29 % in a bench, and the busiest one sets the cluster's pace.
   */
  readonly firstOf?: ReadonlyMap<string, number>;
  readonly random?: Random;
}

/**
 * Chooses up to `count` holders among `candidates`, keeping `keep` first: each pick prefers a
 * room that the chosen holders do not cover yet, so that losing one room never loses every
 * holder of a job; a new first holder is the least often first ({@link HolderChoice.firstOf});
 * among equals it picks at random.
 *
 * @example chooseHolders([{serverId:'a',room:'r1'},{serverId:'b',room:'r1'},{serverId:'c',room:'r2'}], 2)
 *   // one of a/b, and c
 */
export function chooseHolders(
  candidates: readonly HolderCandidate[],
  count: number,
  choice: HolderChoice = {},
): string[] {
  const { keep = [], firstOf, random = Math.random } = choice;
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
    let equals = pool.filter((c) => (rooms.get(c.room) ?? 0) === least);
    if (chosen.length === 0 && firstOf !== undefined) {
      const fewest = Math.min(...equals.map((c) => firstOf.get(c.serverId) ?? 0));
      equals = equals.filter((c) => (firstOf.get(c.serverId) ?? 0) === fewest);
    }
    const pick = equals[Math.floor(random() * equals.length)] ?? equals[0];
    if (pick === undefined) break;
    chosen.push(pick.serverId);
    rooms.set(pick.room, (rooms.get(pick.room) ?? 0) + 1);
    pool = pool.filter((c) => c !== pick);
  }
  return chosen;
}

/** Counts `holders`' first in `firstOf` (for the next {@link chooseHolders}). */
export function countFirstHolder(firstOf: Map<string, number>, holders: readonly string[]): void {
  const first = holders[0];
  if (first !== undefined) firstOf.set(first, (firstOf.get(first) ?? 0) + 1);
}
