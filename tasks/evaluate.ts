/**
 * Evaluates a pretraining checkpoint: GLUE-style fine-tuning of an encoder, or LAMBADA for a decoder.
 *
 *   deno run -A tasks/evaluate.ts --checkpoint runs/pretrain/RUN/ckpt/frac-1 --tasks rte,stsb --seeds 0,1,2
 *   deno run -A tasks/evaluate.ts --checkpoint runs/pretrain/RUN --tasks lambada --lm-steps 200
 *
 * `--tasks` takes GLUE task names (cola sst2 mrpc stsb qqp mnli qnli rte wnli), `glue` (every GLUE
 * task whose files the data cache holds), `lambada`, or a custom task spec JSON file (data/task_spec.ts).
 * The output folder gets results.csv (the row format of reports/rows.ts, plus detail columns),
 * seed_summary.csv (mean and std over seeds), timings.csv (run time per task) and evaluate.json (the
 * settings). It is written under a temporary name and renamed into place when every task is done; an
 * existing folder with the same settings is reported and left alone.
 *
 * GLUE rows: one per (task, metric, fine-tuning seed, policy), policy `best-epoch` (the epoch with the
 * best dev score by the paper's metric for the task, as the paper reports) or `last-epoch`.
 * LAMBADA rows: task `lambada_openai` scored with the model's own head (a headless CWT decoder: a copy
 * of Eᵀ, not fine-tuned, the paper's "Headless" row), and for a headless decoder with --lm-steps > 0,
 * task `lambada_openai_lmft` after LM fine-tuning on the pretraining token stream, whose FLOPs, tokens
 * and seconds are added to the checkpoint's; --save-lm-models keeps each fine-tuned decoder as a
 * checkpoint folder lm-finetuned/seed-N (tasks/export.ts writes it out for Hugging Face).
 */
import { join } from "node:path";
import { missingFromCache, resolveCacheDir } from "../data/cache.ts";
import { glueTask } from "../data/glue.ts";
import { loadLambada } from "../data/lambada.ts";
import { type Example, loadExamples, loadTaskSpec, type TaskSpec } from "../data/task_spec.ts";
import type { ClassificationLossName } from "../evals/balanced_ce.ts";
import { ModelScorer } from "../evals/causal_scorer.ts";
import {
  type CheckpointSummary,
  type CheckpointTokenizer,
  loadCheckpointModel,
  modelFromSnapshot,
  modelSnapshot,
} from "../evals/checkpoint_check.ts";
import { checkpointColumns, claimEvalOutput, loadScoringDecoder, openCheckpoint } from "../evals/eval_run.ts";
import { type FinetuneResult, finetuneTask, GLUE_PROTOCOLS, meanStd } from "../evals/finetune_glue.ts";
import { GLUE_TASKS as GLUE_SCORING, type GlueTask, isGlueTask } from "../evals/glue_score.ts";
import { scoreLambada } from "../evals/lambada.ts";
import { lmFinetune, openLmBatches } from "../evals/lm_finetune.ts";
import { initBackend } from "../models/mod.ts";
import { RESULT_COLUMNS, writeCsvAtomic } from "../reports/rows.ts";
import { findSpecials } from "../tokenizer/special_roles.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { writeLmFinetunedCheckpoint } from "../export/lm_checkpoint.ts";
import { formatDuration } from "../train/log.ts";
import { readTokenManifest } from "../train/token_stream.ts";
import { integerFlag, numberFlag, parseFlags, runMain, seedListFlag } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";

const SPEC = {
  checkpoint: {
    type: "string",
    help: "checkpoint folder (ckpt/frac-F) or pretraining run folder (its newest checkpoint) (required)",
  },
  tokenizer: { type: "string", help: "tokenizer.json (default: the one in the checkpoint's token folder)" },
  tasks: {
    type: "string",
    help: "comma list: cola,sst2,mrpc,stsb,qqp,mnli,qnli,rte,wnli | glue | lambada | SPEC.json (required)",
  },
  seeds: { type: "string", default: "0,1,2", help: "fine-tuning seeds, comma separated" },
  loss: {
    type: "string",
    default: "balanced",
    help: "balanced | plain (GLUE classification loss; picks the protocol's defaults)",
  },
  epochs: { type: "string", help: "GLUE epochs (default 10)" },
  "max-train": {
    type: "string",
    help: "train on a seeded subset of at most N examples per task (dev sets are always whole)",
  },
  lr: { type: "string", help: "GLUE peak learning rate (default: balanced 1e-5, plain 5e-6)" },
  "weight-decay": { type: "string", help: "GLUE AdamW weight decay (default: balanced 0, plain 0.01)" },
  batch: { type: "string", help: "GLUE training batch (default 32)" },
  "eval-batch": { type: "string", default: "64", help: "examples per evaluation forward pass" },
  "lm-steps": {
    type: "string",
    default: "0",
    help: "LM fine-tuning steps for a headless decoder before LAMBADA (0: none)",
  },
  "lm-lr": { type: "string", default: "1e-4", help: "LM fine-tuning learning rate (constant after 20% warmup)" },
  "lm-batch": { type: "string", default: "8", help: "LM fine-tuning sequences per step" },
  "lm-seq-len": { type: "string", help: "LM fine-tuning sequence length (default: the model's context)" },
  tokens: { type: "string", help: "token folder for LM fine-tuning (default: the checkpoint's, from its run.json)" },
  "save-lm-models": {
    type: "boolean",
    help:
      "save each LM-fine-tuned decoder as a checkpoint folder, lm-finetuned/seed-N in the output (for tasks/export.ts)",
  },
  "lambada-limit": { type: "string", help: "score only the first N LAMBADA passages (smoke runs; default all 5,153)" },
  "cache-dir": {
    type: "string",
    help: "evaluation-data cache folder (default $HEADLESS_BENCH_DATA, else ~/.cache/headless-bench/data)",
  },
  out: { type: "string", help: "output folder (default runs/evaluate/<model>-<settings hash>)" },
  backend: {
    type: "string",
    default: "auto",
    help:
      "auto | tensorflow | wasm-blas | wasm | cpu (auto: tensorflow if installed, else wasm-blas if OpenBLAS is, else wasm)",
  },
} as const;

/** GLUE tasks in the leaderboard's order, each with its dev sets: result name -> data/glue.ts spec name. */
const GLUE_DEV_SETS: Record<GlueTask, Record<string, string>> = {
  cola: { validation: "CoLA" },
  sst2: { validation: "SST-2" },
  mrpc: { validation: "MRPC" },
  stsb: { validation: "STS-B" },
  qqp: { validation: "QQP" },
  mnli: { matched: "MNLI-m", mismatched: "MNLI-mm" },
  qnli: { validation: "QNLI" },
  rte: { validation: "RTE" },
  wnli: { validation: "WNLI" },
};

/** Task names of the LAMBADA rows (as reports/summary.ts reads them). */
const LAMBADA_TASK = { ownHead: "lambada_openai", lmFineTuned: "lambada_openai_lmft" } as const;

/** Detail columns written after the standard result columns. */
const DETAIL_COLUMNS = [
  "epoch",
  "pretrain_seed",
  "model",
  "checkpoint",
  "finetune_loss",
  "train_examples",
  "finetune_steps",
  "finetune_flops",
  "finetune_seconds",
] as const;

/** One fine-tuning task: its training spec, its dev sets and the score key that picks the best epoch. */
interface TaskRun {
  /** Name in result rows. */
  name: string;
  train: TaskSpec;
  /** Dev set name -> the spec and split that hold it. */
  dev: Record<string, { spec: TaskSpec; split: string }>;
  selectBy?: string;
}

type Row = Record<string, string | number>;

function glueRun(task: GlueTask): TaskRun {
  const dev = Object.fromEntries(
    Object.entries(GLUE_DEV_SETS[task]).map(([name, spec]) => [name, { spec: glueTask(spec), split: "dev" }]),
  );
  return { name: task, train: Object.values(dev)[0].spec, dev, selectBy: GLUE_SCORING[task].paper ?? undefined };
}

async function customRun(path: string): Promise<TaskRun> {
  const spec = await loadTaskSpec(path);
  if (!spec.splits.train) throw new InputError(`task spec has no "train" split; fine-tuning needs one`, path);
  const devNames = Object.keys(spec.splits).filter((s) => s !== "train" && s !== "test");
  if (devNames.length === 0) {
    throw new InputError(`task spec has no dev split (a split other than train and test)`, path);
  }
  return { name: spec.name, train: spec, dev: Object.fromEntries(devNames.map((split) => [split, { spec, split }])) };
}

/** The cache-relative files a run needs. */
function runFiles(run: TaskRun): string[] {
  return [run.train.splits.train, ...Object.values(run.dev).map((d) => d.spec.splits[d.split])];
}

/** Parses --tasks into fine-tuning runs and whether LAMBADA is asked for. */
async function parseTasks(
  flag: string,
  cacheDir: string,
): Promise<{ runs: TaskRun[]; lambada: boolean; notes: string[] }> {
  const runs: TaskRun[] = [];
  const notes: string[] = [];
  let lambada = false;
  const names = flag.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InputError(`--tasks is empty; expected e.g. rte,stsb or glue or lambada`);
  for (const name of names) {
    const key = name.toLowerCase().replace(/[^a-z0-9]/g, "");
    if (key === "lambada") lambada = true;
    else if (key === "glue") {
      for (const task of Object.keys(GLUE_DEV_SETS) as GlueTask[]) {
        const run = glueRun(task);
        const missing = await missingFromCache(cacheDir, runFiles(run));
        if (missing.length) notes.push(`glue: skipping ${task} (${missing.join(", ")} not in ${cacheDir})`);
        else runs.push(run);
      }
    } else if (name.endsWith(".json")) runs.push(await customRun(name));
    else if (isGlueTask(key)) {
      const run = glueRun(key);
      const missing = await missingFromCache(cacheDir, runFiles(run));
      if (missing.length) {
        throw new InputError(
          `${key}: ${missing.join(", ")} not in cache ${cacheDir}: run \`deno task data\` or pass --cache-dir`,
        );
      }
      runs.push(run);
    } else {
      throw new InputError(
        `unknown task ${JSON.stringify(name)}; expected one of ${
          Object.keys(GLUE_DEV_SETS).join(", ")
        }, glue, lambada, or a task spec .json file`,
      );
    }
  }
  const seen = new Set<string>();
  return {
    runs: runs.filter((r) => (seen.has(r.name) ? false : (seen.add(r.name), true))),
    lambada,
    notes,
  };
}

/** Loads the examples of a run; skipped broken rows are noted. */
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

/** GLUE settings resolved from the flags. */
interface GlueSettings {
  loss: ClassificationLossName;
  epochs: number;
  lr: number;
  weightDecay: number;
  batch: number;
  evalBatch: number;
  maxTrain?: number;
}

/** LM fine-tuning and LAMBADA settings resolved from the flags. */
interface LambadaSettings {
  steps: number;
  lr: number;
  batch: number;
  seqLen?: number;
  tokensDir?: string;
  limit?: number;
  evalBatch: number;
  /** Save each fine-tuned decoder as a checkpoint folder (absent, not false, when off: settings hashes stay). */
  saveModels?: true;
}

/** Where rows and timings go: kept in memory, rewritten to the (temporary) output folder after each task. */
class ResultSink {
  readonly rows: Row[] = [];
  readonly timings: Row[] = [];
  constructor(readonly dir: string) {}

  /** Adds a row; a non-finite value is reported and left out (results.csv holds finite values only). */
  push(row: Row): void {
    if (typeof row.value === "number" && !Number.isFinite(row.value)) {
      console.error(
        `note: ${row.task} ${row.metric} seed ${row.seed} is ${row.value}; not written (results.csv holds finite values only)`,
      );
      return;
    }
    this.rows.push(row);
  }

  async flush(): Promise<void> {
    await writeCsvAtomic(join(this.dir, "results.csv"), [...RESULT_COLUMNS, ...DETAIL_COLUMNS], this.rows);
    await writeCsvAtomic(join(this.dir, "timings.csv"), TIMING_COLUMNS, this.timings);
  }

  /** Mean and std over seeds per task, metric and policy, as seed_summary.csv. */
  async writeSeedSummary(): Promise<void> {
    const groups = new Map<string, Row[]>();
    for (const r of this.rows) {
      const k = [r.task, r.metric, r.policy].join("\u0000");
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(r);
    }
    const summary = [...groups.values()].map((g) => {
      const s = meanStd(g.map((r) => r.value as number));
      return {
        task: g[0].task,
        metric: g[0].metric,
        policy: g[0].policy,
        n: s.n,
        mean: s.mean,
        std: g.length > 1 ? s.std : NaN,
        seeds: g.map((r) => r.seed).join(" "),
      };
    });
    await writeCsvAtomic(
      join(this.dir, "seed_summary.csv"),
      ["task", "metric", "policy", "n", "mean", "std", "seeds"],
      summary,
    );
  }
}

/** Columns of timings.csv. */
const TIMING_COLUMNS = ["task", "seconds", "seeds", "train_examples", "dev_examples", "steps", "note"];

/** Fine-tunes a fresh copy of the checkpoint's encoder per task and seed; one row per metric, seed and policy. */
async function runGlue(
  summary: CheckpointSummary,
  tokenizer: Tokenizer,
  runs: TaskRun[],
  seeds: number[],
  glue: GlueSettings,
  cacheDir: string,
  sink: ResultSink,
): Promise<void> {
  const loaded = await loadCheckpointModel(summary);
  const snapshot = modelSnapshot(loaded);
  loaded.dispose();
  const base = checkpointColumns(summary, summary.config);
  for (const run of runs) {
    const t0 = performance.now();
    const data = await loadRunData(run, cacheDir);
    const results: FinetuneResult[] = [];
    for (const seed of seeds) {
      const model = modelFromSnapshot(summary.config, snapshot);
      try {
        results.push(finetuneTask(model, tokenizer, run.train, { train: data.train, dev: data.dev }, {
          ...glue,
          seed,
          selectBy: run.selectBy,
          onEpoch: (e) =>
            console.error(
              `${run.name} seed ${seed} epoch ${e.epoch}/${glue.epochs}: train loss ${e.trainLoss.toFixed(4)}, ` +
                Object.entries(e.scores).map(([k, x]) => `${k} ${x.toFixed(4)}`).join(", ") +
                ` (${formatDuration(e.seconds)})`,
            ),
        }));
      } finally {
        model.dispose();
      }
    }
    for (const r of results) {
      for (const [policy, epoch] of [["best-epoch", r.best], ["last-epoch", r.last]] as const) {
        for (const [metric, value] of Object.entries(epoch.scores)) {
          sink.push({
            ...base,
            seed: r.seed,
            task: run.name,
            metric,
            value,
            policy,
            epoch: epoch.epoch,
            finetune_loss: r.loss,
            train_examples: r.trainExamples,
            finetune_steps: r.steps,
            finetune_flops: r.flops,
            finetune_seconds: Number(r.seconds.toFixed(3)),
          });
        }
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    sink.timings.push({
      task: run.name,
      seconds: Number(seconds.toFixed(3)),
      seeds: seeds.join(" "),
      train_examples: results[0].trainExamples,
      dev_examples: Object.values(results[0].devExamples).reduce((a, b) => a + b, 0),
      steps: results[0].steps,
      note: data.skipped ? `${data.skipped} broken rows skipped` : "",
    });
    await sink.flush();
    for (const policy of ["best", "last"] as const) {
      const line = Object.keys(results[0][policy].scores).map((k) => {
        const s = meanStd(results.map((r) => r[policy].scores[k]));
        return `${k} ${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}`;
      });
      console.log(
        `${run.name} (${policy} epoch, ${seeds.length} seeds, ${results[0].trainExamples}/${
          results[0].trainAvailable
        } train): ${line.join(", ")}`,
      );
    }
    console.log(`${run.name}: ${formatDuration(seconds)} (${seconds.toFixed(1)} s)`);
  }
}

/**
 * LAMBADA with the checkpoint's own head (a headless decoder: the Eᵀ copy, not fine-tuned), then, for
 * a headless decoder and lm.steps > 0, after LM fine-tuning with each seed.
 */
async function runLambada(
  summary: CheckpointSummary,
  tokenizer: Tokenizer,
  trained: CheckpointTokenizer,
  seeds: number[],
  lm: LambadaSettings,
  cacheDir: string,
  sink: ResultSink,
): Promise<void> {
  const t0 = performance.now();
  let passages = await loadLambada(cacheDir);
  if (lm.limit !== undefined) passages = passages.slice(0, lm.limit);
  const scoringTokenizer = { encode: (s: string) => tokenizer.encode(s), eotId: findSpecials(tokenizer).eot?.id };
  const { model, config, headless } = await loadScoringDecoder(summary);
  const base = checkpointColumns(summary, config);
  const pretrainSeed = typeof base.pretrain_seed === "number" ? base.pretrain_seed : 0;
  try {
    const own = await scoreLambada(new ModelScorer(model), scoringTokenizer, passages, { batchSize: lm.evalBatch });
    const seconds = (performance.now() - t0) / 1000;
    for (const [metric, value] of [["acc", own.acc], ["perplexity", own.perplexity]] as const) {
      sink.push({
        ...base,
        seed: pretrainSeed,
        task: LAMBADA_TASK.ownHead,
        metric,
        value,
        policy: "",
        finetune_loss: headless ? "none (E^T head copy)" : "none",
      });
    }
    sink.timings.push({
      task: LAMBADA_TASK.ownHead,
      seconds: Number(seconds.toFixed(3)),
      seeds: "",
      train_examples: "",
      dev_examples: own.n,
      steps: 0,
      note: headless ? "E^T head" : "own head",
    });
    console.log(
      `${LAMBADA_TASK.ownHead} (${headless ? "E^T head, no fine-tuning" : "own head"}, ${own.n} passages): acc ${
        (100 * own.acc).toFixed(2)
      }, ppl ${own.perplexity.toFixed(2)} (${seconds.toFixed(1)} s)`,
    );
    await sink.flush();
    if (lm.steps > 0 && !headless) {
      console.error(
        `note: --lm-steps applies to headless (CWT) decoders only; the ${summary.objective} checkpoint was scored as is`,
      );
    }
    if (lm.steps === 0 || !headless) return;

    const tokensDir = lm.tokensDir ?? trained.tokensDir;
    const { manifest } = await readTokenManifest(tokensDir);
    if (manifest.tokenizer.sha256 !== trained.sha256) {
      throw new InputError(
        `token folder was made with tokenizer sha256 ${manifest.tokenizer.sha256}, the checkpoint with ${trained.sha256}`,
        join(tokensDir, "manifest.json"),
      );
    }
    const withHead = modelSnapshot(model);
    for (const seed of seeds) {
      const t1 = performance.now();
      const copy = modelFromSnapshot(config, withHead);
      try {
        const source = await openLmBatches(tokensDir, copy, {
          batch: lm.batch,
          seqLen: lm.seqLen ?? config.context,
          seed,
          vocabSize: manifest.vocabSize,
        });
        const every = Math.max(1, Math.floor(lm.steps / 10));
        const ft = lmFinetune(copy, source, {
          steps: lm.steps,
          lr: lm.lr,
          onStep: (step, l) => {
            if (step % every === 0) {
              console.error(`lm fine-tune seed ${seed} step ${step}/${lm.steps}: loss ${l.toFixed(4)}`);
            }
          },
        });
        if (lm.saveModels) {
          await writeLmFinetunedCheckpoint(join(sink.dir, "lm-finetuned"), `seed-${seed}`, copy, summary, {
            steps: ft.steps,
            lr: lm.lr,
            seed,
            batch: lm.batch,
            seqLen: lm.seqLen ?? config.context,
            tokens: ft.tokens,
            flops: ft.flops,
            seconds: ft.seconds,
          });
          console.error(`saved the LM-fine-tuned decoder of seed ${seed} as lm-finetuned/seed-${seed} in the output`);
        }
        const scored = await scoreLambada(new ModelScorer(copy), scoringTokenizer, passages, {
          batchSize: lm.evalBatch,
        });
        const seconds = (performance.now() - t1) / 1000;
        for (const [metric, value] of [["acc", scored.acc], ["perplexity", scored.perplexity]] as const) {
          sink.push({
            ...base,
            // The LM fine-tune counts toward the model's compute.
            flops: (base.flops as number) + ft.flops,
            tokens: (base.tokens as number) + ft.tokens,
            wall_seconds: (base.wall_seconds as number) + ft.seconds,
            seed,
            task: LAMBADA_TASK.lmFineTuned,
            metric,
            value,
            policy: "",
            finetune_loss: "next-token CE",
            finetune_steps: ft.steps,
            finetune_flops: ft.flops,
            finetune_seconds: Number(ft.seconds.toFixed(3)),
          });
        }
        sink.timings.push({
          task: LAMBADA_TASK.lmFineTuned,
          seconds: Number(seconds.toFixed(3)),
          seeds: String(seed),
          train_examples: "",
          dev_examples: scored.n,
          steps: ft.steps,
          note: `LM fine-tune ${ft.tokens} tokens, ${ft.seconds.toFixed(1)} s`,
        });
        console.log(
          `${LAMBADA_TASK.lmFineTuned} seed ${seed} (${ft.steps} steps, ${ft.flops.toExponential(3)} FLOPs, loss ${
            ft.losses[0].toFixed(3)
          } -> ${ft.losses.at(-1)!.toFixed(3)}): ` +
            `acc ${(100 * scored.acc).toFixed(2)}, ppl ${scored.perplexity.toFixed(2)} (${seconds.toFixed(1)} s)`,
        );
        await sink.flush();
      } finally {
        copy.dispose();
      }
    }
  } finally {
    model.dispose();
  }
}

async function main() {
  const { values: v } = parseFlags("evaluate", SPEC);
  if (typeof v.checkpoint !== "string" || v.checkpoint === "") throw new InputError("--checkpoint is required");
  if (typeof v.tasks !== "string") throw new InputError("--tasks is required (e.g. --tasks rte or --tasks lambada)");
  const loss = v.loss as ClassificationLossName;
  if (!Object.hasOwn(GLUE_PROTOCOLS, loss)) {
    throw new InputError(`--loss expects balanced or plain, got ${JSON.stringify(v.loss)}`);
  }
  const protocol = GLUE_PROTOCOLS[loss];
  const seeds = seedListFlag(v.seeds as string);
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const { runs, lambada, notes } = await parseTasks(v.tasks, cacheDir);
  for (const note of notes) console.error(note);
  const evalBatch = integerFlag("eval-batch", v["eval-batch"], 1);
  const glue: GlueSettings = {
    loss,
    epochs: v.epochs === undefined ? protocol.epochs : integerFlag("epochs", v.epochs, 1),
    lr: v.lr === undefined ? protocol.lr : numberFlag("lr", v.lr),
    weightDecay: v["weight-decay"] === undefined ? protocol.weightDecay : numberFlag("weight-decay", v["weight-decay"]),
    batch: v.batch === undefined ? protocol.batch : integerFlag("batch", v.batch, 1),
    evalBatch,
    maxTrain: v["max-train"] === undefined ? undefined : integerFlag("max-train", v["max-train"], 1),
  };
  const lm: LambadaSettings = {
    steps: integerFlag("lm-steps", v["lm-steps"], 0),
    lr: numberFlag("lm-lr", v["lm-lr"]),
    batch: integerFlag("lm-batch", v["lm-batch"], 1),
    seqLen: v["lm-seq-len"] === undefined ? undefined : integerFlag("lm-seq-len", v["lm-seq-len"], 1),
    tokensDir: v.tokens as string | undefined,
    limit: v["lambada-limit"] === undefined ? undefined : integerFlag("lambada-limit", v["lambada-limit"], 1),
    evalBatch,
    ...(v["save-lm-models"] ? { saveModels: true as const } : {}),
  };
  if (runs.length > 0 && lambada) {
    throw new InputError(
      `--tasks mixes GLUE-style tasks (${
        runs.map((r) => r.name).join(", ")
      }), which need an encoder, with lambada, which needs a decoder; evaluate them in two runs`,
    );
  }
  if (runs.length === 0 && !lambada) throw new InputError(`--tasks selects nothing to run (${v.tasks})`);

  // The checkpoint and its tokenizer, checked before any work.
  const purpose = lambada ? "LAMBADA" : `fine-tuning on ${runs.map((r) => r.name).join(", ")}`;
  const { summary, tokenizer, tokenizerFile, trained } = await openCheckpoint(
    v.checkpoint as string,
    v.tokenizer as string | undefined,
    lambada ? "decoder" : "encoder",
    purpose,
  );
  const backend = await initBackend(v.backend as string);

  const settings = {
    checkpoint: { tensorsSha256: summary.meta.tensorsSha256 },
    tokenizerSha256: trained.sha256,
    tasks: lambada ? ["lambada"] : runs.map((r) => r.name),
    seeds,
    glue: lambada ? undefined : glue,
    lm: lambada ? lm : undefined,
    backend,
  };
  const { outDir, hash, tmpDir } = await claimEvalOutput(
    "evaluate",
    `${summary.config.name}-${summary.objective}`,
    settings,
    v.out as string | undefined,
  );
  if (tmpDir === null) {
    console.log(`already evaluated with these settings: ${outDir}`);
    return;
  }
  console.error(
    `evaluate: ${summary.config.name} (${summary.config.arch}, ${summary.objective}) from ${summary.dir}, backend ${backend}, out ${outDir}`,
  );
  const startedAt = new Date().toISOString();
  const sink = new ResultSink(tmpDir);
  try {
    if (lambada) await runLambada(summary, tokenizer, trained, seeds, lm, cacheDir, sink);
    else await runGlue(summary, tokenizer, runs, seeds, glue, cacheDir, sink);
  } catch (e) {
    if (sink.rows.length) console.error(`results so far are in ${tmpDir}`);
    else await Deno.remove(tmpDir, { recursive: true });
    throw e;
  }
  await sink.flush();
  await sink.writeSeedSummary();
  await writeJsonAtomic(join(tmpDir, "evaluate.json"), {
    format: "headless-bench-evaluate/1",
    settings,
    settingsHash: hash,
    checkpointDir: summary.dir,
    tokenizerFile,
    cacheDir,
    startedAt,
    endedAt: new Date().toISOString(),
    notes,
  });
  await Deno.rename(tmpDir, outDir);
  console.log(`results: ${join(outDir, "results.csv")}`);
}

if (import.meta.main) await runMain(main);
