/** Points each client has on the ring: enough that keys spread evenly over a few clients. */
export const VIRTUAL_NODES = 128;

/**
 * A 32-bit hash of a text: FNV-1a over its UTF-16 code units, then murmur3's finalizer, whose
 * avalanche keeps close texts (`c1#0`, `c1#1`) apart on the ring. Not for security.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

interface Ring {
  readonly points: Uint32Array;
  readonly owners: readonly string[];
}

// Clients come and go rarely next to how often fires are routed: one ring per client set is
// kept, so routing a fire costs a binary search, not a sort.
const rings = new Map<string, Ring>();
const RINGS_KEPT = 64;

function ringOf(clientIds: readonly string[]): Ring {
  const id = clientIds.join('\u0000');
  const known = rings.get(id);
  if (known !== undefined) return known;
  const entries: Array<[number, string]> = [];
  for (const client of clientIds)
    for (let v = 0; v < VIRTUAL_NODES; v++) entries.push([hash32(`${client}#${v}`), client]);
  // Ties between points (rare) go to the smaller client id, so every server builds the same ring.
  entries.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const ring = {
    points: Uint32Array.from(entries.map((e) => e[0])),
    owners: entries.map((e) => e[1]),
  };
  if (rings.size >= RINGS_KEPT) rings.delete(rings.keys().next().value as string);
  rings.set(id, ring);
  return ring;
}

/**
 * The client that owns `key` on a ring of `clientIds` (given in a stable order): the first point
 * at or after the key's hash, wrapping around. When a client leaves, only the keys it owned
 * change owner; when one joins, it takes keys only from others. Undefined with no clients.
 *
 * @example ringOwner(['a', 'b', 'c'], '42') // the same one of them every time
 */
export function ringOwner(clientIds: readonly string[], key: string): string | undefined {
  if (clientIds.length === 0) return undefined;
  const ring = ringOf(clientIds);
  const h = hash32(key);
  let lo = 0;
  let hi = ring.points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ring.points[mid] ?? 0) < h) lo = mid + 1;
    else hi = mid;
  }
  return ring.owners[lo === ring.points.length ? 0 : lo];
}
