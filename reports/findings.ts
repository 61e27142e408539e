/**
 * The comparisons a reader of the paper asks about, each with its uncertainty: every pretrained objective
 * against the softmax baseline of the same design, architecture and model, at both arms' final budget
 * fractions, on each headline measure:
 * - a GLUE task's headline score (the paper's metric and split), and the GLUE average over the paper's
 *   tasks measured (two or more);
 * - XNLI per setup and split, averaged over the languages measured;
 * - LAMBADA accuracy and perplexity, a headless decoder after its LM fine-tune (`_lmft`) where it has one
 *   (the paper's claim), else with its own head; any other task's `_lmft` rows are used the same way;
 * - BLiMP averaged over its paradigms (`blimp_*`), and every other task's metrics (bits per byte, multiple
 *   choice) but secondary ones (F1, accuracy_norm, Pearson).
 * Policy: best epoch where the measure was fine-tuned (the paper's), none for zero-shot scores.
 *
 * Each comparison: the difference candidate − baseline with its 95% interval from the hierarchical bootstrap
 * (pretraining seeds × fine-tuning seeds × examples, paired by example id; stats/), a verdict, where each arm
 * stands against the random-init reference (without a random-init run: the majority class, else the
 * unigram LM; a score inside its interval is never called a finding), and compute to match
 * (stats/compute_fit.ts) in FLOPs and in wall-clock, "not meaningful" where the baseline's final score is
 * inside that reference's interval, and not given where there is no reference run to judge it by.
 */
import { glueTitle, isGlueTask } from "../data/glue.ts";
import { GLUE_AVERAGES } from "../evals/glue_score.ts";
import { XNLI_AVG, XNLI_TASK } from "../evals/xnli_tasks.ts";
import { measurementKey, type ResultRow } from "../results/rows.ts";
import { higherIsBetter, isReference } from "../results/vocabulary.ts";
import type { Interval } from "../stats/bootstrap.ts";
import { cellEstimate, type Difference, difference, type Estimate, type ResampleOptions } from "../stats/compare.ts";
import { type ComputeMatch, computeMatch } from "../stats/compute_fit.ts";
import { type Cell, Study } from "../stats/hierarchical.ts";
import { cellOf, type Evidence } from "./evidence.ts";
import { paperResults } from "./paper_results.ts";
import { glueHeadline, referencePolicy } from "./summary.ts";

/** The baseline every pretrained objective is compared with. */
export const BASELINE = "softmax";

/** Metrics left out of the Findings (shown in the tables): a task's secondary scores. */
const SECONDARY = new Set(["f1", "accuracy_norm", "pearson"]);

/** What one comparison measures: its components (averaged) and policy. */
export interface Measure {
  title: string;
  /** The task (or group: "glue", "xnli", "blimp") and metric, for comparisons.csv. */
  task: string;
  metric: string;
  policy: string;
  components: Pick<ResultRow, "task" | "setup" | "lang" | "split" | "metric">[];
  /** The paper's compute-to-match share for this measure (of GPU-hours), where it makes the claim. */
  paperShare?: number;
}

/** One arm of a comparison: its objective, final fraction and score. */
export interface Arm {
  objective: string;
  fraction: number;
  estimate: Estimate;
  /** True when the arm is a headless decoder's scores after its LM fine-tune (the `_lmft` tasks). */
  lmFineTuned?: boolean;
}

/** Compute to match on one axis, or why there is none. */
export type ComputeToMatchResult = ComputeMatch | { none: string };

/** One comparison (see the module comment). */
export interface Comparison {
  design: string;
  arch: string;
  model: string;
  measure: Measure;
  higherIsBetter: boolean;
  baseline: Arm;
  candidate: Arm;
  difference: Difference;
  /** What the interval resamples ("2 pretraining seeds × 1 fine-tuning seed × 277 examples"). */
  resampled: string;
  /** References measured on the same components, by objective. */
  references: Record<string, Estimate & { design: string }>;
  /**
   * The reference the arms are judged against (random init; without one, the majority class, else the
   * unigram LM) and whether each arm's score lies beyond its interval on the better side; undefined when
   * there is no reference run.
   */
  clears?: { reference: string; baseline: boolean; candidate: boolean };
  /** Whether compute to match means anything here, and if not, why. */
  meaningful: { ok: boolean; why: string };
  computeToMatch: { flops: ComputeToMatchResult; seconds: ComputeToMatchResult };
}

/** The rows one comparison group shares. */
export type Group = { design: string; arch: string; model: string };

/** The measures of a group's rows (see the module comment). */
export function measuresOf(rows: readonly ResultRow[]): Measure[] {
  const compared = rows.filter((r) => !isReference(r.objective));
  const policyOf = (keep: (r: ResultRow) => boolean) =>
    compared.some((r) => keep(r) && r.policy === "best-epoch") ? "best-epoch" : "";
  const measures: Measure[] = [];
  const distinct = <T>(xs: T[]) => [...new Set(xs)];
  const glue = distinct(compared.filter((r) => isGlueTask(r.task)).map((r) => r.task)).sort();
  const headlines = glue.map((task) => ({ task, setup: "", lang: "", ...glueHeadline(task) }));
  for (const c of headlines) {
    measures.push({
      title: `${glueTitle(c.task)} ${c.metric} (${c.split})`,
      task: c.task,
      metric: c.metric,
      policy: policyOf((r) => r.task === c.task),
      components: [c],
    });
  }
  const paper = headlines.filter((c) => GLUE_AVERAGES.paper.tasks.includes(c.task));
  if (paper.length >= 2) {
    measures.push({
      title: `GLUE avg of ${
        paper.length === 7 ? "the paper's 7 tasks" : paper.map((c) => glueTitle(c.task)).join(" ")
      }`,
      task: "glue",
      metric: "paper_avg",
      policy: policyOf((r) => isGlueTask(r.task)),
      components: paper,
      paperShare: paperResults().computeToMatch.glue,
    });
  }
  const xnli = compared.filter((r) => r.task === XNLI_TASK && r.lang !== XNLI_AVG);
  for (const key of distinct(xnli.map((r) => `${r.setup}\u0000${r.split}\u0000${r.metric}`)).sort()) {
    const [setup, split, metric] = key.split("\u0000");
    const langs = distinct(xnli.filter((r) => r.setup === setup && r.split === split).map((r) => r.lang)).sort();
    measures.push({
      title: `XNLI ${setup === "en" ? "fine-tuned on English" : "fine-tuned on each language"}, ${split}, avg of ${
        langs.join(" ")
      }`,
      task: XNLI_TASK,
      metric,
      policy: policyOf((r) => r.task === XNLI_TASK && r.setup === setup),
      components: langs.map((lang) => ({ task: XNLI_TASK, setup, lang, split, metric })),
      paperShare: (paperResults().computeToMatch.xnli as Record<string, number>)[setup],
    });
  }
  // The paradigms (blimp_<UID>); a headless decoder's LM-fine-tuned scores (blimp_<UID>_lmft) are its arm.
  const blimp = compared.filter((r) =>
    r.task.startsWith("blimp_") && !r.task.endsWith("_lmft") && r.metric === "accuracy"
  );
  if (blimp.length) {
    const paradigms = distinct(blimp.map((r) => `${r.task}\u0000${r.split}`)).sort().map((k) => k.split("\u0000"));
    measures.push({
      title: `BLiMP accuracy, avg of ${paradigms.length} paradigms`,
      task: "blimp",
      metric: "accuracy",
      policy: policyOf((r) => r.task.startsWith("blimp_")),
      components: paradigms.map(([task, split]) => ({ task, setup: "", lang: "", split, metric: "accuracy" })),
    });
  }
  const handled = (r: ResultRow) =>
    isGlueTask(r.task) || r.task === XNLI_TASK || r.task.startsWith("blimp_") || r.task.endsWith("_lmft") ||
    (r.task === "blimp" && blimp.length > 0) || r.task === "glue" || SECONDARY.has(r.metric);
  const rest = compared.filter((r) => !handled(r));
  for (const key of distinct(rest.map((r) => [r.task, r.setup, r.lang, r.split, r.metric].join("\u0000"))).sort()) {
    const [task, setup, lang, split, metric] = key.split("\u0000");
    measures.push({
      title: [task, setup, lang, metric, split ? `(${split})` : ""].filter(Boolean).join(" "),
      task,
      metric,
      policy: policyOf((r) => r.task === task),
      components: [{ task, setup, lang, split, metric }],
    });
  }
  return measures;
}

/** The rows of `objective` for a measure's components (`lmft`: their `_lmft` tasks), at every fraction. */
export function armRows(rows: readonly ResultRow[], m: Measure, objective: string, lmft: boolean): ResultRow[] {
  const policy = referencePolicy(objective, m.policy);
  const keys = new Set(
    m.components.map((c) => [lmft ? `${c.task}_lmft` : c.task, c.setup, c.lang, c.split, c.metric].join("\u0000")),
  );
  return rows.filter((r) =>
    r.objective === objective && r.policy === policy &&
    keys.has([r.task, r.setup, r.lang, r.split, r.metric].join("\u0000"))
  );
}

const finalOf = (rows: readonly ResultRow[]) =>
  rows.filter((r) => r.fraction === Math.max(...rows.map((x) => x.fraction)));

/**
 * The random-init, majority and unigram rows for a measure, from the group's design or else any design.
 * The unigram LM belongs to the token folder, not to a model: it is every architecture's reference.
 */
export function referenceRows(all: readonly ResultRow[], g: Group, m: Measure): Map<string, ResultRow[]> {
  const out = new Map<string, ResultRow[]>();
  for (const objective of ["random-init", "majority", "unigram"]) {
    const ofModel = (r: ResultRow) => objective === "unigram" || (r.arch === g.arch && r.model === g.model);
    const of = (keep: (r: ResultRow) => boolean) =>
      armRows(all.filter((r) => ofModel(r) && keep(r)), m, objective, false);
    let rows = of((r) => r.design === g.design);
    if (rows.length === 0) {
      const any = of(() => true);
      rows = any.filter((r) => r.design === any[0]?.design);
    }
    if (rows.length) out.set(objective, rows);
  }
  return out;
}

/** Where `value` stands against a reference interval: beyond it on the better side. */
function beyond(value: number, reference: Estimate, higher: boolean): boolean {
  const bound: Interval = reference.interval ?? { low: reference.estimate, high: reference.estimate };
  return higher ? value > bound.high : value < bound.low;
}

/** The compute of each row set: mean pretraining FLOPs, or mean pretraining seconds from the timings. */
function computeOf(rows: readonly ResultRow[], axis: "flops" | "seconds", evidence: Evidence): number {
  const xs = rows.map((r) => axis === "flops" ? r.flops : evidence.timings.get(measurementKey(r))?.pretrain_seconds);
  return xs.every((x) => typeof x === "number" && x > 0)
    ? (xs as number[]).reduce((a, b) => a + b, 0) / xs.length
    : NaN;
}

/**
 * The (design, architecture, model) groups of the pretrained rows, sorted, each with all its rows
 * (references of the same group included).
 */
export function comparisonGroups(rows: readonly ResultRow[]): { group: Group; rows: ResultRow[] }[] {
  const groups = new Map<string, Group>();
  for (const r of rows) {
    if (!isReference(r.objective)) groups.set([r.design, r.arch, r.model].join("\u0000"), r);
  }
  return [...groups.values()]
    .sort((a, b) => a.design.localeCompare(b.design) || a.arch.localeCompare(b.arch) || a.model.localeCompare(b.model))
    .map((g) => ({
      group: { design: g.design, arch: g.arch, model: g.model },
      rows: rows.filter((r) => r.design === g.design && r.arch === g.arch && r.model === g.model),
    }));
}

/** Every comparison of the evidence's rows (see the module comment). */
export function findComparisons(evidence: Evidence, options: ResampleOptions = {}): Comparison[] {
  const rows = evidence.rows;
  const out: Comparison[] = [];
  for (const { group: g, rows: mine } of comparisonGroups(rows)) {
    const candidates = [...new Set(mine.map((r) => r.objective))].filter((o) => !isReference(o) && o !== BASELINE)
      .sort();
    for (const m of measuresOf(mine)) {
      const base = armRows(mine, m, BASELINE, false);
      for (const objective of candidates) {
        const tuned = armRows(mine, m, objective, true);
        const cand = tuned.length ? tuned : armRows(mine, m, objective, false);
        if (base.length === 0 || cand.length === 0) continue;
        out.push(compare(g, m, objective, base, cand, referenceRows(rows, g, m), evidence, options));
      }
    }
  }
  return out;
}

function compare(
  g: Group,
  m: Measure,
  objective: string,
  base: ResultRow[],
  cand: ResultRow[],
  references: Map<string, ResultRow[]>,
  evidence: Evidence,
  options: ResampleOptions,
): Comparison {
  const higher = higherIsBetter(m.metric);
  const baseFinal = finalOf(base), candFinal = finalOf(cand);
  const fractions = [...new Set(cand.map((r) => r.fraction))].filter((f) => f > 0).sort((a, b) => a - b);
  const refs = [...references.entries()];
  const cells: Cell[] = [
    cellOf(baseFinal, evidence),
    cellOf(candFinal, evidence),
    ...refs.map(([, r]) => cellOf(r, evidence)),
    ...fractions.map((f) => cellOf(cand.filter((r) => r.fraction === f), evidence)),
  ];
  const study = new Study(cells);
  const referenceEstimates = Object.fromEntries(
    refs.map(([objective, r], i) => [objective, { ...cellEstimate(study, 2 + i, options), design: r[0].design }]),
  );
  const baseline: Arm = {
    objective: BASELINE,
    fraction: baseFinal[0].fraction,
    estimate: cellEstimate(study, 0, options),
  };
  const candidate: Arm = {
    objective,
    fraction: candFinal[0].fraction,
    estimate: cellEstimate(study, 1, options),
    ...(candFinal[0].task.endsWith("_lmft") ? { lmFineTuned: true } : {}),
  };
  const reference = ["random-init", "majority", "unigram"].find((o) => o in referenceEstimates);
  const gate = reference === undefined ? undefined : referenceEstimates[reference];
  const meaningful = !gate
    ? { ok: false, why: "no reference run to judge the target against" }
    : beyond(baseline.estimate.estimate, gate, higher)
    ? { ok: true, why: "" }
    : { ok: false, why: `${BASELINE}'s final score is within the ${reference} interval` };
  const curveCell = (i: number) => 2 + refs.length + i;
  const matchOn = (axis: "flops" | "seconds"): ComputeToMatchResult => {
    if (!gate) return { none: "no reference run" };
    if (!meaningful.ok) return { none: "not meaningful" };
    if (fractions.length < 2) return { none: "one checkpoint" };
    const baseX = computeOf(baseFinal, axis, evidence);
    const curve = fractions.map((f, i) => ({
      cell: curveCell(i),
      x: computeOf(cand.filter((r) => r.fraction === f), axis, evidence),
    }));
    if (!Number.isFinite(baseX) || curve.some((c) => !Number.isFinite(c.x))) return { none: "no timings" };
    return computeMatch(study, curve, { cell: 0, x: baseX }, higher, options);
  };
  return {
    ...g,
    measure: m,
    higherIsBetter: higher,
    baseline,
    candidate,
    difference: difference(study, 0, 1, higher, options),
    resampled: study.describe(1),
    references: referenceEstimates,
    ...(gate && reference
      ? {
        clears: {
          reference,
          baseline: beyond(baseline.estimate.estimate, gate, higher),
          candidate: beyond(candidate.estimate.estimate, gate, higher),
        },
      }
      : {}),
    meaningful,
    computeToMatch: { flops: matchOn("flops"), seconds: matchOn("seconds") },
  };
}
