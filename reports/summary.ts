/**
 * Result rows grouped into mean ± std over seeds, `summary.csv`, and tables in the shape of the paper's
 * Table 1 (GLUE) and Table 3 (LAMBADA) with the references (random init, majority class, unigram LM;
 * contracts 3) and the published numbers beside ours.
 *
 * Grouping key: (arch, model, objective, design, fraction, task, setup, lang, split, metric, policy). Policy
 * is part of the key so that a best-epoch and a last-epoch value are never averaged together. The mean and
 * std run over the group's replicates (every (pretraining seed, fine-tuning seed) pair). std is the sample
 * standard deviation (n - 1 in the denominator); with one replicate it is unknown (NaN, written as an empty
 * cell). Wall-clock comes from the timings joined by measurement (results/timings.ts).
 *
 * Derived rows: the GLUE averages of glue_score.ts (`paper`, `leaderboard`) are added as task "glue",
 * metrics "paper_avg" and "leaderboard_avg", per run and checkpoint, only where every task of the average
 * was measured; an average over some of the tasks is named by them ("paper_avg_of_mrpc+cola").
 */
import { SAME_TRAINING_COLUMN } from "../results/relabel_stage.ts";
import { glueTask, glueTitle, isGlueTask } from "../data/glue.ts";
import { LAMBADA_TASKS } from "../data/lambada.ts";
import { selectByOf } from "../data/task_spec.ts";
import { GLUE_AVERAGES, glueAverage, type GlueAverageName, type GlueResults } from "../evals/glue_score.ts";
import { writeCsvAtomic } from "../results/csv.ts";
import { compareReplicates, measurementKey, replicateLabel, type ResultRow, rowIdentity } from "../results/rows.ts";
import { scoreKeyOf, scoreKeyParts } from "../results/task_splits.ts";
import type { TimingRow } from "../results/timings.ts";
import { isReference } from "../results/vocabulary.ts";
import { paperResults } from "./paper_results.ts";

/** The columns that key a summary group, in summary.csv's order. */
export const SUMMARY_KEY_COLUMNS = [
  "arch",
  "model",
  "objective",
  "design",
  "fraction",
  "task",
  "setup",
  "lang",
  "split",
  "metric",
  "policy",
] as const;

/** The fields of a summary group. */
export type SummaryKeyFields = Pick<ResultRow, (typeof SUMMARY_KEY_COLUMNS)[number]>;

/** Mean ± std over seeds of one (arch, model, objective, design, fraction, task, setup, lang, split, metric, policy). */
export interface SummaryRow extends SummaryKeyFields {
  /** Number of replicates. */
  n: number;
  mean: number;
  /** Sample standard deviation; NaN with one replicate. */
  std: number;
  min: number;
  max: number;
  /** Means over replicates of the checkpoint's pretraining FLOPs and tokens. */
  flops: number;
  tokens: number;
  /** Mean pretraining wall-clock of the replicates whose timings are known; NaN when none is. */
  wall_seconds: number;
  /** Replicates ("pretrain_seed/seed", or the seed when both are the same), ascending. */
  seeds: string[];
}

/** Columns of summary.csv. */
export const SUMMARY_COLUMNS = [
  ...SUMMARY_KEY_COLUMNS,
  "n",
  "mean",
  "std",
  "min",
  "max",
  "flops",
  "tokens",
  "wall_seconds",
  "seeds",
] as const;

/** Task name of the derived GLUE averages. */
export const GLUE_AVERAGE_TASK = "glue";

/**
 * Metric-name prefix of the partial paper average: where some of the paper's 7 GLUE tasks were not
 * measured (e.g. no QNLI train file in the cache), the mean over those that were, named by its tasks
 * ("paper_avg_of_mrpc+cola+stsb+sst2"), so that it is never mistaken for the paper's average.
 */
export const PARTIAL_GLUE_AVG_PREFIX = "paper_avg_of_";

/** Derived GLUE averages: metric name -> which average of glue_score.ts. */
export const DERIVED_GLUE_METRICS: Readonly<Record<string, GlueAverageName>> = {
  paper_avg: "paper",
  leaderboard_avg: "leaderboard",
};

/** LAMBADA task names as result rows carry them (data/lambada.ts, from the registry's task file). */
export { LAMBADA_TASKS };

/** LAMBADA's metrics. */
export const LAMBADA_METRICS = { accuracy: "accuracy", perplexity: "perplexity" } as const;

/** How each objective is labelled in tables; others show their own name. */
export const OBJECTIVE_LABELS: Readonly<Record<string, string>> = {
  softmax: "vanilla (softmax head)",
  cwt: "headless (CWT)",
  "random-init": "reference: random init",
  majority: "reference: majority class",
  unigram: "reference: unigram LM",
};

/** Objectives in table order; others follow alphabetically, the references last. */
const OBJECTIVE_ORDER = ["softmax", "cwt"];

/** Metrics kept as fractions in the rows and shown ×100 in tables (as the paper prints them). */
const PERCENT_METRIC = /^(accuracy|f1|mcc|pearson|spearman|paper_avg|leaderboard_avg)(_|$)/;

/** Factor a metric is multiplied by for display: 100 for fractions the paper prints as percentages, else 1. */
export function displayScale(metric: string): number {
  return PERCENT_METRIC.test(metric) ? 100 : 1;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation (n - 1); NaN for fewer than two values. */
export function sampleStd(xs: number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Key of a summary group. */
export function summaryKey(r: SummaryKeyFields): string {
  return SUMMARY_KEY_COLUMNS.map((c) => r[c]).join("\u0000");
}

/** Table order of objectives: softmax, cwt, other objectives alphabetically, then the references. */
export function compareObjectives(a: string, b: string): number {
  const rank = (o: string) =>
    OBJECTIVE_ORDER.includes(o) ? OBJECTIVE_ORDER.indexOf(o) : OBJECTIVE_ORDER.length + (isReference(o) ? 1 : 0);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** Sort order of summary rows: arch, model, design, objective, task, setup, lang, split, metric, policy, fraction. */
export function compareSummary(a: SummaryRow, b: SummaryRow): number {
  return a.arch.localeCompare(b.arch) || a.model.localeCompare(b.model) || a.design.localeCompare(b.design) ||
    compareObjectives(a.objective, b.objective) || a.task.localeCompare(b.task) || a.setup.localeCompare(b.setup) ||
    a.lang.localeCompare(b.lang) || a.split.localeCompare(b.split) || a.metric.localeCompare(b.metric) ||
    a.policy.localeCompare(b.policy) || a.fraction - b.fraction;
}

/**
 * Groups rows into mean ± std over replicates (see the module comment), sorted by {@link compareSummary};
 * wall-clock from `timings` (by measurement) where given.
 */
export function summarize(
  rows: readonly ResultRow[],
  timings: ReadonlyMap<string, TimingRow> = new Map(),
): SummaryRow[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const k = summaryKey(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map((g) => {
    const values = g.map((r) => r.value);
    const { arch, model, objective, design, fraction, task, setup, lang, split, metric, policy } = g[0];
    const seconds = g.flatMap((r) => {
      const t = timings.get(measurementKey(r));
      return t ? [t.pretrain_seconds] : [];
    });
    return {
      arch,
      model,
      objective,
      design,
      fraction,
      task,
      setup,
      lang,
      split,
      metric,
      policy,
      n: g.length,
      mean: mean(values),
      std: sampleStd(values),
      min: Math.min(...values),
      max: Math.max(...values),
      flops: mean(g.map((r) => r.flops)),
      tokens: mean(g.map((r) => r.tokens)),
      wall_seconds: seconds.length ? mean(seconds) : NaN,
      seeds: g.map(replicateLabel).sort(compareReplicates),
    };
  }).sort(compareSummary);
}

/** The metric and split a GLUE task's headline score (the one the paper reports, its `selectBy`) is in. */
export function glueHeadline(task: string): { metric: string; split: string } {
  const spec = glueTask(task);
  return scoreKeyParts(spec, selectByOf(spec));
}

/**
 * `rows` plus the derived GLUE averages (task "glue"), one per run, checkpoint and policy where every
 * task of the average was measured (two or more of the paper's for the partial one). A "glue" row already
 * in `rows` is kept and not derived again. The majority class gets none (STS-B, a regression, has no
 * majority class).
 */
export function withDerivedRows(rows: readonly ResultRow[]): ResultRow[] {
  const present = new Set(rows.map(rowIdentity));
  const checkpoints = new Map<string, ResultRow[]>();
  for (const r of rows) {
    if (!isGlueTask(r.task) || r.objective === "majority") continue;
    const k = [r.arch, r.model, r.objective, r.design, r.pretrain_seed, r.seed, r.fraction, r.policy].join("\u0000");
    if (!checkpoints.has(k)) checkpoints.set(k, []);
    checkpoints.get(k)!.push(r);
  }
  const derived: ResultRow[] = [];
  for (const group of checkpoints.values()) {
    const results: GlueResults = {};
    for (const r of group) {
      const key = scoreKeyOf(glueTask(r.task), r.metric, r.split);
      if (key !== undefined) results[r.task] = { ...results[r.task], [key]: r.value };
    }
    const { details: _, ...first } = group[0];
    const average = (metric: string, value: number): ResultRow => ({
      ...first,
      backend: [...new Set(group.map((r) => r.backend))].join("+"),
      flops: mean(group.map((r) => r.flops)),
      tokens: mean(group.map((r) => r.tokens)),
      task: GLUE_AVERAGE_TASK,
      setup: "",
      lang: "",
      split: "",
      examples: null,
      metric,
      value,
    });
    const rowsOfGroup: ResultRow[] = [];
    for (const [metric, name] of Object.entries(DERIVED_GLUE_METRICS)) {
      const spec = GLUE_AVERAGES[name];
      const complete = spec.tasks.every((t) => spec.keys(t).every((k) => typeof results[t]?.[k] === "number"));
      if (complete) rowsOfGroup.push(average(metric, glueAverage(results, name).value));
    }
    const paper = GLUE_AVERAGES.paper;
    const measured = paper.tasks.filter((t) => paper.keys(t).every((k) => typeof results[t]?.[k] === "number"));
    if (measured.length >= 2 && measured.length < paper.tasks.length) {
      const only = Object.fromEntries(measured.map((t) => [t, results[t]!])) as GlueResults;
      rowsOfGroup.push(average(PARTIAL_GLUE_AVG_PREFIX + measured.join("+"), glueAverage(only, "paper").value));
    }
    for (const row of rowsOfGroup) if (!present.has(rowIdentity(row))) derived.push(row);
  }
  return [...rows, ...derived];
}

/** Writes summary.csv atomically (seeds space-separated, unknown std as an empty cell). */
export function writeSummaryCsv(path: string, summary: readonly SummaryRow[]): Promise<void> {
  return writeCsvAtomic(path, SUMMARY_COLUMNS, summary.map((s) => ({ ...s, seeds: s.seeds.join(" ") })));
}

// ---------------------------------------------------------------------------------------------------------
// Tables

/** A table ready to print: a title, header cells, body rows and notes under it. */
export interface TextTable {
  title: string;
  columns: string[];
  rows: string[][];
  notes: string[];
}

/** Shown in every cell with no measured value. */
export const MISSING = "—";

/**
 * A number for display: 2 decimals for percentages and values >= 10, else 4 significant digits.
 * `like` picks the style from another number (a std is shown in its mean's style).
 */
export function formatNumber(v: number, scale = 1, like = v): string {
  if (!Number.isFinite(v)) return MISSING;
  const x = v * scale;
  return scale !== 1 || Math.abs(like * scale) >= 10 ? x.toFixed(2) : Number(x.toPrecision(4)).toString();
}

/** "mean ± std" on the metric's display scale; "mean" alone with one seed; "—" with no value. */
export function formatMeanStd(s: SummaryRow | undefined): string {
  if (!s) return MISSING;
  const scale = displayScale(s.metric);
  const mean = formatNumber(s.mean, scale);
  return Number.isNaN(s.std) ? mean : `${mean} ± ${formatNumber(s.std, scale, s.mean)}`;
}

/** "12.5%" for a budget fraction. */
export function formatFraction(f: number): string {
  return `${Number((100 * f).toPrecision(4))}%`;
}

/** Looks up summary rows by key. */
export function summaryIndex(summary: readonly SummaryRow[]): Map<string, SummaryRow> {
  return new Map(summary.map((s) => [summaryKey(s), s]));
}

/** Distinct values of `pick` over `items`, sorted. */
function distinct<T>(items: readonly T[], pick: (t: T) => string): string[] {
  return [...new Set(items.map(pick))].sort();
}

const seedsCell = (cells: (SummaryRow | undefined)[]) => {
  const seeds = [...new Set(cells.flatMap((c) => c?.seeds ?? []))].sort(compareReplicates);
  return seeds.length ? seeds.join(",") : MISSING;
};

/** The label of an objective in tables. */
export const objectiveLabel = (objective: string) => OBJECTIVE_LABELS[objective] ?? objective;

/** The policy a reference row of `objective` carries in a table of `policy`: none for the majority class and unigram LM. */
export function referencePolicy(objective: string, policy: string): string {
  return objective === "majority" || objective === "unigram" ? "" : policy;
}

/**
 * The summary rows of one arm of a table (arch, design, objective, policy), at its final fraction. A
 * reference measured under no design of the table's is taken from another design (it does not depend on
 * the pretraining design); `borrowed` then names that design.
 */
export function armAtFinal(
  summary: readonly SummaryRow[],
  arm: { arch: string; design: string; objective: string; policy: string },
  keep: (s: SummaryRow) => boolean = () => true,
): { rows: SummaryRow[]; fraction: number | undefined; borrowed?: string } {
  const policy = referencePolicy(arm.objective, arm.policy);
  const of = (design: string | undefined) =>
    summary.filter((s) =>
      s.arch === arm.arch && s.objective === arm.objective && s.policy === policy &&
      (design === undefined || s.design === design) && keep(s)
    );
  let rows = of(arm.design);
  let borrowed: string | undefined;
  if (rows.length === 0 && isReference(arm.objective)) {
    rows = of(undefined);
    borrowed = rows[0]?.design;
    if (borrowed !== undefined) rows = rows.filter((s) => s.design === borrowed);
  }
  if (rows.length === 0) return { rows, fraction: undefined };
  const fraction = Math.max(...rows.map((s) => s.fraction));
  return {
    rows: rows.filter((s) => s.fraction === fraction),
    fraction,
    ...(borrowed !== undefined ? { borrowed } : {}),
  };
}

/** Objectives with rows among `summary`, in table order: the compared ones, then `references` present. */
function tableObjectives(
  summary: readonly SummaryRow[],
  references: readonly string[],
  always: string[] = [],
): string[] {
  const present = new Set(summary.map((s) => s.objective));
  const compared = [...new Set([...always, ...present])].filter((o) => !isReference(o)).sort(compareObjectives);
  return [...compared, ...references.filter((r) => present.has(r))];
}

/** "design X" for a table title, nothing for the default design. */
export const designTitle = (design: string) => (design ? `, design ${design}` : "");

/** The seven tasks of the paper's GLUE average, in Table 1's column order. */
const TABLE1_TASKS = GLUE_AVERAGES.paper.tasks;

/** A GLUE column header: the task's title, and its split where it is not the dev set ("MRPC [test (MSR)]"). */
function glueColumn(task: string): string {
  const { split } = glueHeadline(task);
  return glueTitle(task) + (split === "dev" || split.startsWith("dev_") ? "" : ` [${split}]`);
}

/**
 * Tables in the shape of the paper's Table 1: one per (arch, design, policy) with GLUE rows (an empty one
 * for "encoder" when there are none): a row per objective at its final fraction, the references (random
 * init, majority class), then the paper's rows.
 */
export function glueTable1(summary: readonly SummaryRow[]): TextTable[] {
  const isTable1 = (s: SummaryRow) =>
    (TABLE1_TASKS.includes(s.task) && glueHeadline(s.task).metric === s.metric &&
      glueHeadline(s.task).split === s.split) ||
    (s.task === GLUE_AVERAGE_TASK && (s.metric === "paper_avg" || s.metric.startsWith(PARTIAL_GLUE_AVG_PREFIX)));
  const relevant = summary.filter(isTable1);
  const index = summaryIndex(summary);
  const combos = tableCombos(relevant.filter((s) => s.policy !== ""), ["encoder", "", ""]);
  return combos.map(([arch, design, policy]) => {
    const mine = relevant.filter((s) => s.arch === arch);
    const objectives = tableObjectives(mine, ["random-init", "majority"], ["softmax", "cwt"]);
    const notes: string[] = [];
    const partialTasks = new Set<string>();
    const ours = objectives.map((objective) => {
      const arm = armAtFinal(mine, { arch, design, objective, policy });
      const at = arm.rows[0];
      const cell = (task: string, metric: string, split: string) =>
        at === undefined ? undefined : index.get(summaryKey({ ...at, task, metric, split }));
      const cells = TABLE1_TASKS.map((t) => cell(t, glueHeadline(t).metric, glueHeadline(t).split));
      const partialMetric = arm.rows.find((s) => s.metric.startsWith(PARTIAL_GLUE_AVG_PREFIX))?.metric;
      const full = cell(GLUE_AVERAGE_TASK, "paper_avg", "");
      const avg = full ?? (partialMetric ? cell(GLUE_AVERAGE_TASK, partialMetric, "") : undefined);
      const missing = TABLE1_TASKS.filter((_, i) => !cells[i]);
      if (partialMetric && !full) partialTasks.add(partialMetric.slice(PARTIAL_GLUE_AVG_PREFIX.length));
      if (missing.length && arm.fraction !== undefined && !isReference(objective)) {
        notes.push(
          `${objectiveLabel(objective)}: not measured: ${missing.join(", ")}; ` +
            (avg ? "its avg is over the measured tasks only (marked *)." : "no avg (fewer than 2 of the 7 tasks)."),
        );
      }
      if (arm.borrowed !== undefined) {
        notes.push(`${objectiveLabel(objective)}: from design ${arm.borrowed || "(default)"}.`);
      }
      return [
        objectiveLabel(objective),
        arm.fraction === undefined ? MISSING : formatFraction(arm.fraction),
        seedsCell([...cells, avg]),
        ...cells.map(formatMeanStd),
        avg && partialMetric && !full ? `${formatMeanStd(avg)} *` : formatMeanStd(avg),
      ];
    });
    // With one partial task set, the paper's rows get their average over the same tasks beside the published one.
    const same = partialTasks.size === 1 ? [...partialTasks][0].split("+") : null;
    const paper = paperResults().glue.rows.map((p) => [
      `paper: ${p.model}, ${p.pretrainTokens} tokens, ${p.gpuHours} GPU-hours`,
      "published",
      "3 (mean)",
      ...TABLE1_TASKS.map((t) => p.scores[t].toFixed(2)),
      same
        ? `${(same.reduce((a, t) => a + p.scores[t], 0) / same.length).toFixed(2)} * (7 tasks: ${p.avg.toFixed(2)})`
        : p.avg.toFixed(2),
    ]);
    return {
      title: `Table 1 shape: GLUE, ${arch}${designTitle(design)}${policy ? `, ${policy}` : ""}`,
      columns: ["model", "fraction", "seeds", ...TABLE1_TASKS.map(glueColumn), "avg"],
      rows: [...ours, ...paper],
      notes: [
        "Ours: mean ± sample std over seeds, ×100, at each objective's final budget fraction; MCC for CoLA, Spearman for STS-B, " +
        "accuracy for the rest, MNLI matched+mismatched pooled; avg = mean of the 7 (RTE, WNLI left out), computed per seed. " +
        "Scored on each task's dev set except where the column names the split (MRPC: the labelled MSR test set, 1,725 pairs).",
        "References: random init = the same model with no pretraining, fine-tuned the same way; majority class = the most " +
        "frequent training label predicted for every example.",
        ...(partialTasks.size
          ? [
            `* avg over the measured tasks only (${
              [...partialTasks].map((t) => t.split("+").map(glueTitle).join(" ")).join("; ")
            }), ` +
            "not the paper's 7-task average; the paper rows' * value is their scores averaged over the same tasks.",
          ]
          : []),
        "Paper: Godey et al. (2023) Table 1 (bert-base, balanced CE, best of 10 epochs, mean of 3 seeds, GLUE dev sets); not run here.",
        ...notes,
      ],
    };
  });
}

/**
 * Distinct (arch, design, policy) of `rows` (of the compared objectives' rows when there are any, so that
 * a reference measured under another design makes no table of its own), sorted; `empty` when there are none.
 */
export function tableCombos(rows: readonly SummaryRow[], empty: string[]): string[][] {
  const compared = rows.filter((s) => !isReference(s.objective));
  const from = compared.length ? compared : rows;
  return from.length
    ? [...new Set(from.map((s) => [s.arch, s.design, s.policy].join("\u0000")))].sort().map((k) => k.split("\u0000"))
    : [empty];
}

/**
 * Tables in the shape of the paper's Table 3 (LAMBADA ppl and acc): one per (arch, design) with LAMBADA
 * rows (an empty one for "decoder" when there are none). Per objective its own head and, where measured,
 * after LM fine-tuning; then the references (random init, unigram LM); the paper's numbers in the last two
 * columns.
 */
export function lambadaTable3(summary: readonly SummaryRow[]): TextTable[] {
  const tasks = [LAMBADA_TASKS.ownHead, LAMBADA_TASKS.lmFineTuned];
  const metrics = Object.values(LAMBADA_METRICS) as string[];
  const relevant = summary.filter((s) => tasks.includes(s.task) && metrics.includes(s.metric));
  const index = summaryIndex(summary);
  return tableCombos(relevant, ["decoder", "", ""]).map(([arch, design, policy]) => {
    const mine = relevant.filter((s) => s.arch === arch);
    const objectives = tableObjectives(mine, ["random-init", "unigram"], ["softmax", "cwt"]);
    const notes: string[] = [];
    const rows = objectives.flatMap((objective) =>
      tasks.flatMap((task) => {
        const arm = armAtFinal(mine, { arch, design, objective, policy }, (s) => s.task === task);
        const lmFineTuned = task === LAMBADA_TASKS.lmFineTuned;
        const named = !isReference(objective) && (objective === "cwt" || !lmFineTuned);
        if (arm.fraction === undefined && !named) return [];
        if (arm.borrowed !== undefined) {
          notes.push(`${objectiveLabel(objective)}: from design ${arm.borrowed || "(default)"}.`);
        }
        const at = arm.rows[0];
        const cell = (metric: string) => (at ? index.get(summaryKey({ ...at, metric })) : undefined);
        const ppl = cell(LAMBADA_METRICS.perplexity), acc = cell(LAMBADA_METRICS.accuracy);
        const paper = paperResults().lambada.rows.find((p) =>
          p.objective === objective && p.lmFineTuned === lmFineTuned
        );
        return [[
          lambadaLabel(objective, lmFineTuned),
          arm.fraction === undefined ? MISSING : formatFraction(arm.fraction),
          seedsCell([ppl, acc]),
          formatMeanStd(ppl),
          formatMeanStd(acc),
          paper ? paper.perplexity.toFixed(2) : MISSING,
          paper ? paper.accuracy.toFixed(2) : MISSING,
        ]];
      })
    );
    return {
      title: `Table 3 shape: LAMBADA (OpenAI, test), ${arch}${designTitle(design)}`,
      columns: ["model", "fraction", "seeds", "ppl", "acc", "paper ppl", "paper acc"],
      rows,
      notes: [
        `Ours: mean ± sample std over seeds at the final budget fraction; acc ×100; tasks "${LAMBADA_TASKS.ownHead}" ` +
        `(the model's own head: softmax head, or the raw Eᵀ head for CWT) and "${LAMBADA_TASKS.lmFineTuned}" (after LM fine-tuning).`,
        "References: random init = the same model with no pretraining; unigram LM = the training split's smoothed unigram distribution.",
        "Paper: Godey et al. (2023) Table 3 (Pythia-70M on OpenWebText2, lm-evaluation-harness lambada_openai); not run here.",
        ...notes,
      ],
    };
  });
}

/** The Table 3 label of an objective's row, own head or after LM fine-tuning. */
function lambadaLabel(objective: string, lmFineTuned: boolean): string {
  if (objective === "cwt") return lmFineTuned ? "headless + LM fine-tuning" : "headless, raw Eᵀ head";
  return `${objectiveLabel(objective)}${lmFineTuned ? " + LM fine-tuning" : ""}`;
}

/**
 * Every summary row, pivoted: one line per (arch, model, objective, design, task, setup, lang, split,
 * metric, policy), one column per budget fraction present; nothing is left out, so a new task or metric
 * shows up here with no change.
 */
export function allResultsTable(summary: readonly SummaryRow[]): TextTable {
  const fractions = [...new Set(summary.map((s) => s.fraction))].sort((a, b) => a - b);
  const index = summaryIndex(summary);
  const lines = new Map<string, SummaryRow>();
  for (const s of summary) lines.set(summaryKey({ ...s, fraction: 0 }), s);
  const designs = new Set(summary.map((s) => s.design)).size > 1;
  return {
    title: "All results (mean ± sample std over seeds; fractions in columns)",
    columns: [
      "arch",
      "objective",
      ...(designs ? ["design"] : []),
      "task",
      "metric",
      "policy",
      "seeds",
      ...fractions.map(formatFraction),
    ],
    rows: [...lines.values()].map((s) => {
      const cells = fractions.map((fraction) => index.get(summaryKey({ ...s, fraction })));
      return [
        s.arch,
        s.objective,
        ...(designs ? [s.design || MISSING] : []),
        [s.task, s.setup, s.lang, s.split].filter(Boolean).join(" "),
        s.metric + (displayScale(s.metric) !== 1 ? " (×100)" : ""),
        s.policy || MISSING,
        seedsCell(cells),
        ...cells.map(formatMeanStd),
      ];
    }),
    notes: [],
  };
}

/** Distinct runs behind the rows (arch, model, objective, design), for the provenance section. */
export function describeRuns(
  rows: readonly ResultRow[],
): {
  arch: string;
  model: string;
  objective: string;
  design: string;
  seeds: string[];
  fractions: number[];
  budgetFlops: number;
  policies: string[];
  backends: string[];
  /** The design whose run trained this one's model (results/relabel_stage.ts), or null: its own. */
  sameTrainingAs: string | null;
}[] {
  const runs = distinct(rows, (r) => [r.arch, r.model, r.objective, r.design].join("\u0000")).map((k) =>
    k.split("\u0000")
  );
  return runs.map(([arch, model, objective, design]) => {
    const mine = rows.filter((r) =>
      r.arch === arch && r.model === model && r.objective === objective && r.design === design
    );
    const fractions = [...new Set(mine.map((r) => r.fraction))].sort((a, b) => a - b);
    const final = mine.filter((r) => r.fraction === fractions.at(-1)!);
    return {
      arch,
      model,
      objective,
      design,
      seeds: [...new Set(mine.map((r) => String(r.pretrain_seed)))].sort(compareReplicates),
      fractions,
      // The budget: FLOPs at the final fraction scaled up to fraction 1 (equal to them when the final fraction is 1).
      budgetFlops: fractions.at(-1)! > 0 ? mean(final.map((r) => r.flops / r.fraction)) : 0,
      policies: distinct(mine, (r) => r.policy),
      backends: distinct(mine, (r) => r.backend),
      sameTrainingAs: mine.map((r) => r.details?.[SAME_TRAINING_COLUMN]).find((d) => d !== undefined) ?? null,
    };
  }).sort((a, b) =>
    a.arch.localeCompare(b.arch) || a.model.localeCompare(b.model) || a.design.localeCompare(b.design) ||
    compareObjectives(a.objective, b.objective)
  );
}
