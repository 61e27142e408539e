/**
 * Compute to match from a fit: the candidate's score against log10(compute) is fitted by least squares,
 * y = a + b·log10(x), over its checkpoints; the compute at which the line reaches the baseline's final
 * score is x* = 10^((target − a) / b), reported as a share of the baseline's final compute. Its interval
 * comes from the study's hierarchical bootstrap: every resample refits the candidate's curve and recomputes
 * the target on the same draw (so seeds and examples stay paired along the curve and with the baseline).
 *
 * A line that does not improve with compute (b ≤ 0 for a higher-is-better metric, b ≥ 0 for perplexity)
 * gives x* = 0 when it is already at or past the target at the first checkpoint, else +∞ (never reached).
 */
import type { Interval } from "./bootstrap.ts";
import { percentileInterval } from "./bootstrap.ts";
import type { ResampleOptions } from "./compare.ts";
import type { Draw, Study } from "./hierarchical.ts";

/** A fitted line y = intercept + slope·log10(x). */
export interface LogLine {
  intercept: number;
  slope: number;
}

/** Least-squares fit of y against log10(x); needs at least two distinct x > 0. */
export function fitLogLine(points: readonly { x: number; y: number }[]): LogLine {
  const xs = points.map((p) => Math.log10(p.x));
  if (new Set(xs).size < 2 || xs.some((x) => !Number.isFinite(x))) {
    throw new Error(`fitLogLine: needs two distinct x > 0, got ${points.map((p) => p.x).join(", ")}`);
  }
  const n = points.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxy = 0, sxx = 0;
  points.forEach((p, i) => {
    sxy += (xs[i] - mx) * (p.y - my);
    sxx += (xs[i] - mx) ** 2;
  });
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** Where `line` reaches `target` (see the module comment for a line that does not improve). */
export function lineCrossing(line: LogLine, target: number, higherIsBetter: boolean, firstX: number): number {
  const sign = higherIsBetter ? 1 : -1;
  if (sign * line.slope > 0) return 10 ** ((target - line.intercept) / line.slope);
  const atFirst = line.intercept + line.slope * Math.log10(firstX);
  return sign * atFirst >= sign * target ? 0 : Infinity;
}

/** A checkpoint of a curve: a study cell and its compute. */
export interface CurveCell {
  cell: number;
  x: number;
}

/** Compute to match, as a share of the baseline's final compute. */
export interface ComputeMatch {
  share: number;
  interval: Interval | null;
  /** The candidate's measured compute, as shares of the baseline's final compute. */
  range: [number, number];
  /** The point estimate lies outside the measured range (the line is extrapolated). */
  extrapolated: boolean;
}

/** Compute to match of `curve` (two checkpoints or more) against `baseline`'s final score. */
export function computeMatch(
  study: Study,
  curve: readonly CurveCell[],
  baseline: CurveCell,
  higherIsBetter: boolean,
  options: ResampleOptions = {},
): ComputeMatch {
  const firstX = Math.min(...curve.map((c) => c.x));
  const share = (draw?: Draw) => {
    const line = fitLogLine(curve.map((c) => ({ x: c.x, y: study.score(c.cell, draw) })));
    return lineCrossing(line, study.score(baseline.cell, draw), higherIsBetter, firstX) / baseline.x;
  };
  const point = share();
  const varies = [baseline, ...curve].some((c) => study.varies(c.cell));
  const range: [number, number] = [firstX / baseline.x, Math.max(...curve.map((c) => c.x)) / baseline.x];
  return {
    share: point,
    interval: varies ? percentileInterval(study.resample(share, options)) : null,
    range,
    extrapolated: point < range[0] || point > range[1],
  };
}
