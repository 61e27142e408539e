/**
 * The one optimizer step (train/optimizer_step.ts): the same numbers as clipping then AdamW at the
 * schedule's rate; a non-finite loss, gradient norm or weight stops it with a TrainingDiverged naming the
 * step. Then the stop in each loop: pretraining (forced NaN loss mid-run, a one-step budget at a huge
 * learning rate, the CLI's one line and exit code), GLUE fine-tuning and LM fine-tuning.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import type { Example, TaskSpec } from "../data/task_spec.ts";
import { finetuneTask } from "../evals/finetune_glue.ts";
import { addLmHeadFromEmbedding, lmFinetune } from "../evals/lm_finetune.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig } from "../models/config.ts";
import { makeDecoderBatch } from "../models/batches.ts";
import { createModel } from "../models/transformer.ts";
import { AdamW } from "../train/adamw.ts";
import { listCheckpoints, readCheckpoint } from "../train/checkpoint.ts";
import { clipByGlobalNorm } from "../train/clip.ts";
import { pretrain, type PretrainOptions } from "../train/loop.ts";
import type { ModelKit } from "../train/model_kit.ts";
import {
  ADAMW_DECODER,
  ADAMW_DEFAULTS,
  adamWConstants,
  firstNonFinite,
  OptimizerStep,
  TrainingDiverged,
} from "../train/optimizer_step.ts";
import { learningRate, scheduleFor } from "../train/schedule.ts";
import { randomDocuments, toyConfig, toyKit, type ToyModel, writeTokenFolder } from "../train/testing.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256 } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const schedule = scheduleFor({ peak: 0.1, totalSteps: 10, warmupFrac: 0.2, kind: "cosine", floorFrac: 0.1 });

function params(): Map<string, tf.Variable> {
  return new Map([
    ["w", tf.variable(tf.tensor1d([1, -2, 3]))],
    ["norm.b", tf.variable(tf.tensor1d([0.5, 0.25]))],
  ]);
}
const grads = (k: number) =>
  new Map<string, tf.Tensor>([["w", tf.tensor1d([3 * k, 4, -k])], ["norm.b", tf.tensor1d([12, -k])]]);
const noDecay = (n: string) => n.startsWith("norm");

Deno.test("the constants: torch's defaults, β2 0.95 for decoders", () => {
  assertEquals(ADAMW_DEFAULTS, { beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  assertEquals(ADAMW_DECODER, { beta1: 0.9, beta2: 0.95, eps: 1e-8 });
  assertEquals(adamWConstants("encoder"), ADAMW_DEFAULTS);
  assertEquals(adamWConstants("decoder"), ADAMW_DECODER);
});

Deno.test("a step is the clip then AdamW at the schedule's rate, bit for bit, and reports the pre-clip norm", () => {
  const [a, b] = [params(), params()];
  const step = new OptimizerStep(a, { ...ADAMW_DECODER, weightDecay: 0.1, noDecay, schedule, clip: 5, label: "t" });
  const adam = new AdamW(b, { ...ADAMW_DECODER, weightDecay: 0.1, noDecay });
  const before = tf.memory().numTensors;
  for (let k = 0; k < 4; k++) {
    const report = step.apply(grads(k), 2.5);
    const clipped = clipByGlobalNorm(grads(k), 5);
    adam.apply(clipped.grads, learningRate(schedule, k));
    for (const g of clipped.grads.values()) g.dispose();
    assertEquals(report, { step: k + 1, lr: learningRate(schedule, k), gradNorm: clipped.norm });
  }
  assertEquals(step.updates, 4);
  assertEquals(tf.memory().numTensors, before, "the step disposes the gradients it is given");
  for (const name of a.keys()) assertEquals(a.get(name)!.dataSync(), b.get(name)!.dataSync());
  // Norm for k = 0: sqrt(0 + 16 + 0 + 144 + 0) = sqrt(160), above the clip of 5.
  const fresh = new OptimizerStep(params(), {
    ...ADAMW_DEFAULTS,
    weightDecay: 0,
    noDecay,
    schedule,
    clip: 0,
    label: "t",
  });
  assertEquals(Math.abs(fresh.apply(grads(0), 1).gradNorm - Math.sqrt(160)) < 1e-5, true);
});

Deno.test("a non-finite loss or gradient norm stops the step before any update, naming the step; nothing leaks", () => {
  const p = params();
  const step = new OptimizerStep(p, {
    ...ADAMW_DEFAULTS,
    weightDecay: 0,
    noDecay,
    schedule,
    clip: 1,
    label: "task x, seed 3",
  });
  step.apply(grads(1), 1);
  const w = Float32Array.from(p.get("w")!.dataSync());
  const before = tf.memory().numTensors;
  const nan = assertThrows(() => step.apply(grads(1), NaN), TrainingDiverged);
  assertEquals(nan.message.split("\n").length, 1);
  assertStringIncludes(
    nan.message,
    `task x, seed 3: step 2: the loss is NaN (learning rate ${learningRate(schedule, 1)})`,
  );
  assertEquals((nan as TrainingDiverged).step, 2);
  const inf = new Map<string, tf.Tensor>([["w", tf.tensor1d([1, Infinity, 0])]]);
  assertThrows(() => step.apply(inf, 1), TrainingDiverged, "step 2: the gradient norm is Infinity");
  // float32 squares overflow: a finite gradient can still have no finite norm.
  assertThrows(() => step.apply(new Map([["w", tf.tensor1d([3e38, 0, 0])]]), 1), TrainingDiverged, "gradient norm");
  assert(tf.memory().numTensors === before, "every gradient disposed");
  assertEquals(step.updates, 1);
  assertEquals(p.get("w")!.dataSync(), w, "the weights are untouched");
  assertEquals(nan instanceof InputError, true, "a CLI prints it as one line");
});

Deno.test("a weight that is not finite after the update stops the step; firstNonFinite names it", () => {
  const p = params();
  const huge = scheduleFor({ peak: 1e39, totalSteps: 1, warmupFrac: 0, kind: "constant", floorFrac: 1 });
  const step = new OptimizerStep(p, {
    ...ADAMW_DEFAULTS,
    weightDecay: 0.1,
    noDecay,
    schedule: huge,
    clip: 1,
    label: "r",
  });
  assertEquals(firstNonFinite(p), null);
  assertThrows(() => step.apply(grads(1), 3), TrainingDiverged, "r: step 1: parameter w holds a non-finite value");
  const q = params();
  q.get("norm.b")!.assign(tf.tensor1d([0, -Infinity]));
  assertEquals(firstNonFinite(q), "norm.b");
  q.get("norm.b")!.assign(tf.tensor1d([NaN, 0]));
  assertEquals(firstNonFinite(q), "norm.b");
  q.get("w")!.assign(tf.tensor1d([3.4e38, -3.4e38, 0]));
  q.get("norm.b")!.assign(tf.tensor1d([1, 2]));
  assertEquals(firstNonFinite(q), null, "large finite values are finite");
});

// ---- The loops ----

const VOCAB = 40;
const tokensDir = await Deno.makeTempDir();
await writeTokenFolder(tokensDir, {
  train: randomDocuments(new Rng(1), 60, VOCAB),
  valid: randomDocuments(new Rng(2), 10, VOCAB),
}, { vocabSize: VOCAB });

function toyOptions(outDir: string, steps: number, over: Partial<PretrainOptions> = {}): PretrainOptions {
  const config = toyConfig("decoder", VOCAB, 8, 8);
  const perStep = 2 * toyKit.stepFlops(config, "softmax", { batch: 4, seqLen: 8, scored: 32 }).total;
  return {
    config,
    objective: "softmax",
    tokensDir,
    budgetFlops: steps * perStep,
    batch: 4,
    accum: 2,
    seqLen: 8,
    lr: 3e-2,
    warmupFrac: 0.2,
    schedule: "cosine",
    lrFloorFrac: 0.1,
    weightDecay: 0.1,
    ...ADAMW_DECODER,
    clip: 1,
    seed: 5,
    backend: "wasm",
    evalBatches: 2,
    fractions: [1],
    outDir,
    logEvery: 2,
    ckptEvery: 2,
    quiet: true,
    ...over,
  };
}

Deno.test("pretraining: a NaN loss at step 5 stops the run naming the step; the last checkpoint is step 4, finite, and resumes to the same end", async () => {
  const root = await Deno.makeTempDir();
  let calls = 0;
  // Only training calls the loss here (no fraction before the end): call c is micro-batch c % 2 of step ⌊c/2⌋ + 1.
  const nanKit: ModelKit = {
    ...(toyKit as unknown as ModelKit),
    lmLoss: (m, o, b) => {
      const loss = toyKit.lmLoss(m as unknown as ToyModel, o, b);
      return calls++ === 9 ? tf.tidy(() => loss.mul(NaN)) : loss;
    },
  };
  const out = join(root, "nan");
  const err = await assertRejects(() => pretrain(toyOptions(out, 8), nanKit), TrainingDiverged);
  assertStringIncludes(err.message, `pretraining ${out}: step 5: the loss is NaN`);
  const left = await listCheckpoints(join(out, "ckpt"));
  assertEquals(left.map((c) => [c.dir, c.meta.counters.step]), [[join(out, "ckpt", "latest"), 4]]);
  await readCheckpoint(left[0].dir); // reads back in full: verified and finite
  // The state on disk is sound: resumed with a working loss, the run ends as one never interrupted.
  const resumed = await pretrain(toyOptions(out, 8), toyKit);
  assertEquals([resumed.status, resumed.resumedFromStep], ["done", 4]);
  await pretrain(toyOptions(join(root, "whole"), 8), toyKit);
  const bytes = async (run: string) => sha256(await Deno.readFile(join(run, "ckpt", "frac-1", "tensors.bin")));
  assertEquals(await bytes(out), await bytes(join(root, "whole")));
});

Deno.test("pretraining: a one-step budget at a huge learning rate stops on the NaN weights; no checkpoint is written", async () => {
  const out = join(await Deno.makeTempDir(), "huge");
  await assertRejects(
    () => pretrain(toyOptions(out, 1, { lr: 1e39 }), toyKit),
    TrainingDiverged,
    "step 1: parameter embedding holds a non-finite value after the update (learning rate 1e+39)",
  );
  assertEquals(await listCheckpoints(join(out, "ckpt")), []);
  assert(!await exists(join(out, "ckpt", "frac-1")));
});

Deno.test("tasks/pretrain.ts: a diverged run exits 2 with one line naming the step, no stack trace, no checkpoint", async () => {
  const root = await Deno.makeTempDir();
  const tokens = join(root, "tokens");
  await writeTokenFolder(tokens, {
    train: randomDocuments(new Rng(3), 40, 48),
    valid: randomDocuments(new Rng(4), 8, 48),
  }, {
    vocabSize: 48,
  });
  const out = join(root, "run");
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(REPO_ROOT, "tasks", "pretrain.ts"),
      ...["--model", "tiny", "--objective", "cwt", "--tokens", tokens, "--budget-flops", "1", "--batch", "4"],
      ...["--lr", "1e39", "--backend", "wasm", "--valid-batches", "1", "--out", out],
    ],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  assertEquals(code, 2, text);
  const errors = text.split("\n").filter((l) => l.startsWith("error: "));
  assertEquals(errors.length, 1, text);
  // The run works in OUT.partial (artifacts/store.ts), the folder the line names.
  assertStringIncludes(errors[0], `error: pretraining ${out}.partial: step 1: parameter `);
  assertStringIncludes(errors[0], "training diverged");
  assert(!/^\s+at /m.test(text), `no stack trace: ${text}`);
  assert(await exists(join(`${out}.partial`, "train_log.csv")), "the run had started");
  assertEquals(await listCheckpoints(join(`${out}.partial`, "ckpt")), []);
  assert(!(await exists(out)));
});

const TOY_TASK: TaskSpec = {
  name: "toy",
  format: "tsv",
  splits: {},
  header: true,
  textA: "a",
  label: "label",
  labels: { type: "classes", classes: ["0", "1"] },
  metrics: ["accuracy"],
  skipBrokenRows: false,
};

Deno.test("GLUE fine-tuning and LM fine-tuning stop on divergence with the task (or model) and the step", () => {
  const rng = new Rng(7);
  const examples: Example[] = Array.from({ length: 8 }, () => ({
    textA: Array.from({ length: 4 }, () => 10 + rng.int(30)).join(" "),
    label: rng.int(2),
  }));
  const ids = { encode: (t: string) => t.split(" ").map(Number) };
  const encoder = createModel(loadModelConfig("tiny", { arch: "encoder", tieHead: true }), 0);
  assertThrows(
    () =>
      finetuneTask(encoder, ids, TOY_TASK, { train: examples, dev: { validation: examples } }, {
        loss: "plain",
        lr: 1e39,
        batch: 4,
        epochs: 1,
        seed: 2,
        warmupFrac: 0,
      }),
    TrainingDiverged,
    "fine-tuning task toy, seed 2: step 1: parameter ",
  );
  encoder.dispose();

  const config = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });
  const decoder = createModel(config, 1, { head: false });
  addLmHeadFromEmbedding(decoder);
  const batch = makeDecoderBatch([Int32Array.from({ length: 9 }, (_, i) => 5 + i)]);
  assertThrows(
    () => lmFinetune(decoder, { next: () => batch }, { steps: 3, lr: 1e39, warmupFrac: 0 }),
    TrainingDiverged,
    "LM fine-tuning of tiny-dec: step 1: parameter ",
  );
  decoder.dispose();
});
