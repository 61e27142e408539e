/**
 * What pretraining bought: every pretrained arm (each objective; a headless decoder also after its LM
 * fine-tune) at every checkpoint fraction, against the random-init reference of the same design,
 * architecture and model (the unigram LM where there is no random-init run), on the Findings' measures
 * (reports/findings.ts measuresOf). Each line: the arm's score, the difference arm − reference with its
 * 95% interval from the hierarchical bootstrap (paired by seed and example id, as the Findings), and
 * whether pretraining helped. Read down a measure's fractions, the lines are the learning curve.
 */
import { higherIsBetter, isReference } from "../results/vocabulary.ts";
import type { ResultRow } from "../results/rows.ts";
import { cellEstimate, type Difference, difference, type Estimate, type ResampleOptions } from "../stats/compare.ts";
import { Study } from "../stats/hierarchical.ts";
import { cellOf, type Evidence } from "./evidence.ts";
import { armRows, comparisonGroups, type Group, type Measure, measuresOf, referenceRows } from "./findings.ts";
import { formatDifference, formatEstimate, REFERENCE_NAMES, singleSeedNote } from "./findings_table.ts";
import { formatFraction, type TextTable } from "./summary.ts";

/** One arm at one fraction against the reference. */
export interface PretrainingGain {
  design: string;
  arch: string;
  model: string;
  measure: Measure;
  objective: string;
  lmFineTuned: boolean;
  fraction: number;
  /** Mean pretraining tokens of the arm's rows at this fraction. */
  tokens: number;
  reference: string;
  arm: Estimate;
  referenceScore: Estimate;
  /** arm − reference. */
  difference: Difference;
  /** What the interval resamples. */
  resampled: string;
}

const ARM_ORDER = ["softmax", "cwt"];
const objectiveOrder = (o: string) => (ARM_ORDER.includes(o) ? ARM_ORDER.indexOf(o) : ARM_ORDER.length);

/** Every pretrained arm at every fraction against its reference (see the module comment). */
export function findPretrainingGains(evidence: Evidence, options: ResampleOptions = {}): PretrainingGain[] {
  const rows = evidence.rows;
  const out: PretrainingGain[] = [];
  for (const { group: g, rows: mine } of comparisonGroups(rows)) {
    const objectives = [...new Set(mine.map((r) => r.objective))].filter((o) => !isReference(o))
      .sort((a, b) => objectiveOrder(a) - objectiveOrder(b) || a.localeCompare(b));
    for (const m of measuresOf(mine)) {
      const refs = referenceRows(rows, g, m);
      const reference = ["random-init", "unigram"].find((o) => refs.has(o));
      if (!reference) continue;
      const refRows = refs.get(reference)!;
      const higher = higherIsBetter(m.metric);
      for (const objective of objectives) {
        for (const lmft of [false, true]) {
          const arm = armRows(mine, m, objective, lmft);
          for (const fraction of [...new Set(arm.map((r) => r.fraction))].sort((a, b) => a - b)) {
            const at = arm.filter((r) => r.fraction === fraction);
            out.push(gain(g, m, objective, lmft, fraction, at, reference, refRows, higher, evidence, options));
          }
        }
      }
    }
  }
  return out;
}

function gain(
  g: Group,
  m: Measure,
  objective: string,
  lmFineTuned: boolean,
  fraction: number,
  arm: ResultRow[],
  reference: string,
  refRows: ResultRow[],
  higher: boolean,
  evidence: Evidence,
  options: ResampleOptions,
): PretrainingGain {
  const study = new Study([cellOf(refRows, evidence), cellOf(arm, evidence)]);
  return {
    ...g,
    measure: m,
    objective,
    lmFineTuned,
    fraction,
    tokens: arm.reduce((s, r) => s + r.tokens, 0) / arm.length,
    reference,
    arm: cellEstimate(study, 1, options),
    referenceScore: cellEstimate(study, 0, options),
    difference: difference(study, 0, 1, higher, options),
    resampled: study.describe(1),
  };
}

/** "better" reads as "pretraining helped" here; the rest as the Findings say it. */
function gainVerdict(d: Difference): string {
  return d.verdict === "better"
    ? "pretraining helps"
    : d.verdict === "worse"
    ? "worse than the reference"
    : d.verdict === "undetermined"
    ? "undetermined (no interval)"
    : "no detectable gain";
}

const tokensText = (t: number) => (t >= 1e6 ? `${Number((t / 1e6).toPrecision(3))}M` : `${Math.round(t / 1e3)}k`);

/** The table: one line per arm, measure and fraction. */
export function pretrainingGainTable(gains: readonly PretrainingGain[]): TextTable {
  return {
    title: "Pretrained against random init",
    columns: [
      "design",
      "model",
      "measure",
      "arm",
      "fraction (tokens)",
      "score [95% CI]",
      "reference [95% CI]",
      "gain [95% CI]",
      "verdict",
    ],
    rows: gains.map((x) => [
      x.design || "default",
      `${x.arch} ${x.model}`.trim(),
      `${x.measure.title}${x.measure.policy ? `, ${x.measure.policy}` : ""}`,
      `${x.objective}${x.lmFineTuned ? " + LM fine-tune" : ""}`,
      `${formatFraction(x.fraction)} (${tokensText(x.tokens)})`,
      formatEstimate(x.arm.estimate, x.arm.interval, x.measure.metric),
      `${REFERENCE_NAMES[x.reference]} ${
        formatEstimate(x.referenceScore.estimate, x.referenceScore.interval, x.measure.metric)
      }`,
      formatDifference({ measure: x.measure, difference: x.difference, baseline: { estimate: x.referenceScore } }),
      gainVerdict(x.difference),
    ]),
    notes: [
      "gain: the arm's score − the reference's (×100 for accuracy, MCC, correlations; lower is better for perplexity " +
      "and bits per byte), 95% percentile bootstrap over seeds × examples, paired by example id.",
      "reference: the same model with no pretraining, fine-tuned and scored the same way (random init); " +
      "the unigram LM where no random-init run scored the measure.",
      "Read down one measure's fractions for the learning curve: the score against pretraining tokens.",
      ...singleSeedNote(gains.map((g) => g.resampled)),
    ],
  };
}
