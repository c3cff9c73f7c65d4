// Where a capped server's time goes between a fire's claim and its start, read from the
// server's own Prometheus histograms (CARILLON_METRICS_PORT) at a step's window bounds:
// how long its database statements took (claims; batches of execution changes), how far ahead
// of the instant fires were claimed, and how late they started, and the longest its event loop
// was held (`loopMaxMs`: prom-client's event loop delay, reset at each read, so the read at a
// window's end covers the window). When three servers fall over well below their CPU
// (docs/cluster.md), these tell a slow database from a slow server, and show the stalls that
// make a live server look gone to its peers.

/** The histograms read, by the name the bench prints. */
const HISTOGRAMS: Readonly<Record<string, string>> = {
  claimMs: 'carillon_database_operation_seconds{operation="claim"',
  transitionMs: 'carillon_database_operation_seconds{operation="transition"',
  claimLeadMs: 'carillon_fire_claim_lead_seconds{',
  lateMs: 'carillon_fire_lateness_seconds{',
};

/**
 * Cumulative bucket counts by upper bound (s), per histogram; the loop's longest delay; the
 * garbage collector's cumulative seconds by kind (major, minor, incremental, weakcb); the heap
 * in use (MB).
 */
export interface ServerReading {
  readonly buckets: Record<string, Map<number, number>>;
  readonly loopMaxMs: number;
  readonly gcSeconds: Map<string, number>;
  readonly heapMb: number;
}

/** The metrics listener's address, from the server's log line. */
export function metricsUrl(output: string): string | undefined {
  const match = /"url":"(http:\/\/[^"]+)"[^\n]*metrics and health listening/.exec(output);
  return match?.[1];
}

/**
 * Reads `url`/metrics: the histograms' buckets (summed over labels other than the one named),
 * the loop's longest delay, the collector's time, the heap.
 */
export async function readServer(url: string): Promise<ServerReading> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const read: Record<string, Map<number, number>> = {};
  for (const [name, prefix] of Object.entries(HISTOGRAMS)) {
    const buckets = new Map<number, number>();
    const metric = prefix.slice(0, prefix.indexOf('{'));
    const label = prefix.slice(prefix.indexOf('{') + 1);
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${metric}_bucket{`) || !line.includes(label)) continue;
      const le = /le="([^"]+)"/.exec(line)?.[1];
      const count = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + count);
    }
    read[name] = buckets;
  }
  const loopMax = /^carillon_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1];
  const gcSeconds = new Map<string, number>();
  for (const m of text.matchAll(
    /^carillon_nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/gm,
  ))
    gcSeconds.set(m[1] ?? '', Number(m[2]));
  const heap = /^carillon_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  return {
    buckets: read,
    loopMaxMs: Math.round(Number(loopMax ?? Number.NaN) * 1000),
    gcSeconds,
    heapMb: Math.round(Number(heap ?? Number.NaN) / 1e6),
  };
}

/**
 * Over the window from `before` to `after`: per histogram its count and its p50 and p99 as the
 * upper bound (ms) of the bucket they fall in (`Infinity`, null in JSON, past the last bucket);
 * the collector's ms by kind; the loop's longest delay and the heap at the end.
 */
export function windowReading(
  before: ServerReading,
  after: ServerReading,
): Record<string, { n: number; p50: number; p99: number } | number> {
  const out: Record<string, { n: number; p50: number; p99: number } | number> = {
    loopMaxMs: after.loopMaxMs,
    heapMb: after.heapMb,
  };
  // The collector's time in the window, ms by kind.
  for (const [kind, seconds] of after.gcSeconds)
    out[`gc_${kind}_ms`] = Math.round((seconds - (before.gcSeconds.get(kind) ?? 0)) * 1000);
  for (const [name, buckets] of Object.entries(after.buckets)) {
    const bounds = [...buckets.keys()].sort((a, b) => a - b);
    const counts = bounds.map((b) => (buckets.get(b) ?? 0) - (before.buckets[name]?.get(b) ?? 0));
    const n = counts[counts.length - 1] ?? 0;
    const at = (q: number): number => {
      const i = counts.findIndex((c) => c >= q * n);
      const bound = bounds[i] ?? Infinity;
      return bound === Infinity ? Infinity : Math.round(bound * 1000 * 10) / 10;
    };
    out[name] = { n, p50: n === 0 ? 0 : at(0.5), p99: n === 0 ? 0 : at(0.99) };
  }
  return out;
}

/**
 * Waits until V8 has shrunk every server's new heap; false when it had not after 4 minutes.
 * About a minute after a process starts, once its allocation slows, V8's memory reducer runs up
 * to three major collections (idle servers: 2-3 each, 60-70 s after their start, then none for
 * minutes). Under a CPU cap each one stalled a server 0.5-1.5 s, in all servers at once since
 * they start together: in 4 of 5 capped runs of three servers (December 2026, stop 19) they fell
 * at the step during which these came. Settled: each server (by `read`) made a major
 * collection, and none for 15 s.
 */
export async function heapsSettled(
  read: () => Promise<ReadonlyMap<string, ServerReading>>,
): Promise<boolean> {
  const deadline = Date.now() + 240_000;
  let last = new Map<string, number>();
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const majors = new Map(
      [...(await read())].map(([id, r]) => [id, r.gcSeconds.get('major') ?? 0]),
    );
    if ([...majors].some(([id, seconds]) => seconds !== last.get(id))) quietSince = Date.now();
    last = majors;
    if ([...majors.values()].every((s) => s > 0) && Date.now() - quietSince >= 15_000) return true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return false;
}
