/**
 * The percentile bootstrap, seeded: resampling with replacement, the inverse-CDF percentile interval of a
 * bootstrap distribution, and its standard error.
 *
 * Percentiles are the inverse of the empirical distribution function (Hyndman and Fan's type 1): the p
 * quantile of sorted values v₁ ≤ … ≤ v_B is v_k with k = ⌈p·B⌉, the smallest value whose share of values at
 * or below it is at least p. With the exact bootstrap distribution (every resample enumerated, each
 * weighted by its probability) the same rule gives the exact percentile interval, which is what the tests
 * check a seeded Monte-Carlo interval against.
 */
import { Rng } from "../util/rng.ts";

/** A two-sided interval. */
export interface Interval {
  low: number;
  high: number;
}

/** The confidence level of every interval the reports print. */
export const LEVEL = 0.95;

/** Bootstrap resamples drawn by default. */
export const DEFAULT_RESAMPLES = 1000;

/** The p quantile of ascending `sorted` values (inverse empirical CDF, see the module comment). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  // 1e-9 keeps p·B from rounding up past an integer (0.025·1000 = 25.000000000000004).
  const k = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length - 1e-9)));
  return sorted[k - 1];
}

/**
 * The percentile interval of a bootstrap distribution at `level` (default 95%): its α/2 and 1 − α/2
 * quantiles. NaN samples (a statistic undefined on some resample) are left out; ±Infinity are kept.
 */
export function percentileInterval(samples: readonly number[], level = LEVEL): Interval {
  const sorted = samples.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const alpha = 1 - level;
  return { low: quantile(sorted, alpha / 2), high: quantile(sorted, 1 - alpha / 2) };
}

/** Sample standard deviation (n − 1) of the finite samples: the bootstrap standard error; NaN with fewer than two. */
export function standardError(samples: readonly number[]): number {
  const xs = samples.filter(Number.isFinite);
  if (xs.length < 2) return NaN;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}

/** `n` positions drawn uniformly with replacement from 0 … n − 1. */
export function resampleIndices(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(n);
  return out;
}

/** Runs `statistic` on `resamples` seeded resamples (each call gets the same generator, advanced). */
export function bootstrap(
  statistic: (rng: Rng) => number,
  options: { resamples?: number; seed?: number } = {},
): number[] {
  const rng = new Rng(options.seed ?? 0);
  return Array.from({ length: options.resamples ?? DEFAULT_RESAMPLES }, () => statistic(rng));
}
