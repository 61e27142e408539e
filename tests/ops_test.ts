/**
 * The fast custom-gradient ops against plain tfjs compositions (tf.matMul with transposes, one-hot
 * products, batched attention), values and gradients, on random inputs, on the wasm backend.
 */
import { loadOpenBlas } from "../kernels/openblas.ts";
import { blasMatMulStatus } from "../kernels/blas_backend.ts";
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { createRequire } from "node:module";
import { InputError } from "../util/errors.ts";
import { initBackend } from "../backends/mod.ts";
import { probeWebGpu } from "../kernels/webgpu/proxy_backend.ts";
import { attention, countProductFlops, crossEntropy, embed, gelu, layerNorm, linear, matMulNT } from "../models/ops.ts";
import { fastPathSwitches } from "../models/accelerator.ts";
import { disableBlasMatMul, enableBlasMatMul } from "../kernels/blas_backend.ts";
import { makeDecoderBatch } from "../models/batches.ts";
import { loadModelConfig } from "../models/config.ts";
import { cwtLoss, lossAndGrads, type Objective } from "../models/objectives.ts";
import { createModel } from "../models/transformer.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const TOLERANCE = 1e-5; // relative to the largest magnitude of the reference

function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal() * scale), shape);
}

function relError(actual: tf.Tensor, expected: tf.Tensor): number {
  assertEquals(actual.shape, expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - e[i]));
    scale = Math.max(scale, Math.abs(e[i]));
  }
  return diff / scale;
}

/**
 * Checks fast(...xs) against plain(...xs): values, and gradients of sum(f · R) for a fixed random R
 * (a plain sum would give zero gradients through softmax-like ops).
 */
function checkAgainstPlain(
  label: string,
  fast: (...xs: tf.Tensor[]) => tf.Tensor,
  plain: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  rng: Rng,
) {
  tf.tidy(() => {
    const yFast = fast(...inputs);
    const yPlain = plain(...inputs);
    const valueErr = relError(yFast, yPlain);
    assert(valueErr < TOLERANCE, `${label}: value relative error ${valueErr}`);
    const weights = randn(rng, yPlain.shape);
    const gradsFast = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(fast(...xs), weights)))(inputs);
    const gradsPlain = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(plain(...xs), weights)))(inputs);
    gradsPlain.forEach((g, i) => {
      const err = relError(gradsFast[i], g);
      assert(err < TOLERANCE, `${label}: gradient ${i} relative error ${err}`);
    });
  });
}

Deno.test("linear (with and without bias) matches tf.matMul + add, values and gradients", () => {
  const rng = new Rng(1);
  const [x, w, b] = [randn(rng, [7, 5]), randn(rng, [5, 3]), randn(rng, [3])];
  checkAgainstPlain(
    "linear+b",
    (x, w, b) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
    (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    [x, w, b],
    rng,
  );
  checkAgainstPlain(
    "linear",
    (x, w) => linear(x as tf.Tensor2D, w as tf.Tensor2D),
    (x, w) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
    [x, w],
    rng,
  );
});

Deno.test("matMulNT matches tf.matMul(a, b, false, true)", () => {
  const rng = new Rng(2);
  // Both ways of forming b's gradient: transposing dy (6·9 < 6·4 + 4·9), or a and the product (8·10 > 8·2 + 2·10).
  for (const [m, n, k] of [[6, 9, 4], [8, 10, 2]]) {
    checkAgainstPlain(
      "matMulNT",
      (a, b) => matMulNT(a as tf.Tensor2D, b as tf.Tensor2D),
      (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, false, true),
      [randn(rng, [m, k]), randn(rng, [n, k])],
      rng,
    );
  }
});

Deno.test("embed matches a one-hot product, and its gradient sums duplicate ids", () => {
  const rng = new Rng(3);
  const ids = Int32Array.from([2, 0, 2, 5, 2, 1]);
  const table = randn(rng, [6, 4]);
  checkAgainstPlain(
    "embed",
    (t) => embed(ids, t as tf.Tensor2D),
    (t) => tf.matMul(tf.oneHot(tf.tensor1d(ids, "int32"), 6), t as tf.Tensor2D),
    [table],
    rng,
  );
  // dE[2] = 3 rows of ones; dE[3] = dE[4] = 0.
  const g = tf.tidy(() => tf.grad((t) => tf.sum(embed(ids, t as tf.Tensor2D)))(table).arraySync() as number[][]);
  assertEquals(g.map((row) => row[0]), [1, 1, 3, 0, 0, 1]);
});

Deno.test("crossEntropy matches -mean(log softmax at target)", () => {
  const rng = new Rng(4);
  const targets = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 3 === 0 ? 3 : rng.int(40)); // duplicates too
  const plain = (z: tf.Tensor) =>
    tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(z), tf.oneHot(tf.tensor1d(targets, "int32"), 40)), 1)));
  checkAgainstPlain(
    "crossEntropy",
    (z) => crossEntropy(z as tf.Tensor2D, targets),
    plain,
    [randn(rng, [16, 40], 3)],
    rng,
  );
  // Large logits stay finite (log-sum-exp): logits 1000 and 0, target the larger: loss = log(1 + e^-1000) = 0.
  const big = tf.tidy(() => crossEntropy(tf.tensor2d([[1000, 0]]), Int32Array.from([0])).dataSync()[0]);
  assertEquals(big, 0);
});

Deno.test("gelu and layerNorm match their plain compositions", () => {
  const rng = new Rng(5);
  checkAgainstPlain("gelu", (x) => gelu(x), (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)), [
    randn(rng, [4, 6], 2),
  ], rng);
  const plainLn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, 1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
  };
  checkAgainstPlain(
    "layerNorm",
    (x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D),
    plainLn,
    [randn(rng, [5, 8], 2), randn(rng, [8]), randn(rng, [8])],
    rng,
  );
});

/** Textbook batched attention with tf.matMul's transposed products and tf autodiff. */
function plainAttention(
  qkv: tf.Tensor,
  B: number,
  T: number,
  H: number,
  causal: boolean,
  padMask?: Uint8Array,
): tf.Tensor {
  const d = qkv.shape[1]! / 3;
  const dh = d / H;
  const x = tf.transpose(tf.reshape(qkv, [B, T, 3, H, dh]), [2, 0, 3, 1, 4]); // [3, B, H, T, dh]
  const [q, k, v] = tf.unstack(x);
  let s = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)); // [B, H, T, T]
  const allowed = tf.buffer([B, 1, T, T]);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        allowed.set(!(causal && j > i) && (!padMask || padMask[b * T + j] === 1) ? 1 : 0, b, 0, i, j);
      }
    }
  }
  s = tf.where(tf.cast(allowed.toTensor(), "bool"), s, tf.fill(s.shape, -1e9));
  const o = tf.matMul(tf.softmax(s), v); // [B, H, T, dh]
  return tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B * T, d]);
}

Deno.test("attention (causal, and bidirectional with padding) matches batched tf attention", () => {
  const rng = new Rng(6);
  const [B, T, H, d] = [2, 5, 2, 8];
  const qkv = randn(rng, [B * T, 3 * d]);
  checkAgainstPlain(
    "causal",
    (x) => attention(x as tf.Tensor2D, B, T, H, { causal: true }),
    (x) => plainAttention(x, B, T, H, true),
    [qkv],
    rng,
  );
  checkAgainstPlain(
    "bidirectional",
    (x) => attention(x as tf.Tensor2D, B, T, H, { causal: false }),
    (x) => plainAttention(x, B, T, H, false),
    [qkv],
    rng,
  );
  const padMask = Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
  checkAgainstPlain(
    "padded",
    (x) => attention(x as tf.Tensor2D, B, T, H, { causal: false, padMask }),
    (x) => plainAttention(x, B, T, H, false, padMask),
    [qkv],
    rng,
  );
});

Deno.test("attention does not let padded keys change real outputs", () => {
  const rng = new Rng(7);
  const [B, T, H, d] = [1, 4, 2, 4];
  const padMask = Uint8Array.from([1, 1, 1, 0]);
  const qkv = randn(rng, [B * T, 3 * d]).arraySync() as number[][];
  const changed = qkv.map((row, i) => (i === 3 ? row.map((v) => v + 5) : row));
  const outs = [qkv, changed].map((x) =>
    tf.tidy(() => attention(tf.tensor2d(x), B, T, H, { causal: false, padMask }).slice([0, 0], [3, d]).dataSync())
  );
  for (let i = 0; i < outs[0].length; i++) assert(Math.abs(outs[0][i] - outs[1][i]) < 1e-6);
});

Deno.test("product FLOPs are counted forward and backward (2·m·n·k each)", () => {
  const rng = new Rng(8);
  const [x, w] = [randn(rng, [7, 5]), randn(rng, [5, 3])];
  const { flops } = countProductFlops(() =>
    tf.tidy(() => tf.grads((x, w) => tf.sum(linear(x as tf.Tensor2D, w as tf.Tensor2D)))([x, w]))
  );
  assertEquals(flops, 3 * 2 * 7 * 5 * 3);
  const fwd =
    countProductFlops(() =>
      tf.tidy(() => attention(randn(rng, [2 * 4, 3 * 6]) as tf.Tensor2D, 2, 4, 3, { causal: true }))
    ).flops;
  assertEquals(fwd, 2 * 2 * (2 * 4 * 4 * 6)); // QKᵀ and AV: 2·T·T·d per row, 2 rows
});

Deno.test({
  name:
    "initBackend: auto falls back to wasm without tfjs-node or a GPU, tensorflow says why, unknown names are refused",
  sanitizeOps: false, // auto asks the WebGPU worker for an adapter; the worker stays for the process
  sanitizeResources: false,
  fn: async () => {
    const nativeInstalled = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].some((name) => {
      try {
        createRequire(import.meta.url).resolve(name);
        return true;
      } catch {
        return false;
      }
    });
    const probe = await probeWebGpu();
    const gpu = "adapter" in probe && !probe.adapter.software;
    assertEquals(
      await initBackend("auto"),
      nativeInstalled ? "tensorflow" : gpu ? "webgpu" : loadOpenBlas() ? "wasm-blas" : "wasm",
    );
    if (!nativeInstalled) {
      await assertRejects(() => initBackend("tensorflow"), InputError, "install script downloads libtensorflow");
    }
    await assertRejects(() => initBackend("webgl"), InputError, "unknown backend");
    assertEquals(await initBackend("wasm"), "wasm");
    assertEquals(blasMatMulStatus().enabled, false, "plain wasm must not keep the OpenBLAS products");
  },
});

Deno.test("the faster wasm Slice and GatherV2 kernels give tfjs's results, and fall back where they do not apply", () => {
  tf.tidy(() => {
    const x = tf.reshape(tf.range(0, 24, 1, "int32"), [2, 3, 4]);
    assertEquals(
      Array.from(tf.slice(x, [1, 0, 0], [1, 3, 4]).dataSync()),
      Array.from({ length: 12 }, (_, i) => 12 + i),
    );
    assertEquals(Array.from(tf.slice(x, [0, 1, 1], [2, 1, 2]).dataSync()), [5, 6, 17, 18]); // not contiguous
    const f = tf.tensor2d([[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]]);
    assertEquals(tf.gather(f, [2, 0, 2]).arraySync(), [[4.5, 5.5], [0.5, 1.5], [4.5, 5.5]]);
    assertEquals(tf.gather(f, tf.tensor2d([[1], [0]], [2, 1], "int32")).shape, [2, 1, 2]);
    assertEquals(tf.gather(f, [1, 0], 1).arraySync(), [[1.5, 0.5], [3.5, 2.5], [5.5, 4.5]]); // axis 1
    assertEquals(Array.from(tf.gather(tf.tensor1d([7, 8, 9], "int32"), [2, 2, 0]).dataSync()), [9, 9, 7]);
    assertThrows(() => tf.gather(f, [3]), Error, "not in [0, 2]");
  });
});

// ---- The wasm-blas fast paths (models/accelerator.ts fast paths) against the plain wasm backend ----

const noBlas = loadOpenBlas() === null;
const FAST_TOLERANCE = 1e-5; // relative, float32; the issue asks for well under 1e-4

/** Values and gradients (of sum(f · R)) of f on `inputs`, as plain arrays. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], weights: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const y = f(...inputs);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weights)))(inputs);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync() as Float32Array));
  });
}

function maxRelError(got: Float32Array, want: Float32Array): number {
  assertEquals(got.length, want.length);
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

/** f on wasm-blas with every fast path on, against f on the plain wasm backend (no BLAS): values and gradients. */
function checkFastAgainstPlainBackend(
  label: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  rng: Rng,
) {
  const outShape = tf.tidy(() => f(...inputs).shape);
  const weights = randn(rng, outShape);
  disableBlasMatMul();
  const plain = valueAndGrads(f, inputs, weights);
  assert(enableBlasMatMul(), blasMatMulStatus().reason);
  const blasBefore = blasMatMulStatus().blasCalls;
  const fast = valueAndGrads(f, inputs, weights);
  assert(blasMatMulStatus().blasCalls > blasBefore || !label.includes("product"), `${label}: no product ran on BLAS`);
  fast.forEach((got, i) => {
    const err = maxRelError(got, plain[i]);
    assert(err < FAST_TOLERANCE, `${label}: ${i === 0 ? "value" : `gradient ${i - 1}`} relative error ${err}`);
  });
  weights.dispose();
}

Deno.test({
  name:
    "fast paths on wasm-blas match the plain wasm backend: products, attention, cross-entropy, values and gradients",
  ignore: noBlas,
  fn: async () => {
    assertEquals(await initBackend("wasm-blas"), "wasm-blas");
    assert(
      fastPathSwitches().transposedProducts && fastPathSwitches().batchedAttention &&
        fastPathSwitches().fusedCrossEntropy,
    );
    try {
      const rng = new Rng(11);
      const [x, w, b] = [randn(rng, [33, 20]), randn(rng, [20, 12]), randn(rng, [12])];
      checkFastAgainstPlainBackend(
        "linear product",
        (x, w, b) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
        [x, w, b],
        rng,
      );
      checkFastAgainstPlainBackend("linear product (wide)", (w, x) => linear(w as tf.Tensor2D, x as tf.Tensor2D), [
        randn(rng, [12, 40]),
        randn(rng, [40, 7]),
      ], rng);
      checkFastAgainstPlainBackend("matMulNT product", (a, e) => matMulNT(a as tf.Tensor2D, e as tf.Tensor2D), [
        randn(rng, [17, 8]),
        randn(rng, [50, 8]),
      ], rng);
      for (const [B, T, H, d] of [[2, 5, 2, 8], [3, 16, 4, 32]]) {
        const qkv = randn(rng, [B * T, 3 * d]);
        const padMask = Uint8Array.from({ length: B * T }, (_, i) => (i % T < T - 2 || i < T ? 1 : 0));
        checkFastAgainstPlainBackend(
          `causal attention B=${B} T=${T}`,
          (q) => attention(q as tf.Tensor2D, B, T, H, { causal: true }),
          [qkv],
          rng,
        );
        checkFastAgainstPlainBackend(
          `bidirectional attention B=${B}`,
          (q) => attention(q as tf.Tensor2D, B, T, H, { causal: false }),
          [qkv],
          rng,
        );
        checkFastAgainstPlainBackend(
          `padded attention B=${B}`,
          (q) => attention(q as tf.Tensor2D, B, T, H, { causal: false, padMask }),
          [qkv],
          rng,
        );
      }
      const targets = Int32Array.from({ length: 24 }, (_, i) => (i % 5 === 0 ? 3 : rng.int(300)));
      checkFastAgainstPlainBackend("crossEntropy", (z) => crossEntropy(z as tf.Tensor2D, targets), [
        randn(rng, [24, 300], 4),
      ], rng);
      checkFastAgainstPlainBackend("cwtLoss", (o, t) => cwtLoss(o as tf.Tensor2D, t as tf.Tensor2D), [
        randn(rng, [40, 16]),
        randn(rng, [40, 16]),
      ], rng);
    } finally {
      await initBackend("wasm");
    }
  },
});

Deno.test({
  name:
    "fast crossEntropy: a target far below the row's maximum falls back to log-sum-exp, and gradients sum to zero per row",
  ignore: noBlas,
  fn: async () => {
    await initBackend("wasm-blas");
    try {
      // Row 0: target 200 below the max: p underflows in float32, loss = log(1 + e^-200) + 200 = 200.
      // Row 1: logits (0, log 3), target 0: loss = log(4).
      const logits = tf.tensor2d([[0, -200], [0, Math.log(3)]]);
      const targets = Int32Array.from([1, 0]);
      const loss = tf.tidy(() => crossEntropy(logits, targets).dataSync()[0]);
      assert(Math.abs(loss - (200 + Math.log(4)) / 2) < 1e-4, `loss ${loss}`);
      // d/dz of mean CE = (softmax − onehot)/n: row 1 = ((1/4 − 1)/2, (3/4)/2).
      const g = tf.tidy(() =>
        tf.grad((z) => crossEntropy(z as tf.Tensor2D, targets))(logits).arraySync() as number[][]
      );
      assert(Math.abs(g[1][0] + 0.375) < 1e-6 && Math.abs(g[1][1] - 0.375) < 1e-6, `gradient ${g[1]}`);
      assert(Math.abs(g[0][0] - 0.5) < 1e-6 && Math.abs(g[0][1] + 0.5) < 1e-6, `gradient ${g[0]}`);
    } finally {
      await initBackend("wasm");
    }
  },
});

Deno.test({
  name:
    "a whole model's loss and every parameter gradient agree between wasm-blas fast paths and plain wasm, both objectives",
  ignore: noBlas,
  fn: async () => {
    const config = loadModelConfig("tiny");
    const rng = new Rng(12);
    const rows = Array.from({ length: 3 }, () => Int32Array.from({ length: 9 }, () => rng.int(config.vocabSize)));
    const batch = makeDecoderBatch(rows);
    const run = async (backend: string, objective: Objective) => {
      assertEquals(await initBackend(backend), backend);
      const model = createModel(config, 3);
      const { loss, grads } = lossAndGrads(model, objective, batch);
      const out = new Map([...grads].map(([name, g]) => [name, Float32Array.from(g.dataSync() as Float32Array)]));
      tf.dispose([...grads.values()]);
      model.dispose();
      return { loss, grads: out };
    };
    try {
      for (const objective of ["softmax", "cwt"] as Objective[]) {
        const plain = await run("wasm", objective);
        const fast = await run("wasm-blas", objective);
        assert(
          Math.abs(fast.loss - plain.loss) < 1e-5 * Math.abs(plain.loss),
          `${objective}: loss ${fast.loss} vs ${plain.loss}`,
        );
        assertEquals([...fast.grads.keys()].sort(), [...plain.grads.keys()].sort());
        for (const [name, g] of plain.grads) {
          const err = maxRelError(fast.grads.get(name)!, g);
          assert(err < FAST_TOLERANCE, `${objective}: gradient of ${name} relative error ${err}`);
        }
      }
    } finally {
      await initBackend("wasm");
    }
  },
});

Deno.test({
  name: "fast attention counts the same product FLOPs as the plain path, forward and backward",
  ignore: noBlas,
  fn: async () => {
    await initBackend("wasm-blas");
    try {
      const rng = new Rng(13);
      const qkv = randn(rng, [2 * 4, 3 * 6]);
      const fwdBwd = () =>
        countProductFlops(() =>
          tf.tidy(() => tf.grad((x) => tf.sum(attention(x as tf.Tensor2D, 2, 4, 3, { causal: true })))(qkv))
        ).flops;
      const fast = fwdBwd();
      disableBlasMatMul();
      const plain = fwdBwd();
      assertEquals(fast, plain);
      assertEquals(fast, 3 * 2 * 2 * (2 * 4 * 4 * 6));
    } finally {
      await initBackend("wasm");
    }
  },
});
