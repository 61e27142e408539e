/**
 * Pretrains an encoder or decoder with the softmax or CWT objective to a FLOP budget.
 *
 *   deno run -A tasks/pretrain.ts --arch decoder --objective cwt --tokens runs/tokenize/ab12 --budget-flops 1e13
 *
 * Run the same command again to resume a killed run (the output folder is named by the hash of the
 * settings, or given with --out); a folder holding a run with other settings is refused.
 */
import { join } from "node:path";
import { initBackend, loadModelConfig, type ModelConfig } from "../models/mod.ts";
import { InputError } from "../util/errors.ts";
import { integerFlag, numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { formatDuration } from "../train/log.ts";
import { pretrain, type PretrainOptions, runSettings } from "../train/loop.ts";
import type { Arch, Objective } from "../train/model_kit.ts";
import { settingsHash } from "../train/run_manifest.ts";
import { SCHEDULE_KINDS, type ScheduleKind } from "../train/schedule.ts";
import { openTokenFolderSplit, readTokenManifest } from "../train/token_stream.ts";
import { unigramCrossEntropy } from "../evals/unigram.ts";
import { transformerKit } from "../train/transformer_kit.ts";

/** Defaults per architecture, after the paper (BERT-style encoder, Pythia-style decoder) and sized for here. */
const ARCH_DEFAULTS: Record<
  Arch,
  { model: string; lr: number; beta2: number; weightDecay: number; schedule: ScheduleKind; lrFloorFrac: number }
> = {
  encoder: { model: "enc-small", lr: 1e-4, beta2: 0.999, weightDecay: 0.01, schedule: "linear", lrFloorFrac: 0 },
  decoder: { model: "dec-small", lr: 1e-3, beta2: 0.95, weightDecay: 0.1, schedule: "cosine", lrFloorFrac: 0.1 },
};

const SPEC = {
  arch: { type: "string", help: "encoder | decoder (picks enc-small / dec-small unless --model is given)" },
  model: { type: "string", help: "model config name (models/configs) or JSON path" },
  objective: { type: "string", help: "softmax | cwt (required)" },
  tokens: { type: "string", help: "token folder made by tasks/tokenize.ts (required)" },
  "budget-flops": { type: "string", help: "training FLOP budget, e.g. 1e12 or 1.5e13 (required)" },
  batch: { type: "string", default: "16", help: "sequences per micro-batch" },
  accum: { type: "string", default: "1", help: "micro-batches per optimizer step" },
  "seq-len": { type: "string", help: "tokens per sequence (default: the model's context)" },
  lr: { type: "string", help: "peak learning rate (default: encoder 1e-4, decoder 1e-3)" },
  "warmup-frac": { type: "string", default: "0.05", help: "share of the planned steps spent warming up" },
  schedule: { type: "string", help: `${SCHEDULE_KINDS.join(" | ")} (default: encoder linear, decoder cosine)` },
  "lr-floor-frac": {
    type: "string",
    help: "rate at the end of decay, as a fraction of --lr (default: encoder 0, decoder 0.1)",
  },
  "weight-decay": { type: "string", help: "AdamW weight decay (default: encoder 0.01, decoder 0.1)" },
  clip: { type: "string", default: "1", help: "global gradient-norm clip (0: off)" },
  seed: { type: "string", default: "0", help: "seed of the weights, data order and masks" },
  backend: {
    type: "string",
    default: "auto",
    help:
      "auto | tensorflow | wasm-blas | wasm | cpu (auto: tensorflow if installed, else wasm-blas if OpenBLAS is, else wasm)",
  },
  "eval-batches": { type: "string", default: "8", help: "validation micro-batches per evaluation" },
  out: { type: "string", help: "output folder (default runs/pretrain/<model>-<objective>-<settings hash>)" },
  "log-every": { type: "string", default: "10", help: "steps between train_log.csv rows and progress lines" },
  "ckpt-every": { type: "string", default: "100", help: "steps between rolling checkpoints (ckpt/latest)" },
} as const;

function oneOf<T extends string>(flag: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    throw new InputError(`--${flag} expects one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function required(flag: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new InputError(`--${flag} is required`);
  return value;
}

async function main() {
  const { values: v } = parseFlags("pretrain", SPEC);
  if (v.arch === undefined && v.model === undefined) {
    throw new InputError("give --arch encoder|decoder or --model NAME");
  }
  const archFlag = v.arch === undefined ? undefined : oneOf<Arch>("arch", v.arch, ["encoder", "decoder"]);
  const objective = oneOf<Objective>("objective", v.objective, ["softmax", "cwt"]);
  const tokensDir = required("tokens", v.tokens);
  const budgetFlops = numberFlag("budget-flops", required("budget-flops", v["budget-flops"]));
  const { manifest, sha256: tokensSha } = await readTokenManifest(tokensDir);
  const modelName = (v.model as string | undefined) ?? ARCH_DEFAULTS[archFlag!].model;
  const overrides: Partial<ModelConfig> = { vocabSize: manifest.vocabSize, ...(archFlag ? { arch: archFlag } : {}) };
  const config = loadModelConfig(modelName, overrides);
  const d = ARCH_DEFAULTS[config.arch];
  const backend = await initBackend(v.backend as string);

  const opts: PretrainOptions<ModelConfig> = {
    config,
    objective,
    tokensDir,
    budgetFlops,
    batch: integerFlag("batch", v.batch),
    accum: integerFlag("accum", v.accum),
    seqLen: v["seq-len"] === undefined ? config.context : integerFlag("seq-len", v["seq-len"]),
    lr: v.lr === undefined ? d.lr : numberFlag("lr", v.lr),
    warmupFrac: numberFlag("warmup-frac", v["warmup-frac"]),
    schedule: v.schedule === undefined ? d.schedule : oneOf("schedule", v.schedule, SCHEDULE_KINDS),
    lrFloorFrac: v["lr-floor-frac"] === undefined ? d.lrFloorFrac : numberFlag("lr-floor-frac", v["lr-floor-frac"]),
    weightDecay: v["weight-decay"] === undefined ? d.weightDecay : numberFlag("weight-decay", v["weight-decay"]),
    beta1: 0.9,
    beta2: d.beta2,
    eps: 1e-8,
    clip: numberFlag("clip", v.clip),
    seed: integerFlag("seed", v.seed),
    backend,
    evalBatches: integerFlag("eval-batches", v["eval-batches"]),
    outDir: "",
    logEvery: integerFlag("log-every", v["log-every"]),
    ckptEvery: integerFlag("ckpt-every", v["ckpt-every"]),
  };
  opts.outDir = (v.out as string | undefined) ??
    join(REPO_ROOT, "runs", "pretrain", `${config.name}-${objective}-${settingsHash(runSettings(opts, tokensSha))}`);

  const unigram = await unigramBaseline(tokensDir, manifest.vocabSize);
  console.error(
    `pretrain: ${config.name} (${config.arch}) ${objective}, budget ${
      budgetFlops.toExponential(3)
    } FLOPs, backend ${backend}, out ${opts.outDir}`,
  );
  const result = await pretrain(opts, transformerKit);
  const c = result.counters;
  console.log(
    `${result.status}: ${c.step} steps (planned ${result.plannedSteps}), ${c.tokens} tokens, ${
      c.flops.toExponential(3)
    } FLOPs, ` +
      `${formatDuration(c.seconds)}, ${(c.tokens / Math.max(c.seconds, 1e-9)).toFixed(1)} tokens/s` +
      (result.resumedFromStep ? ` (resumed from step ${result.resumedFromStep})` : ""),
  );
  for (const r of result.checkpoints) {
    console.log(
      `  ${(r.fraction * 100).toFixed(1).padStart(5)}%  step ${r.step}  tokens ${r.tokens}  valid loss ${
        r.valid_loss.toFixed(4)
      }  ${r.checkpoint}`,
    );
  }
  console.log(
    `unigram baseline on the valid split: ${unigram.toFixed(4)} nats/token (perplexity ${
      Math.exp(unigram).toFixed(1)
    })` +
      (objective === "softmax" && config.arch === "decoder" ? "; compare the decoder's valid loss" : ""),
  );
}

/** Cross-entropy of the valid split under the train split's smoothed unigram frequencies. */
async function unigramBaseline(tokensDir: string, vocabSize: number): Promise<number> {
  const [train, valid] = await Promise.all([
    openTokenFolderSplit(tokensDir, "train"),
    openTokenFolderSplit(tokensDir, "valid"),
  ]);
  return unigramCrossEntropy(train.read(0, train.length), valid.read(0, valid.length), vocabSize);
}

if (import.meta.main) await runMain(main);
