/**
 * Rows grouped by length so that padding is almost never computed. A padded batch computes
 * rows × (its longest row) tokens; a model call also has a fixed cost (a few dozen kernels per layer,
 * each with its own dispatch), worth about {@link CALL_OVERHEAD_TOKENS} tokens of work on the
 * benchmark's model (notes/speed.md). Rows sorted by length are cut into consecutive groups by dynamic
 * programming so that Σ (rows · longest + overhead) is least: rows of one length go together with no
 * padding at all, and a group takes a slightly shorter row only when another call would cost more than
 * the padding it adds.
 */

/** The fixed cost of one model call, in tokens of work (measured: ~7 ms forward, ~30 ms forward+backward). */
export const CALL_OVERHEAD_TOKENS = 48;

/**
 * How {@link groupByLength} groups when its caller gives no overhead: `overheadTokens` per group, and
 * whether it groups by length at all (`enabled`, the default). Off, it cuts the sorted rows every
 * `maxRows` (one group when no limit is given): what fine-tuning and scoring did before, kept so that
 * `deno task bench --eval-padded` can time both.
 */
export const lengthGrouping: { enabled: boolean; overheadTokens: number } = {
  enabled: true,
  overheadTokens: CALL_OVERHEAD_TOKENS,
};

/** Options of {@link groupByLength}. */
export interface GroupOptions {
  /** Most rows in one group (default: no limit). */
  maxRows?: number;
  /** The cost of one more group, in tokens (default `lengthGrouping.overheadTokens`). */
  overheadTokens?: number;
}

/**
 * Indices `0..lengths.length-1` cut into groups of rows: sorted by length (ties by index), then split
 * where Σ over groups of (rows · longest + overheadTokens) is least, with at most `maxRows` per group.
 * Every index appears exactly once; groups come shortest first, each sorted by length.
 */
export function groupByLength(lengths: ArrayLike<number>, options: GroupOptions = {}): number[][] {
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  if (!lengthGrouping.enabled) {
    const rows = options.maxRows ?? Math.max(1, order.length);
    return Array.from({ length: Math.ceil(order.length / rows) }, (_, k) => order.slice(k * rows, (k + 1) * rows));
  }
  return splitSorted(order.map((i) => lengths[i]), options).map(([from, to]) => order.slice(from, to));
}

/**
 * Cut points of an ascending list of lengths: [from, to) ranges minimising Σ ((to − from) · sorted[to−1]
 * + overhead) with at most `maxRows` rows per range. O(n · maxRows).
 */
export function splitSorted(sorted: ArrayLike<number>, options: GroupOptions = {}): [number, number][] {
  const n = sorted.length;
  const maxRows = options.maxRows ?? n;
  const overhead = options.overheadTokens ?? lengthGrouping.overheadTokens;
  if (!(Number.isInteger(maxRows) && maxRows >= 1) && n > 0) {
    throw new RangeError(`maxRows is ${maxRows}; expected a positive integer`);
  }
  for (let i = 1; i < n; i++) {
    if (sorted[i] < sorted[i - 1]) throw new RangeError(`lengths are not sorted at ${i}`);
  }
  const cost = new Float64Array(n + 1).fill(Infinity);
  const start = new Int32Array(n + 1);
  cost[0] = 0;
  for (let to = 1; to <= n; to++) {
    const longest = sorted[to - 1];
    for (let from = Math.max(0, to - maxRows); from < to; from++) {
      const c = cost[from] + (to - from) * longest + overhead;
      if (c < cost[to]) {
        cost[to] = c;
        start[to] = from;
      }
    }
  }
  const ranges: [number, number][] = [];
  for (let to = n; to > 0; to = start[to]) ranges.push([start[to], to]);
  return ranges.reverse();
}

/** Tokens computed when `groups` of rows are each padded to their longest row. */
export function paddedTokens(lengths: ArrayLike<number>, groups: number[][]): number {
  return groups.reduce((s, g) => s + g.length * Math.max(...g.map((i) => lengths[i])), 0);
}
