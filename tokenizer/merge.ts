/**
 * Applying BPE merges to one pre-token, as Hugging Face's BPE model does: repeatedly merge the adjacent
 * pair of lowest rank, the leftmost one on ties, one occurrence at a time. Two equivalent ways: a plain
 * scan (fastest on the short pieces of ordinary text) and a heap (O(n log n) for long pieces, such as a
 * run of thousands of spaces or a line of dashes).
 */
import { PairHeap } from "./heap.ts";

/** What the merge loop needs: pair key `(left << 16) | right` -> rank, and the id each rank produces. */
export interface MergeTable {
  rankOf: Map<number, number>;
  mergeResult: Int32Array;
}

/** Pieces up to this many symbols use the scan; longer ones the heap. */
export const SCAN_MAX_SYMBOLS = 32;

/** Merges `symbols` (token ids, modified in place) and returns them. */
export function applyMerges(symbols: number[], table: MergeTable): number[] {
  return symbols.length <= SCAN_MAX_SYMBOLS ? mergeByScan(symbols, table) : mergeByHeap(symbols, table);
}

/** The scan: O(n²) lookups, no allocation. */
export function mergeByScan(symbols: number[], { rankOf, mergeResult }: MergeTable): number[] {
  for (;;) {
    let bestRank = 0x7fffffff;
    let bestAt = -1;
    for (let i = 0; i + 1 < symbols.length; i++) {
      const rank = rankOf.get((symbols[i] << 16) | symbols[i + 1]);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        bestAt = i;
      }
    }
    if (bestAt < 0) return symbols;
    symbols[bestAt] = mergeResult[bestRank];
    symbols.splice(bestAt + 1, 1);
  }
}

/** The heap: symbols in a linked list, candidate merges keyed (rank, original position). */
export function mergeByHeap(symbols: number[], { rankOf, mergeResult }: MergeTable): number[] {
  const n = symbols.length;
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap = new PairHeap();
  const rankAt = (pos: number) => next[pos] < 0 ? undefined : rankOf.get((symbols[pos] << 16) | symbols[next[pos]]);
  const offer = (pos: number) => {
    const rank = rankAt(pos);
    if (rank !== undefined) heap.push(-rank, pos);
  };
  for (let i = 0; i + 1 < n; i++) offer(i);
  while (heap.size > 0) {
    const rank = -heap.peekPriority()!;
    const pos = heap.peekKey()!;
    heap.pop();
    if (symbols[pos] < 0 || rankAt(pos) !== rank) continue; // stale: a neighbour was merged since
    const right = next[pos];
    symbols[pos] = mergeResult[rank];
    symbols[right] = -1;
    next[pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = pos;
    if (prev[pos] >= 0) offer(prev[pos]);
    offer(pos);
  }
  const out: number[] = [];
  for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.push(symbols[i]);
  return out;
}
