/** AdamW against hand-worked updates, global-norm clipping, and gradient accumulation. */
import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { AdamW } from "../train/adamw.ts";
import { clipByGlobalNorm, globalNorm } from "../train/clip.ts";
import { accumulateGradients } from "../train/grad_accum.ts";
import { initBackend } from "../backends/mod.ts";

await initBackend("wasm");

const OPTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
const value = (t: tf.Tensor) => t.dataSync()[0];

function scalarParams() {
  return new Map([["w", tf.variable(tf.scalar(1))], ["norm.b", tf.variable(tf.scalar(1))]]);
}
const grads = (g: number) => new Map([["w", tf.scalar(g)], ["norm.b", tf.scalar(g)]]);

// Both params start at 1, lr 0.1, gradients 0.5 then -1.0. "w" decays (wd 0.01), "norm.b" does not.
// Step 1: m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025; bias-corrected m̂ = 0.05/0.1 = 0.5,
//   v̂ = 0.00025/0.001 = 0.25, √v̂ = 0.5; update = 0.1·0.5/(0.5 + 1e-8) = 0.099999998.
//   w = 1·(1 - 0.1·0.01) - 0.099999998 = 0.899000002;  norm.b = 1 - 0.099999998 = 0.900000002.
// Step 2: m = 0.9·0.05 + 0.1·(-1) = -0.055, v = 0.999·0.00025 + 0.001·1 = 0.00124975;
//   m̂ = -0.055/(1 - 0.81) = -0.289473684, v̂ = 0.00124975/(1 - 0.998001) = 0.625187594, √v̂ = 0.790688051;
//   update = 0.1·(-0.289473684)/0.790688061 = -0.036610352.
//   w = 0.899000002·0.999 + 0.036610352 = 0.934711354;  norm.b = 0.900000002 + 0.036610352 = 0.936610354.
Deno.test("AdamW: one and two steps match hand-worked values, decay skipped for noDecay names", () => {
  const params = scalarParams();
  const adam = new AdamW(params, { ...OPTS, noDecay: (n) => n.startsWith("norm") });
  adam.apply(grads(0.5), 0.1);
  assertAlmostEquals(value(params.get("w")!), 0.899000002, 1e-6);
  assertAlmostEquals(value(params.get("norm.b")!), 0.900000002, 1e-6);
  assertAlmostEquals(value(adam.m.get("w")!), 0.05, 1e-7);
  assertAlmostEquals(value(adam.v.get("w")!), 0.00025, 1e-9);
  adam.apply(grads(-1), 0.1);
  assertEquals(adam.step, 2);
  assertAlmostEquals(value(params.get("w")!), 0.934711354, 1e-6);
  assertAlmostEquals(value(params.get("norm.b")!), 0.936610354, 1e-6);
  assertAlmostEquals(value(adam.m.get("w")!), -0.055, 1e-7);
  assertAlmostEquals(value(adam.v.get("w")!), 0.00124975, 1e-9);
});

Deno.test("AdamW: a parameter without a gradient is left untouched (no decay either)", () => {
  const params = scalarParams();
  const adam = new AdamW(params, { ...OPTS, noDecay: () => false });
  adam.apply(new Map([["w", tf.scalar(0.5)]]), 0.1);
  assertEquals(value(params.get("norm.b")!), 1);
  assertEquals(value(adam.m.get("norm.b")!), 0);
});

Deno.test("AdamW: state read out and loaded into a fresh optimizer continues bit for bit", () => {
  const a = scalarParams();
  const adamA = new AdamW(a, { ...OPTS, noDecay: () => false });
  adamA.apply(grads(0.5), 0.1);
  const state = adamA.state();
  const b = scalarParams();
  b.get("w")!.assign(a.get("w")!);
  b.get("norm.b")!.assign(a.get("norm.b")!);
  const adamB = new AdamW(b, { ...OPTS, noDecay: () => false });
  adamB.loadState(state);
  adamA.apply(grads(-1), 0.1);
  adamB.apply(grads(-1), 0.1);
  assertEquals(b.get("w")!.dataSync(), a.get("w")!.dataSync());
  assertEquals(adamB.v.get("w")!.dataSync(), adamA.v.get("w")!.dataSync());
});

Deno.test("clipByGlobalNorm: norm over all tensors, scaled to the limit only above it", () => {
  const g = () => new Map([["a", tf.tensor1d([3, 4])], ["b", tf.tensor1d([12])]]); // √(9+16+144) = 13
  assertAlmostEquals(globalNorm(g()), 13, 1e-6);
  const clipped = clipByGlobalNorm(g(), 6.5); // scale = 6.5/13 = 0.5
  assertAlmostEquals(clipped.norm, 13, 1e-6);
  const a = clipped.grads.get("a")!.dataSync();
  assertAlmostEquals(a[0], 1.5, 1e-5);
  assertAlmostEquals(a[1], 2, 1e-5);
  assertAlmostEquals(clipped.grads.get("b")!.dataSync()[0], 6, 1e-5);
  const untouched = g();
  const same = clipByGlobalNorm(untouched, 20);
  assertEquals(same.grads, untouched);
  assertEquals(same.grads.get("b")!.dataSync()[0], 12);
  assertEquals(clipByGlobalNorm(g(), 0).grads.get("b")!.dataSync()[0], 12);
});

Deno.test("accumulateGradients: mean of micro-batch gradients = gradient of the mean loss", () => {
  // loss_i = (w·x_i - y_i)², d/dw = 2·x_i·(w·x_i - y_i). w = 2; (x, y) = (1, 0) and (3, 1):
  // losses 4 and 25 (mean 14.5); gradients 2·1·2 = 4 and 2·3·5 = 30 (mean 17).
  const params = new Map([["w", tf.variable(tf.scalar(2))], ["unused", tf.variable(tf.scalar(7))]]);
  const data = [[1, 0], [3, 1]];
  const w = params.get("w")!;
  const { loss, grads } = accumulateGradients(
    params,
    2,
    (i) => w.mul(data[i][0]).sub(data[i][1]).square() as tf.Scalar,
  );
  assertAlmostEquals(loss, 14.5, 1e-6);
  assertAlmostEquals(grads.get("w")!.dataSync()[0], 17, 1e-5);
  assertEquals(grads.has("unused"), false);
  const single = accumulateGradients(params, 1, () => w.mul(3).sub(1).square() as tf.Scalar);
  assertAlmostEquals(single.grads.get("w")!.dataSync()[0], 30, 1e-5);
});
