/**
 * The comparisons of reports/findings.ts as the report prints them: the Findings table (one line per
 * comparison: design, what is compared, the difference with its 95% interval, the verdict, the random-init
 * reference, compute to match), the compute-to-match table with the paper's claims beside ours, and
 * comparisons.csv with every number behind them.
 */
import { formatCsv } from "../results/csv.ts";
import type { Interval } from "../stats/bootstrap.ts";
import { DEFAULT_RESAMPLES } from "../stats/bootstrap.ts";
import { BASELINE, type Comparison, type ComputeToMatchResult } from "./findings.ts";
import { displayScale, formatFraction, formatNumber, MISSING, type TextTable } from "./summary.ts";

const signed = (v: number, scale: number, like: number) => {
  const text = formatNumber(v, scale, like);
  return v > 0 ? `+${text}` : text.replace(/^-/, "−");
};

/** "+1.23 [−0.50, +2.90]" on the metric's display scale. */
export function formatDifference(
  c: Pick<Comparison, "measure" | "difference"> & { baseline: Pick<Comparison["baseline"], "estimate"> },
): string {
  const scale = displayScale(c.measure.metric);
  const d = c.difference;
  const like = Math.max(Math.abs(c.baseline.estimate.estimate), Math.abs(d.estimate));
  const point = signed(d.estimate, scale, like);
  return d.interval
    ? `${point} [${signed(d.interval.low, scale, like)}, ${signed(d.interval.high, scale, like)}]`
    : `${point} (no interval)`;
}

/** "48.01 [44.40, 51.62]", or the value alone. */
export function formatEstimate(value: number, interval: Interval | null, metric: string): string {
  const scale = displayScale(metric);
  const v = formatNumber(value, scale);
  return interval
    ? `${v} [${formatNumber(interval.low, scale, value)}, ${formatNumber(interval.high, scale, value)}]`
    : v;
}

/** How a reference is named in the report's tables. */
export const REFERENCE_NAMES: Readonly<Record<string, string>> = {
  "random-init": "random init",
  majority: "majority class",
  unigram: "unigram LM",
};

/** The verdict, unless both arms are within the reference's interval: then no finding. */
export function verdictText(c: Comparison): string {
  if (c.clears && !c.clears.baseline && !c.clears.candidate) {
    return `not a finding (both within ${REFERENCE_NAMES[c.clears.reference]})`;
  }
  return c.difference.verdict;
}

/** Where the arms stand against the reference: "random init: both clear it, 50.12 [46.00, 54.20]". */
export function referenceText(c: Comparison): string {
  if (!c.clears) return "no reference run";
  const ref = c.references[c.clears.reference];
  const who = c.clears.baseline && c.clears.candidate
    ? "both clear it"
    : c.clears.candidate
    ? `only ${c.candidate.objective} clears it`
    : c.clears.baseline
    ? `only ${BASELINE} clears it`
    : "neither clears it";
  return `${REFERENCE_NAMES[c.clears.reference]} ${
    formatEstimate(ref.estimate, ref.interval, c.measure.metric)
  }: ${who}`;
}

const share = (x: number) => (x === Infinity ? "never" : x === 0 ? "0%" : `${Number((100 * x).toPrecision(2))}%`);

/** "37% [20%, 61%]", "37% (extrapolated) [...]", "not reached", or why there is none. */
export function formatShare(r: ComputeToMatchResult): string {
  if ("none" in r) return r.none;
  const point = r.share === Infinity
    ? "not reached"
    : r.share === 0
    ? `already at the first checkpoint (${share(r.range[0])})`
    : `${share(r.share)}${r.extrapolated ? " (extrapolated)" : ""}`;
  return r.interval ? `${point} [${share(r.interval.low)}, ${share(r.interval.high)}]` : point;
}

/** The comparison's name in tables: "cwt − softmax: RTE accuracy (dev), best epoch". */
export function comparisonTitle(c: Comparison): string {
  const candidate = `${c.candidate.objective}${c.candidate.lmFineTuned ? " + LM fine-tune" : ""}`;
  return `${candidate} − ${BASELINE}: ${c.measure.title}${c.measure.policy ? `, ${c.measure.policy}` : ""}`;
}

const designCell = (design: string) => design || "default";

/**
 * A note when intervals come from one pretraining seed and one fine-tuning seed (what each resampled:
 * Comparison.resampled): they then hold the variation over examples only, not over seeds.
 */
export function singleSeedNote(resampled: readonly string[]): string[] {
  const single = resampled.filter((r) => r.startsWith("1 pretraining seed × 1 fine-tuning seed"));
  if (single.length === 0) return [];
  const which = single.length === resampled.length ? "Every interval here" : `${single.length} of these intervals`;
  return [
    `${which} comes from one pretraining seed and one fine-tuning seed: it holds the variation over examples ` +
    "only, not over seeds (a second seed of each would show how far a score moves from seed to seed).",
  ];
}

/** The Findings table: one line per comparison. */
export function findingsTable(comparisons: readonly Comparison[], resamples = DEFAULT_RESAMPLES): TextTable {
  return {
    title: "Findings",
    columns: [
      "design",
      "model",
      "comparison",
      "difference [95% CI]",
      "verdict",
      "reference [95% CI]",
      "compute to match (FLOPs)",
    ],
    rows: comparisons.map((c) => [
      designCell(c.design),
      `${c.arch} ${c.model}`.trim(),
      comparisonTitle(c),
      formatDifference(c),
      verdictText(c),
      referenceText(c),
      formatShare(c.computeToMatch.flops),
    ]),
    notes: [
      "difference: candidate − softmax, each at its final budget fraction (×100 for accuracy, MCC, correlations); " +
      `95% percentile bootstrap (${resamples} resamples, seeded) over pretraining seeds × fine-tuning seeds × examples, ` +
      "paired by seed and by example id (comparisons.csv says what each resampled).",
      "verdict: better or worse when the interval excludes 0 (lower is better for perplexity and bits per byte), " +
      "else no detectable difference; never a finding when both arms are within the reference's interval.",
      "reference: the same model with no pretraining (random init), fine-tuned and scored the same way; without a " +
      "random-init run the majority class, else the unigram LM.",
      "compute to match: share of softmax's final pretraining FLOPs at which the candidate's score, fitted against " +
      "log10(FLOPs) over its checkpoints, reaches softmax's final score; not meaningful when that score is within " +
      "the reference's interval.",
      ...singleSeedNote(comparisons.map((c) => c.resampled)),
    ],
  };
}

/** Compute to match of every comparison that has it, in FLOPs and wall-clock, with the paper's claims. */
export function computeToMatchTable(comparisons: readonly Comparison[]): TextTable {
  return {
    title: "Compute to match",
    columns: [
      "design",
      "comparison",
      "target (softmax final)",
      "CWT checkpoints",
      "FLOPs [95% CI]",
      "wall-clock [95% CI]",
      "paper (GPU-hours)",
    ],
    rows: comparisons.map((c) => {
      const range = "range" in c.computeToMatch.flops ? c.computeToMatch.flops.range : undefined;
      return [
        designCell(c.design),
        comparisonTitle(c),
        `${formatEstimate(c.baseline.estimate.estimate, c.baseline.estimate.interval, c.measure.metric)} at ${
          formatFraction(c.baseline.fraction)
        }`,
        range ? `${share(range[0])}–${share(range[1])} of softmax's FLOPs` : MISSING,
        formatShare(c.computeToMatch.flops),
        formatShare(c.computeToMatch.seconds),
        c.measure.paperShare === undefined ? MISSING : `${Math.round(100 * c.measure.paperShare)}% of GPU-hours`,
      ];
    }),
    notes: [
      "Share of the softmax run's final compute (pretraining FLOPs; pretraining wall-clock on this machine, the analogue of " +
      "the paper's GPU-hours) at which the candidate's least-squares line of score against log10(compute) reaches softmax's " +
      "final score; interval from the same bootstrap as the difference. (extrapolated): outside the checkpoints measured. " +
      "A decoder's compute includes its LM fine-tune.",
      "Paper: the headless encoder passes the vanilla one's final GLUE score after 25% of its GPU-hours; the multilingual one " +
      "its final XNLI score after 22% (English) and 5% (target language): shares of GPU-hours, not of FLOPs.",
    ],
  };
}

/** comparisons.csv: every number behind the Findings. */
export function comparisonsCsv(comparisons: readonly Comparison[]): string {
  const interval = (prefix: string, i: Interval | null) => ({
    [`${prefix}_low`]: i?.low ?? NaN,
    [`${prefix}_high`]: i?.high ?? NaN,
  });
  const match = (prefix: string, r: ComputeToMatchResult) =>
    "none" in r
      ? { [prefix]: r.none }
      : { [prefix]: r.share, ...interval(prefix, r.interval), [`${prefix}_extrapolated`]: r.extrapolated };
  const records = comparisons.map((c) => ({
    design: c.design,
    arch: c.arch,
    model: c.model,
    measure: c.measure.title,
    task: c.measure.task,
    metric: c.measure.metric,
    policy: c.measure.policy,
    baseline: c.baseline.objective,
    baseline_fraction: c.baseline.fraction,
    baseline_value: c.baseline.estimate.estimate,
    ...interval("baseline", c.baseline.estimate.interval),
    candidate: c.candidate.objective,
    candidate_fraction: c.candidate.fraction,
    candidate_value: c.candidate.estimate.estimate,
    ...interval("candidate", c.candidate.estimate.interval),
    difference: c.difference.estimate,
    ...interval("difference", c.difference.interval),
    verdict: verdictText(c),
    resampled: c.resampled,
    random_init_value: c.references["random-init"]?.estimate ?? NaN,
    ...interval("random_init", c.references["random-init"]?.interval ?? null),
    reference: c.clears?.reference ?? "",
    clears_reference: c.clears
      ? [c.clears.baseline ? BASELINE : "", c.clears.candidate ? c.candidate.objective : ""].filter(Boolean).join(" ")
      : "",
    majority_value: c.references.majority?.estimate ?? NaN,
    unigram_value: c.references.unigram?.estimate ?? NaN,
    compute_to_match_meaningful: c.meaningful.ok ? "yes" : `no: ${c.meaningful.why}`,
    ...match("compute_to_match_flops", c.computeToMatch.flops),
    ...match("compute_to_match_seconds", c.computeToMatch.seconds),
  }));
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return formatCsv(columns, records);
}
