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
 * Both are defined in the registry's evals/tasks/glue/group.json (their tasks, in summing order, and
 * which scores of a task they read); the tasks' metrics and dev sets in its task files.
 *
 * Missing tasks: an average is over the tasks present, and names those it covers and those missing.
 * Scale: metrics.ts gives fractions in [0, 1] (or [-1, 1]); the averages keep whatever scale they are
 * given; the paper's numbers (reports/paper_results.json) are percentages, as printed.
 */
import { GLUE_GROUP, GLUE_TASK_NAMES, glueTask, isGlueTask } from "../data/glue.ts";
import { devSetsOf } from "../data/task_spec.ts";
import { averageKeys, taskGroup } from "./tasks/registry.ts";
import { InputError } from "../util/errors.ts";
import { type MetricName, METRICS, type Numbers } from "./metrics.ts";

/** A GLUE task's registry name (cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli). */
export type GlueTask = string;

/** Scores of one task by key: `metric` for a one-split task; `metric_split` and `metric_pooled` otherwise. */
export type TaskScores = Record<string, number>;

/** Scores of the tasks that were run. */
export type GlueResults = Partial<Record<GlueTask, TaskScores>>;

/** Predictions and gold labels (class ids, or similarity scores for STS-B) of one split. */
export interface SplitPredictions {
  predictions: Numbers;
  labels: Numbers;
}

/**
 * Computes every metric of `task` from its predictions. `splits` maps each dev set of the task
 * ("validation", or MNLI's "matched" and "mismatched") to its predictions and labels; a task with
 * several dev sets also gets each metric on all of them pooled (`accuracy_pooled` for MNLI).
 */
export function scoreGlueTask(task: GlueTask, splits: Record<string, SplitPredictions>): TaskScores {
  const spec = glueTask(task);
  const devSets = Object.keys(devSetsOf(spec));
  const given = Object.keys(splits);
  if (given.length !== devSets.length || !devSets.every((s) => Object.hasOwn(splits, s))) {
    throw new InputError(
      `GLUE ${task}: got splits [${given.join(", ")}]; expected exactly [${devSets.join(", ")}]`,
    );
  }
  const scores: TaskScores = {};
  for (const metric of spec.metrics as MetricName[]) {
    if (devSets.length === 1) {
      const { predictions, labels } = splits[devSets[0]];
      scores[metric] = METRICS[metric](predictions, labels);
      continue;
    }
    for (const split of devSets) {
      scores[`${metric}_${split}`] = METRICS[metric](splits[split].predictions, splits[split].labels);
    }
    const pooled = (key: keyof SplitPredictions) => devSets.flatMap((s) => Array.from(splits[s][key]));
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

function averageSpec(name: GlueAverageName): AverageSpec {
  const definition = taskGroup(GLUE_GROUP).averages[name];
  if (!definition) throw new InputError(`evals/tasks/glue/group.json defines no "${name}" average`);
  const keys = new Map(definition.tasks.map((t) => [t, averageKeys(glueTask(t), definition.scores)]));
  return { tasks: definition.tasks, keys: (task) => keys.get(task) ?? [] };
}

/** The two averages, as the registry's GLUE group file defines them (see the module comment). */
export const GLUE_AVERAGES: Readonly<Record<GlueAverageName, AverageSpec>> = {
  paper: averageSpec("paper"),
  leaderboard: averageSpec("leaderboard"),
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
        `GLUE ${name} average: unknown task "${task}"; expected one of ${GLUE_TASK_NAMES.join(", ")}`,
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
