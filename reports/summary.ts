/**
 * Result rows grouped into mean ± std over seeds, `summary.csv`, and tables in the shape of the paper's
 * Table 1 (GLUE) and Table 3 (LAMBADA) with the published numbers beside ours.
 *
 * Grouping key: (arch, objective, fraction, task, metric, policy). Policy is part of the key so that a
 * best-epoch and a last-epoch value are never averaged together. The mean and std run over the group's
 * replicates: its seeds, or every (pretraining seed, fine-tuning seed) pair where rows name both. std is
 * the sample standard deviation (n - 1 in the denominator); with one replicate it is unknown (NaN,
 * written as an empty cell).
 *
 * Derived rows: the GLUE averages of glue_score.ts (`paper`, `leaderboard`) are added as task "glue",
 * metrics "paper_avg" and "leaderboard_avg", per run and checkpoint, only where every task of the
 * average was measured; an average over some of the tasks would not be comparable to the paper's.
 */
import { glueTask, glueTitle, isGlueTask } from "../data/glue.ts";
import { LAMBADA_TASKS } from "../data/lambada.ts";
import { selectByOf } from "../data/task_spec.ts";
import { GLUE_AVERAGES, glueAverage, type GlueAverageName, type GlueResults } from "../evals/glue_score.ts";
import { paperResults } from "./paper_results.ts";
import { compareReplicates, replicateLabel, type ResultRow, rowIdentity, writeCsvAtomic } from "./rows.ts";

/** Mean ± std over seeds of one (arch, objective, fraction, task, metric, policy). */
export interface SummaryRow {
  arch: string;
  objective: string;
  fraction: number;
  task: string;
  metric: string;
  policy: string;
  /** Number of seeds. */
  n: number;
  mean: number;
  /** Sample standard deviation; NaN with one seed. */
  std: number;
  min: number;
  max: number;
  /** Means over seeds of the checkpoint's pretraining FLOPs, tokens and wall-clock seconds. */
  flops: number;
  tokens: number;
  wall_seconds: number;
  /** Replicates (seeds, or "pretrain_seed/seed"; see rows.ts), ascending. */
  seeds: string[];
}

/** Columns of summary.csv. */
export const SUMMARY_COLUMNS = [
  "arch",
  "objective",
  "fraction",
  "task",
  "metric",
  "policy",
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

/** LAMBADA metric names, as lm-evaluation-harness names them. */
export const LAMBADA_METRICS = { accuracy: "acc", perplexity: "perplexity" } as const;

/** How each objective is labelled in tables; others show their own name. */
export const OBJECTIVE_LABELS: Readonly<Record<string, string>> = {
  softmax: "vanilla (softmax head)",
  cwt: "headless (CWT)",
};

/** Objectives in table order; others follow alphabetically. */
const OBJECTIVE_ORDER = ["softmax", "cwt"];

/** Metrics kept as fractions in the rows and shown ×100 in tables (as the paper prints them). */
const PERCENT_METRIC = /^(acc|accuracy|f1|mcc|pearson|spearman|paper_avg|leaderboard_avg)(_|$)/;

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
export function summaryKey(
  r: Pick<ResultRow, "arch" | "objective" | "fraction" | "task" | "metric" | "policy">,
): string {
  return [r.arch, r.objective, r.fraction, r.task, r.metric, r.policy].join("\u0000");
}

function compareObjectives(a: string, b: string): number {
  const rank = (o: string) => (OBJECTIVE_ORDER.includes(o) ? OBJECTIVE_ORDER.indexOf(o) : OBJECTIVE_ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** Sort order of summary rows: arch, objective (softmax, cwt, others), task, metric, policy, fraction. */
export function compareSummary(a: SummaryRow, b: SummaryRow): number {
  return a.arch.localeCompare(b.arch) || compareObjectives(a.objective, b.objective) || a.task.localeCompare(b.task) ||
    a.metric.localeCompare(b.metric) || a.policy.localeCompare(b.policy) || a.fraction - b.fraction;
}

/** Groups rows into mean ± std over seeds (see the module comment), sorted by {@link compareSummary}. */
export function summarize(rows: readonly ResultRow[]): SummaryRow[] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    const k = summaryKey(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map((g) => {
    const values = g.map((r) => r.value);
    const { arch, objective, fraction, task, metric, policy } = g[0];
    return {
      arch,
      objective,
      fraction,
      task,
      metric,
      policy,
      n: g.length,
      mean: mean(values),
      std: sampleStd(values),
      min: Math.min(...values),
      max: Math.max(...values),
      flops: mean(g.map((r) => r.flops)),
      tokens: mean(g.map((r) => r.tokens)),
      wall_seconds: mean(g.map((r) => r.wall_seconds)),
      seeds: g.map(replicateLabel).sort(compareReplicates),
    };
  }).sort(compareSummary);
}

/**
 * `rows` plus the derived GLUE averages (task "glue"), one per run, checkpoint and policy where every
 * task of the average was measured. A "glue" row already in `rows` is kept and not derived again.
 */
export function withDerivedRows(rows: readonly ResultRow[]): ResultRow[] {
  const present = new Set(rows.map(rowIdentity));
  const checkpoints = new Map<string, ResultRow[]>();
  for (const r of rows) {
    if (!isGlueTask(r.task)) continue;
    const k = [r.arch, r.objective, replicateLabel(r), r.fraction, r.policy].join("\u0000");
    if (!checkpoints.has(k)) checkpoints.set(k, []);
    checkpoints.get(k)!.push(r);
  }
  const derived: ResultRow[] = [];
  for (const group of checkpoints.values()) {
    const results: GlueResults = {};
    for (const r of group) {
      const task = r.task as keyof GlueResults;
      results[task] = { ...results[task], [r.metric]: r.value };
    }
    const average = (metric: string, value: number): ResultRow => ({
      ...group[0],
      backend: [...new Set(group.map((r) => r.backend))].join("+"),
      flops: mean(group.map((r) => r.flops)),
      tokens: mean(group.map((r) => r.tokens)),
      wall_seconds: mean(group.map((r) => r.wall_seconds)),
      task: GLUE_AVERAGE_TASK,
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

/** Largest fraction measured for the rows matching `keep`, or undefined. */
function finalFraction(summary: readonly SummaryRow[], keep: (s: SummaryRow) => boolean): number | undefined {
  const fractions = summary.filter(keep).map((s) => s.fraction);
  return fractions.length ? Math.max(...fractions) : undefined;
}

const seedsCell = (cells: (SummaryRow | undefined)[]) => {
  const seeds = [...new Set(cells.flatMap((c) => c?.seeds ?? []))].sort(compareReplicates);
  return seeds.length ? seeds.join(",") : MISSING;
};

/** The seven tasks of the paper's GLUE average, in Table 1's column order. */
const TABLE1_TASKS = GLUE_AVERAGES.paper.tasks;

/**
 * Tables in the shape of the paper's Table 1: one per (arch, policy) with GLUE rows (an empty one for
 * "encoder" when there are none), a row per objective at its final fraction, then the paper's rows.
 */
export function glueTable1(summary: readonly SummaryRow[]): TextTable[] {
  const isTable1 = (s: SummaryRow) =>
    (TABLE1_TASKS.includes(s.task) && selectByOf(glueTask(s.task)) === s.metric) ||
    (s.task === GLUE_AVERAGE_TASK && (s.metric === "paper_avg" || s.metric.startsWith(PARTIAL_GLUE_AVG_PREFIX)));
  const relevant = summary.filter(isTable1);
  const index = summaryIndex(summary);
  const combos = relevant.length
    ? [...new Set(relevant.map((s) => `${s.arch}\u0000${s.policy}`))].sort().map((k) => k.split("\u0000"))
    : [["encoder", ""]];
  return combos.map(([arch, policy]) => {
    const mine = relevant.filter((s) => s.arch === arch && s.policy === policy);
    const measured = [...new Set(mine.map((s) => s.objective))].sort(compareObjectives);
    const objectives = measured.length ? measured : OBJECTIVE_ORDER;
    const notes: string[] = [];
    const partialTasks = new Set<string>();
    const ours = objectives.map((objective) => {
      const fraction = finalFraction(mine, (s) => s.objective === objective);
      const cell = (task: string, metric: string) =>
        fraction === undefined ? undefined : index.get(summaryKey({ arch, objective, fraction, task, metric, policy }));
      const cells = TABLE1_TASKS.map((t) => cell(t, selectByOf(glueTask(t))));
      const partialMetric = mine.find((s) =>
        s.objective === objective && s.fraction === fraction && s.metric.startsWith(PARTIAL_GLUE_AVG_PREFIX)
      )?.metric;
      const avg = cell(GLUE_AVERAGE_TASK, "paper_avg") ??
        (partialMetric ? cell(GLUE_AVERAGE_TASK, partialMetric) : undefined);
      const missing = TABLE1_TASKS.filter((_, i) => !cells[i]);
      if (partialMetric) partialTasks.add(partialMetric.slice(PARTIAL_GLUE_AVG_PREFIX.length));
      if (missing.length) {
        notes.push(
          `${OBJECTIVE_LABELS[objective] ?? objective}: not measured: ${missing.join(", ")}; ` +
            (avg ? "its avg is over the measured tasks only (marked *)." : "no avg (fewer than 2 of the 7 tasks)."),
        );
      }
      return [
        OBJECTIVE_LABELS[objective] ?? objective,
        fraction === undefined ? MISSING : formatFraction(fraction),
        seedsCell([...cells, avg]),
        ...cells.map(formatMeanStd),
        avg && partialMetric && !cell(GLUE_AVERAGE_TASK, "paper_avg") ? `${formatMeanStd(avg)} *` : formatMeanStd(avg),
      ];
    });
    // With one partial task set, the paper's rows get their average over the same tasks beside the published one.
    const same = partialTasks.size === 1 ? [...partialTasks][0].split("+") : null;
    const paper = paperResults().glue.rows.map((p) => [
      `paper: ${p.model}, ${p.pretrainTokens} tokens, ${p.gpuHours} GPU-h`,
      "published",
      "3 (mean)",
      ...TABLE1_TASKS.map((t) => p.scores[t].toFixed(2)),
      same
        ? `${(same.reduce((a, t) => a + p.scores[t], 0) / same.length).toFixed(2)} * (7 tasks: ${p.avg.toFixed(2)})`
        : p.avg.toFixed(2),
    ]);
    return {
      title: `Table 1 shape: GLUE dev, ${arch}${policy ? `, ${policy}` : ""}`,
      columns: ["model", "fraction", "seeds", ...TABLE1_TASKS.map(glueTitle), "avg"],
      rows: [...ours, ...paper],
      notes: [
        "Ours: mean ± sample std over seeds, ×100, at each objective's final budget fraction; MCC for CoLA, Spearman for STS-B, " +
        "accuracy for the rest, MNLI matched+mismatched pooled; avg = mean of the 7 (RTE, WNLI left out), computed per seed.",
        ...(partialTasks.size
          ? [
            `* avg over the measured tasks only (${
              [...partialTasks].map((t) => t.split("+").map(glueTitle).join(" ")).join("; ")
            }), ` +
            "not the paper's 7-task average; the paper rows' * value is their scores averaged over the same tasks.",
          ]
          : []),
        "Paper: Godey et al. (2023) Table 1 (bert-base, balanced CE, best of 10 epochs, mean of 3 seeds); not run here.",
        ...notes,
      ],
    };
  });
}

/** The rows of the paper's Table 3: which of our rows stands beside each (the paper's row by objective and LM fine-tuning). */
export const TABLE3_ROWS: readonly { objective: string; task: string; lmFineTuned: boolean; label: string }[] = [
  { objective: "softmax", task: LAMBADA_TASKS.ownHead, lmFineTuned: false, label: "vanilla (softmax head)" },
  { objective: "cwt", task: LAMBADA_TASKS.ownHead, lmFineTuned: false, label: "headless, raw Eᵀ head" },
  { objective: "cwt", task: LAMBADA_TASKS.lmFineTuned, lmFineTuned: true, label: "headless + LM fine-tuning" },
];

/**
 * Tables in the shape of the paper's Table 3 (LAMBADA ppl and acc): one per (arch, policy) with LAMBADA
 * rows (an empty one for "decoder" when there are none); the paper's numbers in the last two columns.
 */
export function lambadaTable3(summary: readonly SummaryRow[]): TextTable[] {
  const tasks = new Set<string>(Object.values(LAMBADA_TASKS));
  const relevant = summary.filter((s) =>
    tasks.has(s.task) && Object.values(LAMBADA_METRICS).includes(s.metric as "acc")
  );
  const index = summaryIndex(summary);
  const combos = relevant.length
    ? [...new Set(relevant.map((s) => `${s.arch}\u0000${s.policy}`))].sort().map((k) => k.split("\u0000"))
    : [["decoder", ""]];
  return combos.map(([arch, policy]) => {
    const rows = TABLE3_ROWS.map((spec) => {
      const paper = paperResults().lambada.rows.find((p) =>
        p.objective === spec.objective && p.lmFineTuned === spec.lmFineTuned
      );
      const fraction = finalFraction(
        relevant,
        (s) => s.arch === arch && s.policy === policy && s.objective === spec.objective && s.task === spec.task,
      );
      const cell = (metric: string) =>
        fraction === undefined
          ? undefined
          : index.get(summaryKey({ arch, objective: spec.objective, fraction, task: spec.task, metric, policy }));
      const ppl = cell(LAMBADA_METRICS.perplexity), acc = cell(LAMBADA_METRICS.accuracy);
      return [
        spec.label,
        fraction === undefined ? MISSING : formatFraction(fraction),
        seedsCell([ppl, acc]),
        formatMeanStd(ppl),
        formatMeanStd(acc),
        paper ? paper.perplexity.toFixed(2) : MISSING,
        paper ? paper.accuracy.toFixed(2) : MISSING,
      ];
    });
    return {
      title: `Table 3 shape: LAMBADA (OpenAI), ${arch}${policy ? `, ${policy}` : ""}`,
      columns: ["model", "fraction", "seeds", "ppl", "acc", "paper ppl", "paper acc"],
      rows,
      notes: [
        `Ours: mean ± sample std over seeds at the final budget fraction; acc ×100; tasks "${LAMBADA_TASKS.ownHead}" ` +
        `(the model's own head: softmax head, or the raw Eᵀ head for CWT) and "${LAMBADA_TASKS.lmFineTuned}" (after LM fine-tuning).`,
        "Paper: Godey et al. (2023) Table 3 (Pythia-70M on OpenWebText2, lm-evaluation-harness lambada_openai); not run here.",
      ],
    };
  });
}

/**
 * Every summary row, pivoted: one line per (arch, objective, task, metric, policy), one column per
 * budget fraction present; nothing is left out, so a new task or metric shows up here with no change.
 */
export function allResultsTable(summary: readonly SummaryRow[]): TextTable {
  const fractions = [...new Set(summary.map((s) => s.fraction))].sort((a, b) => a - b);
  const index = summaryIndex(summary);
  const lines = new Map<string, SummaryRow>();
  for (const s of summary) lines.set([s.arch, s.objective, s.task, s.metric, s.policy].join("\u0000"), s);
  return {
    title: "All results (mean ± sample std over seeds; fractions in columns)",
    columns: ["arch", "objective", "task", "metric", "policy", "seeds", ...fractions.map(formatFraction)],
    rows: [...lines.values()].map((s) => {
      const cells = fractions.map((fraction) => index.get(summaryKey({ ...s, fraction })));
      return [
        s.arch,
        s.objective,
        s.task,
        s.metric + (displayScale(s.metric) !== 1 ? " (×100)" : ""),
        s.policy || MISSING,
        seedsCell(cells),
        ...cells.map(formatMeanStd),
      ];
    }),
    notes: [],
  };
}

/** Distinct arch/objective/seed/policy values, for the report header. */
export function describeRuns(
  rows: readonly ResultRow[],
): {
  arch: string;
  objective: string;
  seeds: string[];
  fractions: number[];
  budgetFlops: number;
  policies: string[];
  backends: string[];
}[] {
  const runs = distinct(rows, (r) => `${r.arch}\u0000${r.objective}`).map((k) => k.split("\u0000"));
  return runs.map(([arch, objective]) => {
    const mine = rows.filter((r) => r.arch === arch && r.objective === objective);
    const fractions = [...new Set(mine.map((r) => r.fraction))].sort((a, b) => a - b);
    const final = mine.filter((r) => r.fraction === fractions.at(-1)!);
    return {
      arch,
      objective,
      seeds: [...new Set(mine.map(replicateLabel))].sort(compareReplicates),
      fractions,
      // The budget: FLOPs at the final fraction scaled up to fraction 1 (equal to them when the final fraction is 1).
      budgetFlops: mean(final.map((r) => r.flops / r.fraction)),
      policies: distinct(mine, (r) => r.policy),
      backends: distinct(mine, (r) => r.backend),
    };
  }).sort((a, b) => a.arch.localeCompare(b.arch) || compareObjectives(a.objective, b.objective));
}
