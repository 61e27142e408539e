/**
 * Evaluates a pretraining checkpoint: GLUE-style fine-tuning of an encoder (evals/glue_stage.ts), or LAMBADA
 * for a decoder (evals/lambada_stage.ts).
 *
 *   deno task evaluate --checkpoint runs/pretrain/RUN/ckpt/frac-1 --tasks rte,stsb --seeds 0,1,2
 *   deno task evaluate --checkpoint runs/pretrain/RUN --tasks lambada --lm-steps 200
 *
 * `--tasks` takes GLUE task names (cola sst2 mrpc stsb qqp mnli qnli rte wnli), `glue` (every GLUE task whose
 * files the data cache holds), `lambada`, or a custom task spec JSON file (data/task_spec.ts). The output
 * folder gets results.csv, seed_summary.csv, timings.csv and the artifact record.
 */
import { buildFromCli } from "../artifacts/cli.ts";
import { resolveCacheDir } from "../data/cache.ts";
import { LAMBADA_PATH } from "../data/lambada.ts";
import type { ClassificationLossName } from "../evals/balanced_ce.ts";
import { openCheckpoint } from "../evals/eval_run.ts";
import { GLUE_PROTOCOLS } from "../evals/finetune_glue.ts";
import { type GlueSpec, resolveTaskList, stage as glueStage } from "../evals/glue_stage.ts";
import { type LambadaSpec, stage as lambadaStage } from "../evals/lambada_stage.ts";
import { initBackend } from "../backends/mod.ts";
import { hashFiles } from "../pipeline/data_needs.ts";
import { MAX_DROPOUT } from "../pipeline/profile.ts";
import { type FlagSpec, integerFlag, numberFlag, oneOfFlag, parseFlags, runMain, seedListFlag } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { sharedFlags } from "../util/flags.ts";

const FLAGS = {
  ...sharedFlags({
    checkpoint: { required: true },
    tokenizer: { defaultHelp: "the one of the checkpoint's token folder" },
    seeds: { default: "0,1,2" },
    loss: { default: "balanced" },
    epochs: { defaultHelp: "10" },
    "max-train": { defaultHelp: "all; dev sets are always whole" },
    lr: { defaultHelp: "balanced 1e-5, plain 5e-6" },
    "weight-decay": { defaultHelp: "balanced 0, plain 0.01" },
    batch: { defaultHelp: "32" },
    "eval-batch": { default: "64" },
    "lm-steps": { default: "0" },
    "lm-lr": { default: "1e-4" },
    "lm-batch": { default: "8" },
    "lm-seq-len": { defaultHelp: "the model's context" },
    tokens: { defaultHelp: "for LM fine-tuning, the checkpoint's" },
    "max-eval": { defaultHelp: "all 5,153 LAMBADA passages" },
    "cache-dir": true,
    backend: { default: "auto" },
    out: { defaultHelp: "runs/<glue|lambada>/<model>-<objective>-<key>" },
    force: true,
  }),
  tasks: {
    type: "string",
    required: true,
    help: "comma list: cola,sst2,mrpc,stsb,qqp,mnli,qnli,rte,wnli | glue | lambada | SPEC.json",
  },
  dropout: {
    type: "string",
    help: "dropout while fine-tuning GLUE tasks, e.g. 0.1 as BERT (default 0)",
  },
  "allow-outside": {
    type: "boolean",
    help: "let a task spec .json name files outside its folder (absolute paths, ..)",
  },
  "save-lm-models": {
    type: "boolean",
    help: "keep each LM-fine-tuned decoder as a checkpoint folder lm-finetuned/seed-N (for deno task export)",
  },
} satisfies FlagSpec;

async function main() {
  const { values: v } = parseFlags("evaluate", FLAGS);
  const dropout = dropoutField(v.dropout as string | undefined);
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const { refs, inputs, files, lambada } = await resolveTaskList(
    v.tasks as string,
    cacheDir,
    v["allow-outside"] === true,
  );
  const loss = oneOfFlag<ClassificationLossName>("loss", v.loss, ["balanced", "plain"]);
  const protocol = GLUE_PROTOCOLS[loss];
  const seeds = seedListFlag(v.seeds as string);
  const evalBatch = integerFlag("eval-batch", v["eval-batch"], 1);
  const { summary, tokenizerFile } = await openCheckpoint(
    v.checkpoint as string,
    v.tokenizer as string | undefined,
    lambada ? "decoder" : "encoder",
    lambada ? "LAMBADA" : "GLUE fine-tuning",
  );
  const backend = await initBackend(v.backend as string);
  Object.assign(inputs, { checkpoint: { dir: summary.dir }, tokenizer: { dir: tokenizerFile } });
  const build = {
    out: v.out as string | undefined,
    label: `${summary.config.name}-${summary.objective}`,
    cacheDir,
    force: v.force === true,
  };
  if (lambada) {
    if (v.tokens !== undefined) inputs.lmTokens = { dir: v.tokens as string };
    const spec: LambadaSpec = {
      seeds,
      lmSteps: integerFlag("lm-steps", v["lm-steps"], 0),
      lmLr: numberFlag("lm-lr", v["lm-lr"]),
      lmBatch: integerFlag("lm-batch", v["lm-batch"], 1),
      lmSeqLen: v["lm-seq-len"] === undefined ? null : integerFlag("lm-seq-len", v["lm-seq-len"], 1),
      limit: v["max-eval"] === undefined ? null : integerFlag("max-eval", v["max-eval"], 1),
      evalBatch,
      saveModels: v["save-lm-models"] === true,
      data: await hashFiles(cacheDir, [LAMBADA_PATH]),
      backend,
    };
    if (spec.lmSteps > 0 && summary.objective !== "cwt") {
      console.error(
        `note: --lm-steps applies to headless (CWT) decoders only; the ${summary.objective} checkpoint is scored as is`,
      );
    }
    await buildFromCli(lambadaStage, spec, inputs, build);
    return;
  }
  const spec: GlueSpec = {
    tasks: refs,
    seeds,
    loss,
    epochs: v.epochs === undefined ? protocol.epochs : integerFlag("epochs", v.epochs, 1),
    lr: v.lr === undefined ? protocol.lr : numberFlag("lr", v.lr),
    weightDecay: v["weight-decay"] === undefined ? protocol.weightDecay : numberFlag("weight-decay", v["weight-decay"]),
    batch: v.batch === undefined ? protocol.batch : integerFlag("batch", v.batch, 1),
    evalBatch,
    maxTrain: v["max-train"] === undefined ? null : integerFlag("max-train", v["max-train"], 1),
    ...dropout,
    data: await hashFiles(cacheDir, [...new Set(files)]),
    backend,
  };
  await buildFromCli(glueStage, spec, inputs, build);
}

/** The spec's dropout field (the bounds of a profile's glue.dropout): absent at 0 (so specs without dropout keep their keys), else the rate. */
function dropoutField(flag: string | undefined): { dropout?: number } {
  if (flag === undefined) return {};
  const rate = numberFlag("dropout", flag);
  if (!(rate >= 0 && rate <= MAX_DROPOUT)) {
    throw new InputError(`--dropout must lie in [0, ${MAX_DROPOUT}], got ${flag}`);
  }
  return rate > 0 ? { dropout: rate } : {};
}

if (import.meta.main) await runMain(main);
