/**
 * The GLUE stage: fine-tunes a fresh copy of an encoder checkpoint per task and seed (evals/finetune_glue.ts)
 * and scores the dev sets after every epoch; one result row per task, metric, seed and policy (`best-epoch`,
 * the epoch with the best dev score by the paper's metric, and `last-epoch`). Tasks are GLUE tasks by name
 * or custom task specs (data/task_spec.ts), whose folders are the stage's inputs `task:<name>`.
 */
import { basename, dirname, join } from "node:path";
import type { InputRef } from "../artifacts/store.ts";
import { missingFromCache } from "../data/cache.ts";
import type { Stage } from "../artifacts/stage.ts";
import { GLUE_TASK_NAMES, glueTask, isGlueTask } from "../data/glue.ts";
import { devSetsOf, type Example, loadExamples, loadTaskSpec, type TaskSpec } from "../data/task_spec.ts";
import { initBackend } from "../backends/mod.ts";
import { formatDuration } from "../util/format.ts";
import { InputError } from "../util/errors.ts";
import type { ClassificationLossName } from "./balanced_ce.ts";
import { loadCheckpointModel, modelFromSnapshot, modelSnapshot } from "./checkpoint_check.ts";
import { type CheckpointColumns, checkpointColumns, openCheckpoint, REFERENCE_COLUMNS } from "./eval_run.ts";
import { devScores, type FinetuneResult, finetuneTask, meanStd } from "./finetune_glue.ts";
import { MAJORITY, majorityPredictions } from "./majority.ts";
import { devSetSplit, scoreKeyParts } from "../results/task_splits.ts";
import type { GlueTask } from "./glue_score.ts";
import { ResultSink } from "./result_sink.ts";

/** A task of the stage: a GLUE task by name, or a custom task spec file (in the input folder `task:<name>`). */
export type GlueTaskRef = { glue: GlueTask } | { custom: string; file: string; allowOutside?: boolean };

/** How a stage fine-tunes a classifier (GLUE here, XNLI in evals/xnli_stage.ts). */
export interface FinetuneSettings {
  loss: ClassificationLossName;
  epochs: number;
  lr: number;
  weightDecay: number;
  batch: number;
  evalBatch: number;
  /** Train on a seeded subset of at most this many examples per task or language (null: all). */
  maxTrain: number | null;
  /** Dropout while fine-tuning (absent: none). */
  dropout?: number;
}

/** Everything that decides a GLUE stage's results (the checkpoint and tokenizer are inputs). */
export interface GlueSpec extends FinetuneSettings {
  tasks: GlueTaskRef[];
  seeds: number[];
  /** sha256 of every data-cache file the GLUE tasks read, by cache-relative path. */
  data: Record<string, string>;
  backend: string;
}

/** One fine-tuning task: its training spec, its dev sets and the score key that picks the best epoch. */
export interface TaskRun {
  /** Name in result rows. */
  name: string;
  train: TaskSpec;
  /** Dev set name -> the spec and split that hold it. */
  dev: Record<string, { spec: TaskSpec; split: string }>;
  selectBy?: string;
}

/** A fine-tuning run of a task spec: its dev sets and the score picking the best epoch, as the spec gives them. */
export function specRun(spec: TaskSpec): TaskRun {
  const dev = Object.fromEntries(Object.entries(devSetsOf(spec)).map(([name, split]) => [name, { spec, split }]));
  return { name: spec.name, train: spec, dev, selectBy: spec.selectBy };
}

/** The fine-tuning run of a GLUE task of the registry (evals/tasks/glue/). */
export function glueRun(task: GlueTask): TaskRun {
  return specRun(glueTask(task));
}

/**
 * The fine-tuning run of a custom task spec file: its train split, its dev sets. Its files must lie in
 * its folder unless `allowOutside`.
 */
export async function customRun(path: string, allowOutside = false): Promise<TaskRun> {
  const spec = await loadTaskSpec(path, { allowOutside });
  if (!spec.splits.train) throw new InputError(`task spec has no "train" split; fine-tuning needs one`, path);
  if (Object.keys(devSetsOf(spec)).length === 0) {
    throw new InputError(`task spec has no dev split (a split other than train and test)`, path);
  }
  return specRun(spec);
}

/** The cache-relative (or absolute, for custom tasks) files a run reads. */
export function runFiles(run: TaskRun): string[] {
  return [run.train.splits.train, ...Object.values(run.dev).map((d) => d.spec.splits[d.split])];
}

/** The input name of a custom task's folder. */
export const taskInput = (name: string) => `task:${name}`;

/** The run of a task reference, custom specs read from their input folder. */
async function taskRun(ref: GlueTaskRef, inputs: Record<string, string>): Promise<TaskRun> {
  if ("glue" in ref) return glueRun(ref.glue);
  const folder = inputs[taskInput(ref.custom)];
  if (!folder) throw new Error(`custom task ${ref.custom}: no input folder ${taskInput(ref.custom)}`);
  return await customRun(join(folder, basename(ref.file)), ref.allowOutside === true);
}

/** Loads the examples of a run; skipped broken rows are counted. */
async function loadRunData(
  run: TaskRun,
  cacheDir: string,
): Promise<{ train: Example[]; dev: Record<string, Example[]>; skipped: number }> {
  const train = await loadExamples(run.train, "train", cacheDir);
  const dev: Record<string, Example[]> = {};
  let skipped = train.skipped;
  for (const [name, { spec, split }] of Object.entries(run.dev)) {
    const loaded = await loadExamples(spec, split, cacheDir);
    dev[name] = loaded.examples;
    skipped += loaded.skipped;
  }
  return { train: train.examples, dev, skipped };
}

/** The stage. Inputs: `checkpoint` (an encoder checkpoint folder), `tokenizer` (its tokenizer.json), `task:<name>`. */
export const stage: Stage<GlueSpec> = {
  kind: "glue",
  module: import.meta.url,
  isolate: true,
  async run(spec, io) {
    const runs = await Promise.all(spec.tasks.map((t) => taskRun(t, io.inputs)));
    const { summary, tokenizer } = await openCheckpoint(
      io.inputs.checkpoint,
      io.inputs.tokenizer,
      "encoder",
      `fine-tuning on ${runs.map((r) => r.name).join(", ")}`,
    );
    await initBackend(spec.backend);
    const sink = new ResultSink(io.out);
    const loaded = await loadCheckpointModel(summary);
    const snapshot = modelSnapshot(loaded);
    loaded.dispose();
    const base = await checkpointColumns(summary);
    const work = runs.length * spec.seeds.length * spec.epochs;
    let done = 0;
    for (const run of runs) {
      const t0 = performance.now();
      const data = await loadRunData(run, io.cacheDir);
      const results: FinetuneResult[] = [];
      for (const seed of spec.seeds) {
        const model = modelFromSnapshot(summary.config, snapshot);
        try {
          results.push(finetuneTask(model, tokenizer, run.train, { train: data.train, dev: data.dev }, {
            loss: spec.loss,
            epochs: spec.epochs,
            lr: spec.lr,
            weightDecay: spec.weightDecay,
            batch: spec.batch,
            evalBatch: spec.evalBatch,
            maxTrain: spec.maxTrain ?? undefined,
            dropout: spec.dropout,
            seed,
            selectBy: run.selectBy,
            onEpoch: (e) => {
              io.progress.fraction(++done / work);
              console.error(
                `${run.name} seed ${seed} epoch ${e.epoch}/${spec.epochs}: train loss ${e.trainLoss.toFixed(4)}, ` +
                  Object.entries(e.scores).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(", ") +
                  ` (${formatDuration(e.seconds)})`,
              );
            },
          }));
        } finally {
          model.dispose();
        }
      }
      for (const r of results) {
        for (const [policy, epoch] of [["best-epoch", r.best], ["last-epoch", r.last]] as const) {
          for (const score of scoreRows(run.train, epoch.scores, r.devExamples)) {
            sink.push({
              ...base,
              seed: r.seed,
              task: run.name,
              ...score,
              policy,
              epoch: epoch.epoch,
              finetune_loss: r.loss,
              train_examples: r.trainExamples,
              finetune_steps: r.steps,
              finetune_flops: r.flops,
              eval_seconds: r.seconds,
            });
          }
          const predictions = r.predictions[policy === "best-epoch" ? "best" : "last"];
          addPredictions(sink, run, r.seed, policy, r.predictions.labels, predictions);
        }
      }
      if (run.train.labels.type === "classes") pushMajority(sink, run, base, data);
      const seconds = (performance.now() - t0) / 1000;
      if (data.skipped) sink.notes.push(`${run.name}: ${data.skipped} broken rows skipped`);
      await sink.flush();
      for (const policy of ["best", "last"] as const) {
        const line = Object.keys(results[0][policy].scores).map((k) => {
          const s = meanStd(results.map((r) => r[policy].scores[k]));
          return `${k} ${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}`;
        });
        io.progress.say(
          `${run.name} (${policy} epoch, ${spec.seeds.length} seeds, ${results[0].trainExamples}/${
            results[0].trainAvailable
          } train): ${line.join(", ")} [${formatDuration(seconds)}]`,
        );
      }
    }
    await sink.writeSeedSummary();
    return { rows: sink.rows.length, notes: sink.notes };
  },
};

/** The rows of a run's scores (finetune_glue.ts keys) as metric, split and the examples they count. */
export function scoreRows(
  spec: TaskSpec,
  scores: Record<string, number>,
  devExamples: Record<string, number>,
): { metric: string; split: string; examples: number; value: number }[] {
  const bySplit = new Map(Object.entries(devExamples).map(([name, n]) => [devSetSplit(spec, name), n]));
  return Object.entries(scores).map(([key, value]) => {
    const { metric, split } = scoreKeyParts(spec, key);
    const examples = bySplit.get(split) ?? split.split("+").reduce((n, s) => n + (bySplit.get(s) ?? 0), 0);
    return { metric, split, examples, value };
  });
}

/** Adds one fine-tuning run's dev-set predictions (one policy) to the sink's examples. */
function addPredictions(
  sink: ResultSink,
  run: TaskRun,
  seed: number,
  policy: string,
  labels: Record<string, number[]>,
  predictions: Record<string, ArrayLike<number>>,
  objective = "",
): void {
  for (const [name, gold] of Object.entries(labels)) {
    sink.addExamples(
      { task: run.name, seed, policy, split: devSetSplit(run.train, name), objective },
      gold.map((label, i) => ({ prediction: predictions[name][i], label })),
    );
  }
}

/** The majority-class reference of a classification task (contracts 3): its rows and examples. */
function pushMajority(
  sink: ResultSink,
  run: TaskRun,
  base: CheckpointColumns,
  data: { train: Example[]; dev: Record<string, Example[]> },
): void {
  const labels = Object.fromEntries(Object.entries(data.dev).map(([name, ex]) => [name, ex.map((e) => e.label)]));
  const predictions = majorityPredictions(data.train.map((e) => e.label), labels);
  const dev = Object.fromEntries(
    Object.keys(labels).map((name) => [name, { predictions: predictions[name], labels: labels[name] }]),
  );
  const counts = Object.fromEntries(Object.entries(labels).map(([name, l]) => [name, l.length]));
  for (const score of scoreRows(run.train, devScores(run.train, dev), counts)) {
    sink.push({ ...base, ...REFERENCE_COLUMNS, objective: MAJORITY, task: run.name, ...score, policy: "" });
  }
  addPredictions(sink, run, 0, "", labels, predictions, MAJORITY);
}

/**
 * A task list as `evaluate --tasks` takes it (GLUE names, `glue` for every GLUE task whose files the cache
 * holds, `lambada`, custom spec .json files) -> GLUE task references with the folders of custom specs as
 * inputs and the cache files they read, or LAMBADA. Mixing the two is an InputError (encoder vs decoder).
 */
export async function resolveTaskList(flag: string, cacheDir: string, allowOutside = false): Promise<{
  refs: GlueTaskRef[];
  inputs: Record<string, InputRef>;
  files: string[];
  lambada: boolean;
}> {
  const refs: GlueTaskRef[] = [];
  const inputs: Record<string, InputRef> = {};
  const files: string[] = [];
  let lambada = false;
  const names = flag.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InputError(`--tasks is empty; expected e.g. rte,stsb or glue or lambada`);
  for (const name of names) {
    const key = name.toLowerCase().replace(/[^a-z0-9]/g, "");
    if (key === "lambada") lambada = true;
    else if (name.endsWith(".json")) {
      const run = await customRun(name, allowOutside);
      refs.push({ custom: run.name, file: name.split("/").at(-1)!, ...(allowOutside ? { allowOutside } : {}) });
      inputs[taskInput(run.name)] = { dir: dirname(name) };
    } else if (key === "glue" || isGlueTask(key)) {
      for (const task of key === "glue" ? GLUE_TASK_NAMES : [key]) {
        if (!isGlueTask(task) || refs.some((r) => "glue" in r && r.glue === task)) continue;
        const needed = runFiles(glueRun(task));
        const missing = await missingFromCache(cacheDir, needed);
        if (missing.length && key === "glue") {
          console.error(`glue: skipping ${task} (${missing.join(", ")} not in ${cacheDir})`);
        } else if (missing.length) {
          throw new InputError(
            `${task}: ${missing.join(", ")} not in cache ${cacheDir}: run \`deno task data\` or pass --cache-dir`,
          );
        } else {
          refs.push({ glue: task });
          files.push(...needed);
        }
      }
    } else {
      throw new InputError(
        `unknown task ${JSON.stringify(name)}; expected a GLUE task, glue, lambada, or a task spec .json file`,
      );
    }
  }
  if (refs.length > 0 && lambada) {
    throw new InputError(
      `--tasks mixes GLUE-style tasks, which need an encoder, with lambada, which needs a decoder; evaluate them in two runs`,
    );
  }
  if (refs.length === 0 && !lambada) throw new InputError(`--tasks selects nothing to run (${flag})`);
  return { refs, inputs, files, lambada };
}
