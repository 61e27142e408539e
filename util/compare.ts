/**
 * Element-wise comparison of two numeric arrays that never builds a diff of the whole arrays: it counts
 * the values that differ and reports the largest difference, so that a failed comparison of millions of
 * values prints one line instead of exhausting memory.
 */

/** How two arrays differ. */
export interface ArrayDifference {
  /** Elements compared (the shorter length when the lengths differ). */
  compared: number;
  /** Whether the lengths differ. */
  lengthMismatch: boolean;
  /** Values that differ: bitwise-equal is `Object.is` (NaN equals NaN; -0 differs from 0), or beyond `tolerance`. */
  differing: number;
  /** Largest absolute difference over the compared values (Infinity where one side is not finite and the other differs). */
  maxAbsDiff: number;
  /** The largest absolute difference divided by the largest finite magnitude in `want` (0 when that is zero). */
  maxRelDiff: number;
  /** First index that differs, or -1. */
  firstIndex: number;
}

/**
 * Compares `got` with `want`. With `tolerance` (absolute, relative to the largest magnitude of `want`
 * when `relative` is set), a value differs only when it is farther than that; without it, only when it is
 * not bit-for-bit the same number.
 */
export function compareArrays(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  options: { tolerance?: number; relative?: boolean } = {},
): ArrayDifference {
  const n = Math.min(got.length, want.length);
  let scale = 0;
  for (let i = 0; i < n; i++) if (Number.isFinite(want[i])) scale = Math.max(scale, Math.abs(want[i]));
  const bound = options.tolerance === undefined ? -1 : options.tolerance * (options.relative ? scale : 1);
  let differing = 0, maxAbsDiff = 0, firstIndex = -1;
  for (let i = 0; i < n; i++) {
    const a = got[i], b = want[i];
    if (Object.is(a, b)) continue;
    const d = Number.isNaN(a) || Number.isNaN(b) ? Infinity : Math.abs(a - b);
    if (d > maxAbsDiff || Number.isNaN(maxAbsDiff)) maxAbsDiff = d;
    if (bound >= 0 && d <= bound) continue;
    differing++;
    if (firstIndex < 0) firstIndex = i;
  }
  return {
    compared: n,
    lengthMismatch: got.length !== want.length,
    differing,
    maxAbsDiff,
    maxRelDiff: scale > 0 ? maxAbsDiff / scale : 0,
    firstIndex,
  };
}

/** One line for a failed comparison: counts and the largest difference, never the arrays. */
export function describeDifference(d: ArrayDifference, got: ArrayLike<number>, want: ArrayLike<number>): string {
  const length = d.lengthMismatch ? `lengths differ (${got.length} vs ${want.length}); ` : "";
  const first = d.firstIndex >= 0 ? `; first at [${d.firstIndex}]: ${got[d.firstIndex]} vs ${want[d.firstIndex]}` : "";
  return `${length}${d.differing} of ${d.compared} values differ, largest absolute difference ${
    d.maxAbsDiff.toExponential(3)
  } ` +
    `(relative ${d.maxRelDiff.toExponential(3)})${first}`;
}
