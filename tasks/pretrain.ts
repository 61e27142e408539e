/**
 * Pretrains an encoder or decoder with the softmax or CWT objective to a FLOP budget (train/pretrain_stage.ts).
 *
 *   deno task pretrain --arch decoder --objective cwt --tokens runs/tokenize/default-ab12 --budget-flops 1e13
 *
 * Run the same command again to resume a killed run (the output folder is named by the run's key, or given
 * with --out); a folder holding a run with other settings is refused (--force replaces it).
 */
import { buildFromCli } from "../artifacts/cli.ts";
import { initBackend } from "../backends/mod.ts";
import { type PretrainSpec, specConfig, stage } from "../train/pretrain_stage.ts";
import { DEFAULT_FRACTIONS } from "../train/loop.ts";
import type { Arch, Objective } from "../train/model_kit.ts";
import { adamWConstants } from "../train/optimizer_step.ts";
import { SCHEDULE_KINDS, type ScheduleKind } from "../train/schedule.ts";
import { readTokenManifest } from "../train/token_stream.ts";
import { type FlagSpec, integerFlag, numberFlag, oneOfFlag, parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { sharedFlags } from "../util/flags.ts";
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
  ...sharedFlags({
    model: { defaultHelp: "enc-small or dec-small after --arch" },
    tokens: { required: true },
    batch: { default: "16" },
    "seq-len": { defaultHelp: "the model's context" },
    lr: { defaultHelp: "encoder 1e-4, decoder 1e-3" },
    "weight-decay": { defaultHelp: "encoder 0.01, decoder 0.1" },
    seed: { default: "0" },
    backend: { default: "auto" },
    "valid-batches": { default: "8" },
    out: { defaultHelp: "runs/pretrain/<model>-<objective>-<key>" },
    force: true,
  }),
  arch: { type: "string", help: "encoder | decoder (picks enc-small / dec-small unless --model is given)" },
  objective: { type: "string", required: true, help: "softmax | cwt" },
  "budget-flops": { type: "string", required: true, help: "training FLOP budget, e.g. 1e12 or 1.5e13" },
  accum: { type: "string", default: "1", help: "micro-batches per optimizer step" },
  "warmup-frac": { type: "string", default: "0.05", help: "share of the planned steps spent warming up" },
  schedule: { type: "string", help: SCHEDULE_KINDS.join(" | "), defaultHelp: "encoder linear, decoder cosine" },
  "lr-floor-frac": {
    type: "string",
    help: "rate at the end of decay, as a fraction of --lr",
    defaultHelp: "encoder 0, decoder 0.1",
  },
  clip: { type: "string", default: "1", help: "global gradient-norm clip (0: off)" },
  fractions: {
    type: "string",
    default: DEFAULT_FRACTIONS.join(","),
    help: "budget fractions that get a checkpoint (include 1)",
  },
  "log-every": { type: "string", default: "10", help: "steps between train_log.csv rows and progress lines" },
  "ckpt-every": { type: "string", default: "100", help: "steps between rolling checkpoints (ckpt/latest)" },
} satisfies FlagSpec;

async function main() {
  const { values: v } = parseFlags("pretrain", FLAGS);
  if (v.arch === undefined && v.model === undefined) {
    throw new InputError("give --arch encoder|decoder or --model NAME");
  }
  const tokens = v.tokens as string;
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
    budgetFlops: numberFlag("budget-flops", v["budget-flops"]),
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
