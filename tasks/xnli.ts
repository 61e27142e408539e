/**
 * XNLI for an encoder checkpoint, in the paper's two setups (evals/xnli_stage.ts):
 *
 *   deno task xnli --checkpoint runs/pretrain/RUN/ckpt/frac-1 --setup both --languages paper --seeds 0,1,2
 *   deno task xnli --checkpoint RUN --setup en --languages all --max-train 2000 --epochs 3 --split test
 *
 * `--setup en` fine-tunes on English and scores every language in `--languages` zero-shot; `--setup target`
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
import { initBackend } from "../backends/mod.ts";
import { hashFiles, xnliFiles } from "../pipeline/data_needs.ts";
import { type FlagSpec, integerFlag, numberFlag, oneOfFlag, parseFlags, runMain, seedListFlag } from "../util/cli.ts";
import { sharedFlags } from "../util/flags.ts";

const FLAGS = {
  ...sharedFlags({
    checkpoint: { required: true },
    tokenizer: { defaultHelp: "the one of the checkpoint's token folder" },
    languages: { default: "paper", defaultHelp: `the paper's ${PAPER_XNLI_LANGUAGES.join(",")}; or all` },
    seeds: { default: "0,1,2" },
    loss: { default: "balanced" },
    epochs: { defaultHelp: "10" },
    "max-train": { defaultHelp: "all 15,001" },
    "max-eval": { defaultHelp: "all" },
    lr: { defaultHelp: "balanced 1e-5, plain 5e-6" },
    "weight-decay": { defaultHelp: "balanced 0, plain 0.01" },
    batch: { defaultHelp: "32" },
    "eval-batch": { default: "64" },
    "cache-dir": true,
    backend: { default: "auto" },
    out: { defaultHelp: "runs/xnli/<model>-<objective>-<key>" },
    force: true,
  }),
  setup: { type: "string", default: "both", help: "en (fine-tune on English, zero-shot elsewhere) | target | both" },
  split: { type: "string", default: "dev", help: "dev | test: the split scored" },
} satisfies FlagSpec;

async function main() {
  const { values: v } = parseFlags("xnli", FLAGS);
  const setup = oneOfFlag("setup", v.setup, [...XNLI_SETUPS, "both"]);
  const setups: XnliSetup[] = setup === "both" ? [...XNLI_SETUPS] : [setup];
  const loss = oneOfFlag<ClassificationLossName>("loss", v.loss, ["balanced", "plain"]);
  const protocol = GLUE_PROTOCOLS[loss];
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const spec: XnliSpec = {
    setups,
    langs: parseXnliLanguages(v.languages as string),
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
  const { summary, tokenizerFile } = await openCheckpoint(
    v.checkpoint as string,
    v.tokenizer as string | undefined,
    "encoder",
    "XNLI fine-tuning",
  );
  spec.data = await hashFiles(cacheDir, xnliFiles(spec));
  spec.backend = await initBackend(v.backend as string);
  await buildFromCli(stage, spec, { checkpoint: { dir: summary.dir }, tokenizer: { dir: tokenizerFile } }, {
    out: v.out as string | undefined,
    label: `${summary.config.name}-${summary.objective}`,
    cacheDir,
    force: v.force === true,
  });
}

if (import.meta.main) await runMain(main);
