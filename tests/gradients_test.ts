/**
 * Gradients of the objectives (and the dense softmax head) w.r.t. every parameter of a tiny model against
 * central finite differences of the loss. Float32 losses carry ~1e-7 relative rounding, so each
 * tensor is checked along one random unit direction v (the directional derivative <g, v> aggregates
 * all its coordinates) and at its largest-gradient coordinate. The numeric derivative is Richardson's
 * extrapolation of central differences at eps and eps/2 (error O(eps⁴) instead of O(eps²)), with
 * eps = 1e-2 large enough to keep float32 rounding (~1e-7 of the loss) down to ~1e-4; the tolerance
 * is 3e-4 absolute plus 0.3% relative (an error in a gradient formula is off by far more).
 */
import * as tf from "@tensorflow/tfjs";
import { assert } from "@std/assert";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig } from "../models/config.ts";
import { createModel, type Model } from "../models/transformer.ts";
import { type HeadMode, isHeadless, lmLoss, lossAndGrads, type Objective } from "../models/objectives.ts";
import { type LmBatch, makeDecoderBatch, makeEncoderBatch } from "../models/batches.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const EPS = 1e-2;
const ABS_TOL = 3e-4;
const REL_TOL = 3e-3;

function lossAt(model: Model, objective: Objective, batch: LmBatch, head: HeadMode): number {
  return tf.tidy(() => lmLoss(model, objective, batch, head).dataSync()[0]);
}

/** The derivative of the loss along `dir` in `v`: Richardson-extrapolated central differences. */
function numericDerivative(
  model: Model,
  objective: Objective,
  batch: LmBatch,
  v: tf.Variable,
  dir: Float32Array,
  head: HeadMode,
): number {
  const orig = v.dataSync().slice();
  const lossMovedBy = (step: number) => {
    v.assign(tf.tensor(orig.map((x, i) => x + step * dir[i]), v.shape));
    return lossAt(model, objective, batch, head);
  };
  const central = (eps: number) => (lossMovedBy(eps) - lossMovedBy(-eps)) / (2 * eps);
  const [coarse, fine] = [central(EPS), central(EPS / 2)];
  v.assign(tf.tensor(orig, v.shape));
  return (4 * fine - coarse) / 3;
}

function checkModel(arch: "encoder" | "decoder", objective: Objective, batch: LmBatch, head: HeadMode = "sparse") {
  const config = loadModelConfig("tiny", { arch, tieHead: arch === "encoder" });
  const model = createModel(config, 11, { targetEmbedding: objective === "nce-untied" });
  const rng = new Rng(12);
  const { grads } = lossAndGrads(model, objective, batch, head);
  const failures: string[] = [];
  let checked = 0;
  for (const [name, v] of model.params) {
    const g = grads.get(name);
    if (!g) {
      // Only the softmax head may be unused (by the headless objectives).
      assert(isHeadless(objective) && name.startsWith("head."), `${arch}/${objective}: no gradient for ${name}`);
      continue;
    }
    const gv = g.dataSync() as Float32Array;
    const dir = Float32Array.from({ length: v.size }, () => rng.normal());
    const norm = Math.hypot(...dir);
    dir.forEach((x, i) => (dir[i] = x / norm));
    const top = gv.reduce((best, x, i) => (Math.abs(x) > Math.abs(gv[best]) ? i : best), 0);
    const unit = new Float32Array(v.size);
    unit[top] = 1;
    for (const [label, d] of [["direction", dir], [`coordinate ${top}`, unit]] as const) {
      const analytic = d.reduce((s, x, i) => s + x * gv[i], 0);
      const numeric = numericDerivative(model, objective, batch, v, d, head);
      checked++;
      if (!(Math.abs(analytic - numeric) <= ABS_TOL + REL_TOL * Math.abs(numeric))) {
        failures.push(`${name} ${label}: analytic ${analytic.toExponential(4)} vs numeric ${numeric.toExponential(4)}`);
      }
    }
  }
  for (const g of grads.values()) g.dispose();
  model.dispose();
  assert(
    failures.length === 0,
    `${arch}/${objective}: ${failures.length}/${checked} checks failed:\n${failures.join("\n")}`,
  );
}

function decoderBatch(): LmBatch {
  const rng = new Rng(5);
  return makeDecoderBatch(Array.from({ length: 2 }, () => Int32Array.from({ length: 9 }, () => 5 + rng.int(43))));
}

function encoderBatch(): LmBatch {
  const rng = new Rng(6);
  const rows = [
    Int32Array.from([1, ...Array.from({ length: 8 }, () => 5 + rng.int(43)), 2]),
    Int32Array.from([1, ...Array.from({ length: 5 }, () => 5 + rng.int(43)), 2]), // padded to 10
  ];
  // Many scored positions make a sharper test than the ~15% BERT would pick on 14 tokens.
  const batch = makeEncoderBatch(rows, new Rng(7), 48);
  return batch;
}

for (const objective of ["softmax", "cwt"] as const) {
  Deno.test(`decoder ${objective}: gradients of every parameter match finite differences`, () => {
    checkModel("decoder", objective, decoderBatch());
  });
  Deno.test(`encoder ${objective}: gradients of every parameter match finite differences`, () => {
    checkModel("encoder", objective, encoderBatch());
  });
}

// The ablations and the dense head (the encoder is where they differ from the above).
for (const objective of ["ce+cwt", "nce-untied"] as const) {
  Deno.test(`encoder ${objective}: gradients of every parameter match finite differences`, () => {
    checkModel("encoder", objective, encoderBatch());
  });
}
Deno.test("encoder softmax, dense head: gradients of every parameter match finite differences", () => {
  checkModel("encoder", "softmax", encoderBatch(), "dense");
});
