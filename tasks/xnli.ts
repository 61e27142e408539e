/**
 * XNLI for an encoder checkpoint, in the paper's two setups (evals/xnli_stage.ts):
 *
 *   deno task xnli --checkpoint runs/pretrain/RUN/ckpt/frac-1 --setup both --langs paper --seeds 0,1,2
 *   deno task xnli --checkpoint RUN --setup en --langs all --max-train 2000 --epochs 3 --split test
 *
 * `--setup en` fine-tunes on English and scores every language in `--langs` zero-shot; `--setup target`
 * fine-tunes on each language's translate-train set and scores that language (languages without one,
 * e.g. hi, are reported and skipped); `both` runs the two.
 */
import { buildFromCli } from "../artifacts/cli.ts";
import { resolveCacheDir } from "../data/cache.ts";
import type { ClassificationLossName } from "../evals/balanced_ce.ts";
import { openCheckpoint } from "../evals/eval_run.ts";
import { GLUE_PROTOCOLS } from "../evals/finetune_glue.ts";
import { PAPER_XNLI_LANGUAGES, parseXnliLanguages, XNLI_SETUPS, type XnliSetup } from "../evals/xnli.ts";
import { stage, type XnliSpec } from "../evals/xnli_stage.ts";
import { initBackend } from "../models/mod.ts";
import { hashFiles, xnliFiles } from "../pipeline/data_needs.ts";
import { integerFlag, numberFlag, oneOfFlag, parseFlags, requiredFlag, runMain, seedListFlag } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

const FLAGS = {
  checkpoint: {
    type: "string",
    help: "encoder checkpoint folder (ckpt/frac-F) or pretraining run folder (its newest checkpoint) (required)",
  },
  tokenizer: { type: "string", help: "tokenizer.json (default: the one of the checkpoint's token folder)" },
  setup: { type: "string", default: "both", help: "en (fine-tune on English, zero-shot elsewhere) | target | both" },
  langs: {
    type: "string",
    default: "paper",
    help: `comma list of XNLI languages, or paper (${PAPER_XNLI_LANGUAGES.join(",")}) or all`,
  },
  split: { type: "string", default: "dev", help: "dev | test: the split scored" },
  seeds: { type: "string", default: "0,1,2", help: "fine-tuning seeds, comma separated" },
  loss: {
    type: "string",
    default: "balanced",
    help: "balanced | plain (classification loss; picks the protocol's defaults)",
  },
  epochs: { type: "string", help: "epochs (default 10)" },
  "max-train": {
    type: "string",
    help: "train on a seeded subset of at most N examples per language (default all 15,001)",
  },
  "max-eval": { type: "string", help: "score a fixed seeded subset of at most N examples per language (default all)" },
  lr: { type: "string", help: "peak learning rate (default: balanced 1e-5, plain 5e-6)" },
  "weight-decay": { type: "string", help: "AdamW weight decay (default: balanced 0, plain 0.01)" },
  batch: { type: "string", help: "training batch (default 32)" },
  "eval-batch": { type: "string", default: "64", help: "examples per evaluation forward pass" },
  "cache-dir": {
    type: "string",
    help: "evaluation-data cache folder (default $HEADLESS_BENCH_DATA, else ~/.cache/headless-bench/data)",
  },
  backend: { type: "string", default: "auto", help: "auto | tensorflow | wasm-blas | wasm | cpu" },
  out: { type: "string", help: "output folder (default runs/xnli/<model>-<objective>-<key>)" },
  force: { type: "boolean", help: "replace the output folder if it holds another artifact" },
} as const;

async function main() {
  const { values: v, positionals } = parseFlags("xnli", FLAGS);
  if (positionals.length) {
    throw new InputError(`unexpected argument(s) ${positionals.join(" ")}; every input is a --flag`);
  }
  const setup = oneOfFlag("setup", v.setup, [...XNLI_SETUPS, "both"]);
  const setups: XnliSetup[] = setup === "both" ? [...XNLI_SETUPS] : [setup];
  const loss = oneOfFlag<ClassificationLossName>("loss", v.loss, ["balanced", "plain"]);
  const protocol = GLUE_PROTOCOLS[loss];
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const spec: XnliSpec = {
    setups,
    langs: parseXnliLanguages(v.langs as string),
    split: oneOfFlag("split", v.split, ["dev", "test"]),
    seeds: seedListFlag(v.seeds as string),
    finetune: {
      loss,
      epochs: v.epochs === undefined ? protocol.epochs : integerFlag("epochs", v.epochs, 1),
      lr: v.lr === undefined ? protocol.lr : numberFlag("lr", v.lr),
      weightDecay: v["weight-decay"] === undefined
        ? protocol.weightDecay
        : numberFlag("weight-decay", v["weight-decay"]),
      batch: v.batch === undefined ? protocol.batch : integerFlag("batch", v.batch, 1),
      evalBatch: integerFlag("eval-batch", v["eval-batch"], 1),
      maxTrain: v["max-train"] === undefined ? null : integerFlag("max-train", v["max-train"], 1),
    },
    maxEval: v["max-eval"] === undefined ? null : integerFlag("max-eval", v["max-eval"], 1),
    data: {},
    backend: "",
  };
  spec.data = await hashFiles(cacheDir, xnliFiles(spec));
  const { summary, tokenizerFile } = await openCheckpoint(
    requiredFlag("checkpoint", v.checkpoint),
    v.tokenizer as string | undefined,
    "encoder",
    "XNLI fine-tuning",
  );
  spec.backend = await initBackend(v.backend as string);
  await buildFromCli(stage, spec, { checkpoint: { dir: summary.dir }, tokenizer: { dir: tokenizerFile } }, {
    out: v.out as string | undefined,
    label: `${summary.config.name}-${summary.objective}`,
    cacheDir,
    force: v.force === true,
  });
}

if (import.meta.main) await runMain(main);
