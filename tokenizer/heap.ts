/**
 * A binary heap of (priority, key) number pairs that pops the highest priority first and, among equal
 * priorities, the lowest key: a fixed tie rule, so BPE training and encoding never depend on insertion
 * order.
 */
export class PairHeap {
  private priority: number[] = [];
  private key: number[] = [];

  /** Entries held. */
  get size(): number {
    return this.priority.length;
  }

  /** Adds an entry. */
  push(priority: number, key: number): void {
    const p = this.priority, k = this.key;
    let i = p.length;
    p.push(priority);
    k.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(priority, key, p[parent], k[parent])) break;
      p[i] = p[parent];
      k[i] = k[parent];
      i = parent;
    }
    p[i] = priority;
    k[i] = key;
  }

  /** Priority of the top entry (undefined when empty). */
  peekPriority(): number | undefined {
    return this.priority[0];
  }

  /** Key of the top entry (undefined when empty). */
  peekKey(): number | undefined {
    return this.key[0];
  }

  /** Removes the top entry (call peek* first to read it). */
  pop(): void {
    const p = this.priority, k = this.key;
    const lastP = p.pop()!, lastK = k.pop()!;
    const n = p.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(p[right], k[right], p[left], k[left]) ? right : left;
      if (!before(p[child], k[child], lastP, lastK)) break;
      p[i] = p[child];
      k[i] = k[child];
      i = child;
    }
    p[i] = lastP;
    k[i] = lastK;
  }
}

function before(p1: number, k1: number, p2: number, k2: number): boolean {
  return p1 > p2 || (p1 === p2 && k1 < k2);
}
