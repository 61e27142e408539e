/**
 * Estimates with their 95% intervals from a {@link Study}: one cell's score, and the difference between two
 * cells (candidate − baseline, paired as the study pairs them) with a one-word verdict.
 */
import { type Interval, percentileInterval, standardError } from "./bootstrap.ts";
import type { Study } from "./hierarchical.ts";

/** How many resamples and from which seed. */
export interface ResampleOptions {
  resamples?: number;
  seed?: number;
}

/** A point estimate, its percentile interval (null when nothing varies) and bootstrap standard error. */
export interface Estimate {
  estimate: number;
  interval: Interval | null;
  stderr: number;
}

/** What a difference says: the candidate is better, worse, not detectably different, or nothing can be said. */
export type Verdict = "better" | "worse" | "no detectable difference" | "undetermined";

/** A difference candidate − baseline and its verdict. */
export interface Difference extends Estimate {
  verdict: Verdict;
}

function estimate(point: number, samples: number[] | null): Estimate {
  return samples
    ? { estimate: point, interval: percentileInterval(samples), stderr: standardError(samples) }
    : { estimate: point, interval: null, stderr: NaN };
}

/** Cell `i`'s score with its interval. */
export function cellEstimate(study: Study, i: number, options: ResampleOptions = {}): Estimate {
  return estimate(study.score(i), study.varies(i) ? study.resample((d) => study.score(i, d), options) : null);
}

/**
 * The verdict of a difference's interval: "better" when it lies wholly on the better side of 0 (above for a
 * higher-is-better metric, below for perplexity), "worse" on the other side, else no detectable difference.
 */
export function verdictOf(interval: Interval | null, higherIsBetter: boolean): Verdict {
  if (!interval || Number.isNaN(interval.low) || Number.isNaN(interval.high)) return "undetermined";
  if (interval.low > 0) return higherIsBetter ? "better" : "worse";
  if (interval.high < 0) return higherIsBetter ? "worse" : "better";
  return "no detectable difference";
}

/** Cell `candidate` − cell `baseline`, its interval and verdict. */
export function difference(
  study: Study,
  baseline: number,
  candidate: number,
  higherIsBetter: boolean,
  options: ResampleOptions = {},
): Difference {
  const point = study.score(candidate) - study.score(baseline);
  const varies = study.varies(baseline) || study.varies(candidate);
  const samples = varies ? study.resample((d) => study.score(candidate, d) - study.score(baseline, d), options) : null;
  const e = estimate(point, samples);
  return { ...e, verdict: verdictOf(e.interval, higherIsBetter) };
}

/** True when `value` lies within `interval` (bounds included). */
export function inside(value: number, interval: Interval): boolean {
  return value >= interval.low && value <= interval.high;
}
