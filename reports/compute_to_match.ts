/**
 * Compute to match: the share of the baseline (softmax) run's final FLOPs at which the candidate (CWT)
 * run first reaches the baseline's final score: the paper's "the headless encoder passes the vanilla
 * encoder's final GLUE score after 25% of its compute".
 *
 * - The candidate is only measured at its checkpoints (budget fractions). Between two checkpoints the
 *   score is taken to move linearly in the x axis (FLOPs, or wall-clock seconds, or tokens), so the
 *   crossing is interpolated linearly; before the first checkpoint nothing is known, so a candidate that
 *   already reaches the target there gets "≤ x₀" (an upper bound), not an extrapolated number.
 * - Point estimate: from seed means: the target is the mean over the baseline's seeds of its value at its
 *   final fraction, the x axis is divided by the mean of the baseline's final x, and the candidate curve is
 *   the mean over its seeds at each fraction.
 * - Uncertainty: the same computation for every (baseline seed, candidate seed) pair, each with its own
 *   target and denominator; the range is min-max over the pairs, and pairs that never reach are counted.
 * - "Reaches" is >= the target for higher-is-better metrics and <= for perplexity and loss.
 */
import { compareReplicates, replicateLabel, type ResultRow } from "./rows.ts";
import { displayScale, formatNumber } from "./summary.ts";

/** What the crossing is measured in: pretraining FLOPs (default), wall-clock seconds, or tokens. */
export type MatchAxis = "flops" | "wall_seconds" | "tokens";

/** One checkpoint of a curve: x as a share of the baseline's final x, y the score. */
export interface CurvePoint {
  x: number;
  y: number;
}

/** Where a curve first reaches a target. */
export type Crossing =
  | {
    reached: true;
    /** Share of the baseline's final x (FLOPs, seconds or tokens). */
    x: number;
    /** interpolated between two checkpoints; exactly at a checkpoint; or at the first checkpoint or earlier (x is an upper bound). */
    how: "interpolated" | "at-checkpoint" | "at-or-before-first";
  }
  | { reached: false; /** Best score the curve got to. */ best: number };

/** Metrics where lower is better; every other metric is higher-is-better. */
const LOWER_IS_BETTER = /^(perplexity|ppl|loss|bits_per|bpb)/;

/** True unless the metric is a perplexity or a loss. */
export function higherIsBetter(metric: string): boolean {
  return !LOWER_IS_BETTER.test(metric);
}

/**
 * First x where `points` (any order; sorted by x here) reaches `target`, interpolating linearly between
 * the last checkpoint below the target and the first at or above it.
 */
export function firstCrossing(points: readonly CurvePoint[], target: number, higher = true): Crossing {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const reaches = (y: number) => (higher ? y >= target : y <= target);
  for (let i = 0; i < sorted.length; i++) {
    const { x, y } = sorted[i];
    if (!reaches(y)) continue;
    if (i === 0) return { reached: true, x, how: "at-or-before-first" };
    if (y === target) return { reached: true, x, how: "at-checkpoint" };
    const prev = sorted[i - 1];
    return { reached: true, x: prev.x + ((target - prev.y) / (y - prev.y)) * (x - prev.x), how: "interpolated" };
  }
  const ys = sorted.map((p) => p.y);
  return { reached: false, best: higher ? Math.max(...ys) : Math.min(...ys) };
}

/** Which comparison to make. */
export interface MatchSelector {
  arch: string;
  task: string;
  metric: string;
  policy: string;
  axis?: MatchAxis;
  baseline?: string;
  candidate?: string;
}

/** Compute to match for one (arch, task, metric, policy). */
export interface ComputeToMatch {
  arch: string;
  task: string;
  metric: string;
  policy: string;
  axis: MatchAxis;
  baseline: string;
  candidate: string;
  higherIsBetter: boolean;
  /** The baseline's final budget fraction, its mean score there (the target) and its mean x there (the denominator). */
  baselineFraction: number;
  target: number;
  baselineFinal: number;
  /** From the seed means. */
  estimate: Crossing;
  /** One per (baseline replicate, candidate replicate): seeds, or "pretrain_seed/seed" (rows.ts). */
  pairs: { baselineSeed: string; candidateSeed: string; crossing: Crossing }[];
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean over seeds per fraction, as (x, y) with x divided by `denominator`. */
function meanCurve(rows: readonly ResultRow[], axis: MatchAxis, denominator: number): CurvePoint[] {
  const byFraction = new Map<number, ResultRow[]>();
  for (const r of rows) byFraction.set(r.fraction, [...(byFraction.get(r.fraction) ?? []), r]);
  return [...byFraction.values()].map((g) => ({
    x: mean(g.map((r) => r[axis])) / denominator,
    y: mean(g.map((r) => r.value)),
  }));
}

/**
 * Compute to match for one selection, or undefined when the baseline or the candidate has no rows.
 * Baseline and candidate default to "softmax" and "cwt", the axis to FLOPs.
 */
export function computeToMatch(rows: readonly ResultRow[], sel: MatchSelector): ComputeToMatch | undefined {
  const axis = sel.axis ?? "flops", baseline = sel.baseline ?? "softmax", candidate = sel.candidate ?? "cwt";
  const pick = (objective: string) =>
    rows.filter((r) =>
      r.arch === sel.arch && r.objective === objective && r.task === sel.task && r.metric === sel.metric &&
      r.policy === sel.policy
    );
  const base = pick(baseline), cand = pick(candidate);
  if (base.length === 0 || cand.length === 0) return undefined;
  const baselineFraction = Math.max(...base.map((r) => r.fraction));
  const finals = base.filter((r) => r.fraction === baselineFraction);
  const higher = higherIsBetter(sel.metric);
  const target = mean(finals.map((r) => r.value));
  const baselineFinal = mean(finals.map((r) => r[axis]));
  const candidateSeeds = [...new Set(cand.map(replicateLabel))].sort(compareReplicates);
  const pairs = [...finals].sort((a, b) => compareReplicates(replicateLabel(a), replicateLabel(b))).flatMap((b) =>
    candidateSeeds.map((c) => ({
      baselineSeed: replicateLabel(b),
      candidateSeed: c,
      crossing: firstCrossing(
        cand.filter((r) => replicateLabel(r) === c).map((r) => ({ x: r[axis] / b[axis], y: r.value })),
        b.value,
        higher,
      ),
    }))
  );
  return {
    arch: sel.arch,
    task: sel.task,
    metric: sel.metric,
    policy: sel.policy,
    axis,
    baseline,
    candidate,
    higherIsBetter: higher,
    baselineFraction,
    target,
    baselineFinal,
    estimate: firstCrossing(meanCurve(cand, axis, baselineFinal), target, higher),
    pairs,
  };
}

/** Compute to match for every (arch, task, metric, policy) that both objectives measured, sorted. */
export function computeToMatchAll(
  rows: readonly ResultRow[],
  opts: { axis?: MatchAxis; baseline?: string; candidate?: string } = {},
): ComputeToMatch[] {
  const baseline = opts.baseline ?? "softmax", candidate = opts.candidate ?? "cwt";
  const keys = new Set(
    rows.filter((r) => r.objective === baseline || r.objective === candidate).map((r) =>
      [r.arch, r.task, r.metric, r.policy].join("\u0000")
    ),
  );
  return [...keys].sort().flatMap((k) => {
    const [arch, task, metric, policy] = k.split("\u0000");
    const result = computeToMatch(rows, { arch, task, metric, policy, axis: opts.axis, baseline, candidate });
    return result ? [result] : [];
  });
}

const pct = (x: number) => `${Number((100 * x).toPrecision(3))}%`;

/** "37.5%", "25%" (at a checkpoint), "≤ 12.5%" (already at the first checkpoint), or "not reached (best …)". */
export function formatCrossing(c: Crossing, metric = ""): string {
  if (!c.reached) return `not reached (best ${formatNumber(c.best, displayScale(metric))})`;
  return c.how === "at-or-before-first" ? `≤ ${pct(c.x)}` : pct(c.x);
}

/** The spread over seed pairs: "31.2%–43.8% (9 pairs)", "≤ 12.5%–25% (4 pairs)", "25%–not reached (2 of 9 pairs not reached)". */
export function formatPairRange(result: ComputeToMatch): string {
  const n = result.pairs.length;
  const reached = result.pairs.map((p) => p.crossing).filter((c): c is Extract<Crossing, { reached: true }> =>
    c.reached
  );
  const notReached = n - reached.length;
  if (reached.length === 0) return `not reached in any of ${n} pair${n === 1 ? "" : "s"}`;
  const low = reached.reduce((a, b) => (b.x < a.x ? b : a));
  const high = reached.reduce((a, b) => (b.x > a.x ? b : a));
  const lowText = formatCrossing(low);
  if (notReached > 0) return `${lowText}–not reached (${notReached} of ${n} pairs not reached)`;
  const highText = formatCrossing(high);
  return `${lowText === highText ? lowText : `${lowText}–${highText}`} (${n} pair${n === 1 ? "" : "s"})`;
}
