/** An entry of the heap: a job and the instant of its next fire. */
export interface HeapEntry {
  readonly at: number;
  readonly jobId: number;
  /** The version of the job's schedule when pushed; a stale entry is dropped on pop. */
  readonly generation: number;
}

/**
 * A binary min-heap of next fire instants. O(log n) push and pop keep a million jobs cheap;
 * updates and removals are lazy (entries carry a generation that the caller checks on pop).
 */
export class FireHeap {
  readonly #items: HeapEntry[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): HeapEntry | undefined {
    return this.#items[0];
  }

  push(entry: HeapEntry): void {
    const items = this.#items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, items[parent] as HeapEntry)) break;
      items[i] = items[parent] as HeapEntry;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): HeapEntry | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child =
        right < items.length && before(items[right] as HeapEntry, items[left] as HeapEntry)
          ? right
          : left;
      if (!before(items[child] as HeapEntry, last)) break;
      items[i] = items[child] as HeapEntry;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Keeps only the entries `keep` accepts (in O(n log n)). */
  retain(keep: (entry: HeapEntry) => boolean): void {
    const kept = this.#items.filter(keep);
    this.#items.length = 0;
    for (const entry of kept) this.push(entry);
  }

  clear(): void {
    this.#items.length = 0;
  }
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.jobId < b.jobId);
}
