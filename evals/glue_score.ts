/**
 * GLUE scoring: the metrics GLUE reports per task, and two named averages over tasks.
 *
 * - `paper`: the average of Godey et al. (2023), Table 1: the 7 tasks MRPC, CoLA, STS-B, SST-2, QNLI,
 *   QQP, MNLI, one number each: MCC for CoLA, Spearman for STS-B, accuracy for the rest (MRPC and QQP
 *   too), MNLI matched and mismatched pooled into one accuracy (the official code evaluates the split
 *   "validation_matched+validation_mismatched", NathanGodey/headless-lm engine/tasks/benchmark/glue.py).
 *   RTE and WNLI are left out.
 * - `leaderboard`: the GLUE leaderboard's score: the unweighted mean over the nine tasks of each task's
 *   score, a task's score being the mean of the metrics reported for it (MRPC and QQP: F1 and accuracy;
 *   STS-B: Pearson and Spearman; MNLI: the matched and mismatched accuracies, shown as two columns but
 *   averaged into one task score). Sources checked with the search tool:
 *   the GLUE paper (Wang et al. 2018, arXiv 1804.07461, Table 1) lists nine tasks, MNLI as one task with
 *   metric "acc. (match/mismatch)" and MRPC/QQP "acc./F1", STS-B "Pearson/Spearman"; Nangia & Bowman
 *   (ACL 2019, arXiv 1905.10425) say human annotators "outperform the state of the art on six of the
 *   nine GLUE tasks and achieve an average score of 87.1", i.e. the score averages nine task scores and
 *   MNLI counts once. Cross-check (the human row as shown on gluebenchmark.com, quoted from memory, not
 *   re-fetched): CoLA 66.4, SST-2 97.8, MRPC 86.3/80.8, STS-B 92.7/92.6, QQP 59.5/80.4, MNLI 92.0/92.8,
 *   QNLI 91.2, RTE 93.6, WNLI 95.9 gives 87.05 -> 87.1 this way, but 87.59 with MNLI-m and MNLI-mm as
 *   two separate entries of a ten-way mean; the diagnostic AX is not part of the score.
 *
 * Missing tasks: an average is over the tasks present, and names those it covers and those missing.
 * Scale: metrics.ts gives fractions in [0, 1] (or [-1, 1]); the averages keep whatever scale they are
 * given; the paper's numbers below are percentages, as printed.
 */
import { InputError } from "../util/errors.ts";
import { type MetricName, METRICS, type Numbers } from "./metrics.ts";

/** The nine GLUE tasks. */
export type GlueTask = "cola" | "sst2" | "mrpc" | "qqp" | "stsb" | "mnli" | "qnli" | "rte" | "wnli";

/** How one task is scored. */
export interface GlueTaskSpec {
  /** Evaluation splits: one, or MNLI's matched and mismatched. */
  splits: readonly string[];
  /** Metrics computed on each split. */
  metrics: readonly MetricName[];
  /** Score keys GLUE reports for the task (the leaderboard's columns). */
  reported: readonly string[];
  /** Score key the paper's average uses, or null where the paper leaves the task out. */
  paper: string | null;
}

/** Scores of one task by key: `metric` for a one-split task; `metric_split` and `metric_pooled` otherwise. */
export type TaskScores = Record<string, number>;

/** Scores of the tasks that were run. */
export type GlueResults = Partial<Record<GlueTask, TaskScores>>;

/** Predictions and gold labels (class ids, or similarity scores for STS-B) of one split. */
export interface SplitPredictions {
  predictions: Numbers;
  labels: Numbers;
}

const one = ["validation"] as const;

/** Every GLUE task, in the leaderboard's order. */
export const GLUE_TASKS: Readonly<Record<GlueTask, GlueTaskSpec>> = {
  cola: { splits: one, metrics: ["mcc"], reported: ["mcc"], paper: "mcc" },
  sst2: { splits: one, metrics: ["accuracy"], reported: ["accuracy"], paper: "accuracy" },
  mrpc: { splits: one, metrics: ["f1", "accuracy"], reported: ["f1", "accuracy"], paper: "accuracy" },
  stsb: { splits: one, metrics: ["pearson", "spearman"], reported: ["pearson", "spearman"], paper: "spearman" },
  qqp: { splits: one, metrics: ["f1", "accuracy"], reported: ["f1", "accuracy"], paper: "accuracy" },
  mnli: {
    splits: ["matched", "mismatched"],
    metrics: ["accuracy"],
    reported: ["accuracy_matched", "accuracy_mismatched"],
    paper: "accuracy_pooled",
  },
  qnli: { splits: one, metrics: ["accuracy"], reported: ["accuracy"], paper: "accuracy" },
  rte: { splits: one, metrics: ["accuracy"], reported: ["accuracy"], paper: null },
  wnli: { splits: one, metrics: ["accuracy"], reported: ["accuracy"], paper: null },
};

/** True when `name` is one of the nine GLUE tasks. */
export function isGlueTask(name: string): name is GlueTask {
  return Object.hasOwn(GLUE_TASKS, name);
}

/**
 * Computes every metric of `task` from its predictions. `splits` maps each split of the task
 * ("validation", or MNLI's "matched" and "mismatched") to its predictions and labels; a task with
 * several splits also gets each metric on all splits pooled (`accuracy_pooled` for MNLI).
 */
export function scoreGlueTask(task: GlueTask, splits: Record<string, SplitPredictions>): TaskScores {
  const spec = GLUE_TASKS[task];
  const given = Object.keys(splits);
  if (given.length !== spec.splits.length || !spec.splits.every((s) => Object.hasOwn(splits, s))) {
    throw new InputError(
      `GLUE ${task}: got splits [${given.join(", ")}]; expected exactly [${spec.splits.join(", ")}]`,
    );
  }
  const scores: TaskScores = {};
  for (const metric of spec.metrics) {
    if (spec.splits.length === 1) {
      const { predictions, labels } = splits[spec.splits[0]];
      scores[metric] = METRICS[metric](predictions, labels);
      continue;
    }
    for (const split of spec.splits) {
      scores[`${metric}_${split}`] = METRICS[metric](splits[split].predictions, splits[split].labels);
    }
    const pooled = (key: keyof SplitPredictions) => spec.splits.flatMap((s) => Array.from(splits[s][key]));
    scores[`${metric}_pooled`] = METRICS[metric](pooled("predictions"), pooled("labels"));
  }
  return scores;
}

/** How a named average turns results into one number. */
interface AverageSpec {
  /** Tasks the average runs over when all are present. */
  tasks: readonly GlueTask[];
  /** Score keys of a task whose mean is that task's score. */
  keys(task: GlueTask): readonly string[];
}

/** Names of the averages in {@link GLUE_AVERAGES}. */
export type GlueAverageName = "paper" | "leaderboard";

/** The two averages (see the module comment for where each convention comes from). */
export const GLUE_AVERAGES: Readonly<Record<GlueAverageName, AverageSpec>> = {
  paper: {
    tasks: ["mrpc", "cola", "stsb", "sst2", "qnli", "qqp", "mnli"],
    keys: (task) => [GLUE_TASKS[task].paper!],
  },
  leaderboard: {
    tasks: ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"],
    keys: (task) => GLUE_TASKS[task].reported,
  },
};

/** One named average, with the tasks it covers. */
export interface GlueAverage {
  name: GlueAverageName;
  /** Mean of the task scores; NaN when no task of the average is present. */
  value: number;
  /** Tasks present and averaged, in the average's order. */
  tasks: GlueTask[];
  /** Tasks of the average that were not in the results. */
  missing: GlueTask[];
  /** Each covered task's score. */
  taskScores: Partial<Record<GlueTask, number>>;
}

/** Computes the named average over the tasks present in `results`. */
export function glueAverage(results: GlueResults, name: GlueAverageName): GlueAverage {
  for (const task of Object.keys(results)) {
    if (!isGlueTask(task)) {
      throw new InputError(
        `GLUE ${name} average: unknown task "${task}"; expected one of ${Object.keys(GLUE_TASKS).join(", ")}`,
      );
    }
  }
  const spec = GLUE_AVERAGES[name];
  const tasks: GlueTask[] = [], missing: GlueTask[] = [];
  const taskScores: Partial<Record<GlueTask, number>> = {};
  for (const task of spec.tasks) {
    const scores = results[task];
    if (!scores) {
      missing.push(task);
      continue;
    }
    const keys = spec.keys(task);
    const values = keys.map((key) => {
      const v = scores[key];
      if (typeof v !== "number" || Number.isNaN(v)) {
        throw new InputError(
          `GLUE ${name} average: task ${task} has no "${key}" score (has ${
            Object.keys(scores).join(", ") || "none"
          }); expected ${keys.join(", ")}`,
        );
      }
      return v;
    });
    taskScores[task] = values.reduce((a, b) => a + b, 0) / values.length;
    tasks.push(task);
  }
  const value = tasks.length ? tasks.reduce((sum, t) => sum + taskScores[t]!, 0) / tasks.length : NaN;
  return { name, value, tasks, missing, taskScores };
}

/** A row of the paper's Table 1 (GLUE dev, balanced cross-entropy, mean of 3 seeds), in percent. */
export interface PaperGlueRow {
  model: "vanilla MLM" | "headless";
  /** Pretraining tokens, as printed. */
  pretrainTokens: string;
  /** Pretraining GPU-hours. */
  gpuHours: number;
  /** The paper's one number per task (see the `paper` average). */
  scores: Record<"mrpc" | "cola" | "stsb" | "sst2" | "qnli" | "qqp" | "mnli", number>;
  /** The printed average of the seven. */
  avg: number;
}

/** Godey et al. (2023), Table 1, from /work/shared/notes/paper.md. */
export const PAPER_GLUE_TABLE1: readonly PaperGlueRow[] = [
  {
    model: "vanilla MLM",
    pretrainTokens: "4.1B",
    gpuHours: 989,
    scores: { mrpc: 85.87, cola: 54.66, stsb: 83.70, sst2: 92.45, qnli: 88.38, qqp: 89.57, mnli: 82.40 },
    avg: 82.43,
  },
  {
    model: "headless",
    pretrainTokens: "4.1B",
    gpuHours: 444,
    scores: { mrpc: 85.31, cola: 58.35, stsb: 84.54, sst2: 93.23, qnli: 89.49, qqp: 89.62, mnli: 82.54 },
    avg: 83.29,
  },
  {
    model: "headless",
    pretrainTokens: "8.2B",
    gpuHours: 888,
    scores: { mrpc: 86.89, cola: 60.72, stsb: 85.98, sst2: 92.56, qnli: 89.75, qqp: 89.81, mnli: 82.87 },
    avg: 84.08,
  },
];

/** A paper row as {@link GlueResults}, keyed the way the `paper` average reads them. */
export function paperRowAsResults(row: PaperGlueRow): GlueResults {
  return Object.fromEntries(
    Object.entries(row.scores).map(([task, v]) => [task, { [GLUE_TASKS[task as GlueTask].paper!]: v }]),
  );
}
