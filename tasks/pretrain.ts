/**
 * Pretrains an encoder or decoder with the softmax or CWT objective to a FLOP budget (train/pretrain_stage.ts).
 *
 *   deno task pretrain --arch decoder --objective cwt --tokens runs/tokenize/default-ab12 --budget-flops 1e13
 *
 * Run the same command again to resume a killed run (the output folder is named by the run's key, or given
 * with --out); a folder holding a run with other settings is refused (--force replaces it).
 */
import { buildFromCli } from "../artifacts/cli.ts";
import { initBackend } from "../models/mod.ts";
import { type PretrainSpec, specConfig, stage } from "../train/pretrain_stage.ts";
import { DEFAULT_FRACTIONS } from "../train/loop.ts";
import type { Arch, Objective } from "../train/model_kit.ts";
import { adamWConstants } from "../train/optimizer_step.ts";
import { SCHEDULE_KINDS, type ScheduleKind } from "../train/schedule.ts";
import { readTokenManifest } from "../train/token_stream.ts";
import { integerFlag, numberFlag, oneOfFlag, parseFlags, requiredFlag, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { ARCHS } from "../models/config.ts";
import { OBJECTIVES } from "../models/objectives.ts";

/** Defaults per architecture, after the paper (BERT-style encoder, Pythia-style decoder) and sized for here. */
const ARCH_DEFAULTS: Record<
  Arch,
  { model: string; lr: number; weightDecay: number; schedule: ScheduleKind; lrFloorFrac: number }
> = {
  encoder: { model: "enc-small", lr: 1e-4, weightDecay: 0.01, schedule: "linear", lrFloorFrac: 0 },
  decoder: { model: "dec-small", lr: 1e-3, weightDecay: 0.1, schedule: "cosine", lrFloorFrac: 0.1 },
};

const FLAGS = {
  arch: { type: "string", help: "encoder | decoder (picks enc-small / dec-small unless --model is given)" },
  model: { type: "string", help: "model config name (models/configs) or JSON path" },
  objective: { type: "string", help: "softmax | cwt (required)" },
  tokens: { type: "string", help: "token folder made by `deno task tokenize` (required)" },
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
  fractions: {
    type: "string",
    default: DEFAULT_FRACTIONS.join(","),
    help: "budget fractions that get a checkpoint (include 1)",
  },
  backend: { type: "string", default: "auto", help: "auto | tensorflow | wasm-blas | wasm | cpu" },
  "valid-batches": { type: "string", default: "8", help: "validation micro-batches per evaluation" },
  "log-every": { type: "string", default: "10", help: "steps between train_log.csv rows and progress lines" },
  "ckpt-every": { type: "string", default: "100", help: "steps between rolling checkpoints (ckpt/latest)" },
  out: { type: "string", help: "output folder (default runs/pretrain/<model>-<objective>-<key>)" },
  force: { type: "boolean", help: "replace the output folder if it holds another run" },
} as const;

async function main() {
  const { values: v, positionals } = parseFlags("pretrain", FLAGS);
  if (positionals.length) throw new InputError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (v.arch === undefined && v.model === undefined) {
    throw new InputError("give --arch encoder|decoder or --model NAME");
  }
  const tokens = requiredFlag("tokens", v.tokens);
  const { manifest } = await readTokenManifest(tokens);
  const archFlag = v.arch === undefined ? undefined : oneOfFlag<Arch>("arch", v.arch, ARCHS);
  const model = (v.model as string | undefined) ?? ARCH_DEFAULTS[archFlag!].model;
  const arch = archFlag ?? specConfig({ model, overrides: {} } as PretrainSpec, manifest.vocabSize).arch;
  const d = ARCH_DEFAULTS[arch];
  const spec: PretrainSpec = {
    model,
    overrides: {},
    arch,
    objective: oneOfFlag<Objective>("objective", v.objective, OBJECTIVES),
    budgetFlops: numberFlag("budget-flops", requiredFlag("budget-flops", v["budget-flops"])),
    batch: integerFlag("batch", v.batch, 1),
    accum: integerFlag("accum", v.accum, 1),
    seqLen: v["seq-len"] === undefined
      ? specConfig({ model, overrides: {}, arch } as PretrainSpec, manifest.vocabSize).context
      : integerFlag("seq-len", v["seq-len"], 1),
    lr: v.lr === undefined ? d.lr : numberFlag("lr", v.lr),
    warmupFrac: numberFlag("warmup-frac", v["warmup-frac"]),
    schedule: v.schedule === undefined ? d.schedule : oneOfFlag("schedule", v.schedule, SCHEDULE_KINDS),
    lrFloorFrac: v["lr-floor-frac"] === undefined ? d.lrFloorFrac : numberFlag("lr-floor-frac", v["lr-floor-frac"]),
    weightDecay: v["weight-decay"] === undefined ? d.weightDecay : numberFlag("weight-decay", v["weight-decay"]),
    ...adamWConstants(arch),
    clip: numberFlag("clip", v.clip),
    seed: integerFlag("seed", v.seed, 0),
    backend: await initBackend(v.backend as string),
    evalBatches: integerFlag("valid-batches", v["valid-batches"], 1),
    fractions: (v.fractions as string).split(",").map((f) => numberFlag("fractions", f)),
    logEvery: integerFlag("log-every", v["log-every"], 1),
    ckptEvery: integerFlag("ckpt-every", v["ckpt-every"], 0),
  };
  const { record } = await buildFromCli(stage, spec, { tokens: { dir: tokens } }, {
    out: v.out as string | undefined,
    label: `${model}-${spec.objective}`,
    force: v.force === true,
    progress: { fraction: () => {}, say: (t) => console.log(t) },
  });
  const details = record.details as {
    checkpoints: { fraction: number; step: number; valid_loss: number }[];
    unigramValidLoss: number;
  };
  for (const c of details.checkpoints) {
    console.log(
      `  ${(c.fraction * 100).toFixed(1).padStart(5)}%  step ${c.step}  valid loss ${c.valid_loss.toFixed(4)}`,
    );
  }
  console.log(
    `unigram baseline on the valid split: ${details.unigramValidLoss.toFixed(4)} nats/token ` +
      `(perplexity ${Math.exp(details.unigramValidLoss).toFixed(1)})`,
  );
}

if (import.meta.main) await runMain(main);
