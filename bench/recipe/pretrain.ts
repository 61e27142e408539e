/**
 * Pretraining for the recipe sweep (notes/recipe.md): train/loop.ts's `pretrain` with two knobs the
 * stage spec does not have yet, a budget in tokens and the encoder's masking rate, plus a random-init
 * "run" that writes the initial weights as its one checkpoint (frac-1) for the reference rows.
 *
 *   deno run -A bench/recipe/pretrain.ts --model enc-small --objective softmax --tokens TOKENS \
 *     --budget-tokens 2e6 --lr 1e-3 --mask-rate 0.4 --out runs/recipe/pt/NAME
 *
 * The budget is `ceil(tokens / (batch·seqLen))` steps. An encoder's FLOPs in the logs and checkpoints are
 * nominal, every step counted as if 15% of its positions were scored (the loop plans its schedule that
 * way), so that the run ends after exactly that many steps; token counts are exact.
 */
import { join } from "node:path";
import { loadModelConfig, makeEncoderBatch, MASKING } from "../../models/mod.ts";
import { initBackend } from "../../backends/mod.ts";
import { BatchStream } from "../../train/batch_stream.ts";
import { writeInitialCheckpoint } from "../../train/init_stage.ts";
import { pretrain, type PretrainOptions, runSettings } from "../../train/loop.ts";
import type { Objective } from "../../train/model_kit.ts";
import { adamWConstants } from "../../train/optimizer_step.ts";
import { SCHEDULE_KINDS } from "../../train/schedule.ts";
import { openTokenFolderSplit, readTokenManifest } from "../../train/token_stream.ts";
import { transformerKit } from "../../train/transformer_kit.ts";
import { integerFlag, numberFlag, oneOfFlag, parseFlags, requiredFlag, runMain } from "../../util/cli.ts";
import { InputError } from "../../util/errors.ts";
import { OBJECTIVES } from "../../models/objectives.ts";

const FLAGS = {
  model: { type: "string", help: "model config name (models/configs) or JSON path (required)" },
  objective: { type: "string", help: "softmax | cwt (required)" },
  tokens: { type: "string", help: "token folder (required)" },
  "budget-tokens": { type: "string", help: "training tokens, e.g. 2e6 (required unless --random-init)" },
  batch: { type: "string", default: "16", help: "sequences per step" },
  "seq-len": { type: "string", help: "tokens per sequence (default: the model's context)" },
  lr: { type: "string", help: "peak learning rate (required unless --random-init)" },
  "mask-rate": { type: "string", default: String(MASKING.select), help: "encoder masking (selection) rate" },
  "warmup-frac": { type: "string", default: "0.05", help: "share of the steps spent warming up" },
  schedule: { type: "string", help: `${SCHEDULE_KINDS.join(" | ")} (required unless --random-init)` },
  "lr-floor-frac": { type: "string", default: "0", help: "rate at the end of decay, as a fraction of --lr" },
  "weight-decay": { type: "string", default: "0.01", help: "AdamW weight decay" },
  seed: { type: "string", default: "0", help: "seed of the weights, data order and masks" },
  fractions: { type: "string", default: "1", help: "budget fractions that get a checkpoint (include 1)" },
  "valid-batches": { type: "string", default: "16", help: "validation batches per evaluation" },
  "log-every": { type: "string", default: "20", help: "steps between train_log.csv rows" },
  "random-init": { type: "boolean", help: "write the untrained weights as ckpt/frac-1 and stop" },
  out: { type: "string", help: "output folder (required)" },
} as const;

async function main() {
  const { values: v } = parseFlags("bench/recipe/pretrain", FLAGS);
  const tokensDir = requiredFlag("tokens", v.tokens);
  const out = requiredFlag("out", v.out);
  const { manifest, sha256 } = await readTokenManifest(tokensDir);
  const config = loadModelConfig(requiredFlag("model", v.model), { vocabSize: manifest.vocabSize });
  const objective = oneOfFlag<Objective>("objective", v.objective, OBJECTIVES);
  const maskRate = numberFlag("mask-rate", v["mask-rate"]);
  if (!(maskRate > 0 && maskRate < 1)) throw new InputError(`--mask-rate must lie in (0, 1), got ${maskRate}`);
  const batch = integerFlag("batch", v.batch, 1);
  const seqLen = v["seq-len"] === undefined ? config.context : integerFlag("seq-len", v["seq-len"], 3);
  // Every encoder step is counted at the loop's planned shape (15% of batch·(seqLen-2) scored), so a
  // run takes exactly `steps` steps whatever the masking rate and however many positions a batch drew.
  const nominalScored = (b: number, t: number) => Math.round(MASKING.select * b * (t - 2));
  const kit = {
    ...transformerKit,
    makeEncoderBatch: (rows: Int32Array[], rng: Parameters<typeof makeEncoderBatch>[1], vocab: number) =>
      makeEncoderBatch(rows, rng, vocab, maskRate),
    stepFlops: (...[c, o, shape]: Parameters<typeof transformerKit.stepFlops>) =>
      transformerKit.stepFlops(c, o, {
        ...shape,
        scored: c.arch === "encoder" ? nominalScored(shape.batch, shape.seqLen) : shape.scored,
      }),
  };
  const scored = config.arch === "decoder" ? batch * seqLen : nominalScored(batch, seqLen);
  const stepFlops = transformerKit.stepFlops(config, objective, { batch, seqLen, scored }).total;
  const randomInit = v["random-init"] === true;
  const steps = randomInit ? 1 : Math.ceil(numberFlag("budget-tokens", v["budget-tokens"]) / (batch * seqLen));
  const opts: PretrainOptions = {
    config,
    objective,
    tokensDir,
    budgetFlops: steps * stepFlops,
    batch,
    accum: 1,
    seqLen,
    lr: randomInit ? 0 : numberFlag("lr", requiredFlag("lr", v.lr)),
    warmupFrac: numberFlag("warmup-frac", v["warmup-frac"]),
    schedule: randomInit ? "constant" : oneOfFlag("schedule", requiredFlag("schedule", v.schedule), SCHEDULE_KINDS),
    lrFloorFrac: numberFlag("lr-floor-frac", v["lr-floor-frac"]),
    weightDecay: numberFlag("weight-decay", v["weight-decay"]),
    ...adamWConstants(config.arch),
    clip: 1,
    seed: integerFlag("seed", v.seed, 0),
    backend: await initBackend("auto"),
    evalBatches: integerFlag("valid-batches", v["valid-batches"], 1),
    fractions: (v.fractions as string).split(",").map((f) => numberFlag("fractions", f)),
    outDir: out,
    logEvery: integerFlag("log-every", v["log-every"], 1),
    ckptEvery: 0,
  };
  if (randomInit) {
    await writeRandomInit(opts, sha256);
    return;
  }
  const result = await pretrain(opts, kit);
  for (const c of result.checkpoints) {
    console.log(`${c.fraction}\t${c.step}\t${c.tokens}\t${c.seconds}\t${c.valid_loss.toFixed(4)}`);
  }
}

/** ckpt/frac-1 holding the weights `pretrain` would start from, with zero counters. */
async function writeRandomInit(opts: PretrainOptions, tokensSha256: string): Promise<void> {
  const model = transformerKit.createModel(
    opts.config as Parameters<typeof transformerKit.createModel>[0],
    opts.seed,
    opts.objective,
  );
  const train = await openTokenFolderSplit(opts.tokensDir, "train");
  const data = new BatchStream(transformerKit, opts.config.arch, train, {
    seqLen: opts.seqLen,
    batch: opts.batch,
    seed: opts.seed,
    vocabSize: opts.config.vocabSize,
  });
  const settings = { ...runSettings(opts, tokensSha256), lr: 0, randomInit: true };
  const dir = await writeInitialCheckpoint(join(opts.outDir, "ckpt"), "frac-1", model.params, data.state(), {
    settingsHash: "random-init",
    fraction: 1,
    settings,
  });
  console.log(`random-init weights of ${opts.config.name} (seed ${opts.seed}) in ${dir}`);
}

if (import.meta.main) await runMain(main);
