/**
 * The native C kernels (kernels/native_backend.ts) against the plain wasm backend: each kernel
 * override and each native fast path on random inputs (values and gradients), the AdamW update, a
 * whole model's loss and parameter gradients for both objectives, and the fallback without a
 * compiler (HEADLESS_CC naming a missing file) giving the same numbers. Shapes are large enough for
 * the loops to run on 2 threads.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertArrayClose, assertEquals, assertStringIncludes } from "@std/assert";
import { initBackend } from "../backends/mod.ts";
import { attention, crossEntropy, gelu, layerNorm, linear } from "../models/ops.ts";
import { fastPathSwitches } from "../models/accelerator.ts";
import { makeDecoderBatch } from "../models/batches.ts";
import { loadModelConfig } from "../models/config.ts";
import { lossAndGrads, type Objective } from "../models/objectives.ts";
import { createModel } from "../models/transformer.ts";
import { AdamW } from "../train/adamw.ts";
import { blasThreadReproducibility, loadOpenBlas } from "../kernels/openblas.ts";
import { CC_ENV, loadNativeLib, nativeMissingReason, verifiedBuild } from "../kernels/native_lib.ts";
import { sha256 } from "../util/fs.ts";
import { basename, join } from "node:path";
import { envDefaultsSet, inheritedEnvWithoutDefaults, setEnvDefault } from "../kernels/env.ts";
import {
  disableNativeKernels,
  enableNativeKernels,
  nativeKernelStatus,
  runNative,
  setNativeThreads,
} from "../kernels/native_backend.ts";
import { blasMatMulStatus, setBlasThreads } from "../kernels/blas_backend.ts";
import { Rng } from "../util/rng.ts";
import { logProbsOfTargets } from "../evals/token_logprobs.ts";

await initBackend("wasm");

const noCompiler = loadNativeLib() === null;
const noBlas = loadOpenBlas() === null;
const WHY = noCompiler ? `(skipped: ${nativeMissingReason()})` : noBlas ? "(skipped: no OpenBLAS)" : "";
const TOLERANCE = 1e-5; // relative to the largest magnitude of the reference; the issue asks for well under 1e-4

function randn(rng: Rng, shape: number[], scale = 1): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal() * scale), shape);
}

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assertEquals(got.length, want.length);
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

/** Values and gradients (of sum(f · R)) of f on `inputs`, as plain arrays. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], weights: tf.Tensor): Float32Array[] {
  return tf.tidy(() => {
    const y = f(...inputs);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), weights)))(inputs);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync() as Float32Array));
  });
}

/** f with the native kernels (wasm-blas, `threads` threads) against f on the plain wasm backend. */
async function checkAgainstPlain(
  label: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  rng: Rng,
  kernel?: string,
) {
  const outShape = tf.tidy(() => f(...inputs).shape);
  const weights = randn(rng, outShape);
  await initBackend("wasm");
  const plain = valueAndGrads(f, inputs, weights);
  assertEquals(await initBackend("wasm-blas"), "wasm-blas");
  assert(nativeKernelStatus().enabled, nativeKernelStatus().reason);
  const before = nativeKernelStatus().calls[kernel ?? ""] ?? 0;
  const fast = valueAndGrads(f, inputs, weights);
  if (kernel) assert((nativeKernelStatus().calls[kernel] ?? 0) > before, `${label}: ${kernel} did not run`);
  fast.forEach((got, i) => {
    const err = maxRelError(got, plain[i]);
    assert(err < TOLERANCE, `${label}: ${i === 0 ? "value" : `gradient ${i - 1}`} relative error ${err}`);
  });
  weights.dispose();
}

/** Runs `fn` on wasm-blas with `threads` threads for BLAS and the native loops, then back to plain wasm. */
async function withNative(threads: number, fn: () => Promise<void> | void) {
  assertEquals(await initBackend("wasm-blas"), "wasm-blas");
  setBlasThreads(threads);
  try {
    await fn();
  } finally {
    setBlasThreads(1);
    await initBackend("wasm");
  }
}

const needs = { ignore: noCompiler || noBlas };

Deno.test({
  name:
    `native GELU, LayerNorm, attention (backward, batch of products over threads) match the plain wasm backend ${WHY}`,
  ...needs,
  fn: () =>
    withNative(2, async () => {
      const rng = new Rng(21);
      // 200 x 300 = 60,000 elements: above the 2-thread threshold (2^15); and a small one on 1 thread.
      for (const shape of [[200, 300], [3, 7]]) {
        await checkAgainstPlain(`gelu ${shape}`, (x) => gelu(x), [randn(rng, shape, 3)], rng, "HbGelu");
        const [n, d] = shape;
        await checkAgainstPlain(
          `layerNorm ${shape}`,
          (x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D),
          [tf.add(randn(rng, [n, d], 2), 5), randn(rng, [d]), randn(rng, [d])],
          rng,
          "HbLayerNorm",
        );
      }
      const batchedBefore = nativeKernelStatus().calls["BatchMatMul (batch over threads)"] ?? 0;
      for (const [B, T, H, d] of [[2, 5, 2, 8], [4, 64, 4, 64]]) {
        const qkv = randn(rng, [B * T, 3 * d]);
        const padMask = Uint8Array.from({ length: B * T }, (_, i) => (i % T < T - 2 || i < T ? 1 : 0));
        await checkAgainstPlain(
          `causal attention B=${B} T=${T}`,
          (q) => attention(q as tf.Tensor2D, B, T, H, { causal: true }),
          [qkv],
          rng,
          "HbSoftmaxGrad",
        );
        await checkAgainstPlain(
          `padded attention B=${B} T=${T}`,
          (q) => attention(q as tf.Tensor2D, B, T, H, { causal: false, padMask }),
          [qkv],
          rng,
          "HbSoftmaxGrad",
        );
      }
      // With 2 threads the [B·H, T, dh] products share their batch out over the threads.
      assert(
        (nativeKernelStatus().calls["BatchMatMul (batch over threads)"] ?? 0) > batchedBefore,
        "batched products ran on one thread",
      );
      assert(
        (nativeKernelStatus().calls.HbSplitHeads ?? 0) > 0 && (nativeKernelStatus().calls.HbMergeHeads ?? 0) > 0,
        "heads were not split natively",
      );
      const targets = Int32Array.from({ length: 64 }, () => rng.int(1000));
      await checkAgainstPlain(
        "crossEntropy [64, 1000] (native Softmax)",
        (z) => crossEntropy(z as tf.Tensor2D, targets),
        [randn(rng, [64, 1000], 4)],
        rng,
        "Softmax",
      );
    }),
});

Deno.test({
  name: `results do not depend on the thread count (BLAS products, LayerNorm column sums, batched products) ${WHY}`,
  ...needs,
  fn: async () => {
    const rng = new Rng(24);
    const [x, g, b] = [randn(rng, [300, 256]), randn(rng, [256]), randn(rng, [256])];
    const qkv = randn(rng, [4 * 64, 3 * 64]);
    const ln = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D);
    const att = (q: tf.Tensor) => attention(q as tf.Tensor2D, 4, 64, 2, { causal: true });
    // 512·256·384 multiply-adds: above SMALL_PRODUCT, so OpenBLAS itself runs it on 2 threads.
    const [a, w] = [randn(rng, [512, 256]), randn(rng, [256, 384])];
    const lin = (a: tf.Tensor, w: tf.Tensor) => linear(a as tf.Tensor2D, w as tf.Tensor2D);
    const run = () => [
      ...valueAndGrads(lin, [a, w], tf.onesLike(tf.tidy(() => lin(a, w)))),
      ...valueAndGrads(ln, [x, g, b], tf.onesLike(x)),
      ...valueAndGrads(att, [qkv], tf.onesLike(tf.tidy(() => att(qkv)))),
    ];
    let one: Float32Array[] = [];
    await withNative(1, () => {
      one = run();
    });
    // Our own kernels (LayerNorm's column sums, attention's batch of 1-thread products) are bit-identical
    // on any thread count. OpenBLAS's own threaded product is only where this CPU's kernels make it so
    // (not on an AMD EPYC with AVX2): there the product and its gradients agree within float32 rounding.
    const blas = blasThreadReproducibility(loadOpenBlas()!, 2);
    const products = 3; // lin's value and its two gradients come first
    await withNative(2, () =>
      run().forEach((got, i) => {
        if (i < products && !blas.bitIdentical) assertArrayClose(got, one[i], 1e-5, `output ${i}`);
        else assertEquals(got, one[i], `output ${i}`);
      }));
  },
});

Deno.test({
  name: `the OpenBLAS thread probe finds what a direct comparison finds ${WHY}`,
  ...needs,
  fn: async () => {
    const blas = loadOpenBlas()!;
    const probe = blasThreadReproducibility(blas, 2);
    assertEquals(probe.values, 512 * 384);
    assertEquals(probe.bitIdentical, probe.differing === 0);
    assert(probe.maxAbsDiff < 1e-3, `threaded products differ by ${probe.maxAbsDiff}`);
    // The summary a manifest records carries the probe when more than one thread is in use.
    await withNative(2, async () => {
      const { kernelSummary } = await import("../kernels/summary.ts");
      assertEquals(kernelSummary().blas.threadReproducibility, probe);
    });
  },
});

Deno.test({
  name:
    `native overrides of Softmax, Transpose, Add, Sub, Multiply, RealDiv give wasm's results (each broadcast, either side) ${WHY}`,
  ...needs,
  fn: () =>
    withNative(2, async () => {
      const rng = new Rng(22);
      const big = [4, 100, 128];
      const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
        ["Add", tf.add],
        ["Sub", tf.sub],
        ["Multiply", tf.mul],
        ["RealDiv", tf.div],
      ];
      // Same shape, scalar, row [d], [1, d], trailing dims, column [.., rows, 1], and one the native
      // kernel leaves alone (broadcast over a middle axis).
      const partners = [big, [], [128], [1, 128], [100, 128], [4, 100, 1], [4, 1, 128]];
      for (const [name, op] of ops) {
        for (const other of partners) {
          const a = randn(rng, big);
          const b = tf.add(tf.abs(randn(rng, other)), 0.5); // away from 0 for RealDiv
          await checkAgainstPlain(`${name} ${big} with [${other}]`, (x, y) => op(x, y), [a, b], rng);
          await checkAgainstPlain(`${name} [${other}] with ${big}`, (x, y) => op(y, x), [a, b], rng);
        }
      }
      const calls = nativeKernelStatus().calls;
      for (const [name] of ops) assert((calls[name] ?? 0) > 0, `${name} never ran natively`);
      assert((nativeKernelStatus().fallbacks.Add ?? 0) > 0, "[4, 1, 128] against [4, 100, 128] should fall back");
      await checkAgainstPlain("softmax rank 3", (x) => tf.softmax(x), [randn(rng, [8, 50, 130], 5)], rng, "Softmax");
      // Transpose of two neighbouring axes (block copies), and perms it hands back to wasm.
      await checkAgainstPlain(
        "transpose [0, 2, 1, 3]",
        (x) => tf.transpose(x, [0, 2, 1, 3]),
        [randn(rng, [16, 64, 12, 64])],
        rng,
        "Transpose",
      );
      await checkAgainstPlain(
        "transpose [1, 0, 2]",
        (x) => tf.transpose(x, [1, 0, 2]),
        [randn(rng, [5, 7, 8])],
        rng,
        "Transpose",
      );
      await checkAgainstPlain("transpose [0, 2, 1] (rows of 1)", (x) => tf.transpose(x, [0, 2, 1]), [
        randn(rng, [3, 5, 7]),
      ], rng);
      await checkAgainstPlain("transpose [2, 1, 0]", (x) => tf.transpose(x, [2, 1, 0]), [randn(rng, [3, 5, 7])], rng);
      const ints = tf.tidy(() =>
        Array.from(
          tf.transpose(tf.tensor3d(Int32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4], "int32"), [1, 0, 2])
            .dataSync(),
        )
      );
      assertEquals(ints.slice(0, 12), [0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7]);
      // Masked scores (-1e9) give exact zeros, as wasm's kernel does.
      const masked = tf.tidy(() => Array.from(tf.softmax(tf.tensor2d([[0, -1e9, Math.log(3)]])).dataSync()));
      assertEquals(masked[1], 0);
      assert(Math.abs(masked[0] - 0.25) < 1e-7 && Math.abs(masked[2] - 0.75) < 1e-7, `${masked}`);
    }),
});

Deno.test({
  name:
    `native target log-probabilities match logSumExp's, by hand and at random, the same bits on 1 and 2 threads ${WHY}`,
  ...needs,
  fn: async () => {
    const rng = new Rng(23);
    // 300 rows of 2,000 classes (above the 2-thread threshold), some masked at -1e9 (never a target).
    const [n, C] = [300, 2000];
    const values = Float32Array.from({ length: n * C }, (_, i) => (i % 97 === 5 ? -1e9 : rng.normal() * 6));
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 7919 + 3) % C);
    targets.forEach((t, i) => values[i * C + t] === -1e9 && (targets[i] = (t + 1) % C));
    const logits = tf.tensor2d(values, [n, C]);
    const run = () => tf.tidy(() => Float32Array.from(logProbsOfTargets(logits, targets).dataSync()));
    await initBackend("wasm");
    const plain = run();
    const byThreads: Float32Array[] = [];
    for (const threads of [1, 2]) {
      await withNative(threads, () => {
        const before = nativeKernelStatus().calls.HbTargetLogProbs ?? 0;
        byThreads.push(run());
        assert((nativeKernelStatus().calls.HbTargetLogProbs ?? 0) > before, "HbTargetLogProbs did not run");
        // ln p of [0, ln 3]: ln 0.25 and ln 0.75; a masked class takes no mass.
        const hand = tf.tidy(() =>
          Array.from(
            logProbsOfTargets(
              tf.tensor2d([[0, Math.log(3)], [0, Math.log(3)], [Math.log(3), -1e9]]),
              Int32Array.of(0, 1, 0),
            )
              .dataSync(),
          )
        );
        assertArrayClose(hand, [Math.log(0.25), Math.log(0.75), 0], 1e-6);
      });
    }
    const err = maxRelError(byThreads[1], plain);
    assert(err < TOLERANCE, `relative error ${err} against logSumExp`);
    assertEquals(byThreads[1], byThreads[0]);
    logits.dispose();
  },
});

Deno.test({
  name: `native Identity aliases without copying, and the alias outlives its source ${WHY}`,
  ...needs,
  fn: () =>
    withNative(1, () => {
      const x = tf.tensor1d([1, 2, 3]);
      const buffersBefore = tf.memory().numDataBuffers;
      const y = tf.clone(x);
      assertEquals(tf.memory().numDataBuffers, buffersBefore); // one buffer, two tensors
      x.dispose();
      assertEquals(Array.from(y.dataSync()), [1, 2, 3]);
      y.dispose();
      const ints = tf.clone(tf.tensor1d([4, 5], "int32"));
      assertEquals(Array.from(ints.dataSync()), [4, 5]);
      ints.dispose();
    }),
});

/** One AdamW step over `shapes` with fixed values, returning the new parameters and moments. */
function adamStep(seed: number, shapes: number[][]): Float32Array[] {
  const rng = new Rng(seed);
  const params = new Map(shapes.map((s, i) => [i % 2 ? `norm${i}.b` : `w${i}`, tf.variable(randn(rng, s))]));
  const grads = new Map([...params.keys()].map((name, i) => [name, randn(rng, shapes[i], 0.1)]));
  const adam = new AdamW(params, {
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weightDecay: 0.1,
    noDecay: (n) => n.startsWith("norm"),
  });
  adam.apply(grads, 1e-3);
  adam.apply(new Map([...grads].map(([k, g]) => [k, tf.neg(g)])), 2e-3);
  const out = [...params.values(), ...adam.m.values(), ...adam.v.values()].map((t) =>
    Float32Array.from(t.dataSync() as Float32Array)
  );
  adam.dispose();
  tf.dispose([...params.values(), ...grads.values()]);
  return out;
}

Deno.test({
  name: `native AdamW (one C loop per parameter) gives the plain update bit for bit, decay and no decay ${WHY}`,
  ...needs,
  fn: async () => {
    const shapes = [[300, 256], [256], [7, 3], []];
    await initBackend("wasm");
    const plain = adamStep(5, shapes);
    await withNative(2, () => {
      const before = nativeKernelStatus().calls.HbAdamW ?? 0;
      const fast = adamStep(5, shapes);
      assertEquals(nativeKernelStatus().calls.HbAdamW - before, 2 * shapes.length);
      fast.forEach((got, i) => assertEquals(got, plain[i], `tensor ${i}`));
    });
  },
});

/** Loss and every parameter gradient of the tiny model on a fixed batch, for `objective`. */
function tinyModelGrads(objective: Objective, dModel = 64) {
  const config = loadModelConfig("tiny", { dModel, heads: 2, dFF: 4 * dModel, vocabSize: 300, context: 32 });
  const rng = new Rng(31);
  const batch = makeDecoderBatch(
    Array.from({ length: 4 }, () => Int32Array.from({ length: 33 }, () => rng.int(config.vocabSize))),
  );
  const model = createModel(config, 3);
  const { loss, grads } = lossAndGrads(model, objective, batch);
  const out = Object.fromEntries([...grads].map(([name, g]) => [name, Array.from(g.dataSync() as Float32Array)]));
  tf.dispose([...grads.values()]);
  model.dispose();
  return { loss, grads: out };
}

function compareModels(label: string, got: ReturnType<typeof tinyModelGrads>, want: ReturnType<typeof tinyModelGrads>) {
  assert(Math.abs(got.loss - want.loss) < 1e-5 * Math.abs(want.loss), `${label}: loss ${got.loss} vs ${want.loss}`);
  assertEquals(Object.keys(got.grads).sort(), Object.keys(want.grads).sort());
  for (const [name, g] of Object.entries(want.grads)) {
    const err = maxRelError(got.grads[name], g);
    assert(err < TOLERANCE, `${label}: gradient of ${name} relative error ${err}`);
  }
}

Deno.test({
  name:
    `a whole model's loss and every parameter gradient agree between native kernels and plain wasm, both objectives ${WHY}`,
  ...needs,
  fn: async () => {
    for (const objective of ["softmax", "cwt"] as Objective[]) {
      await initBackend("wasm");
      const plain = tinyModelGrads(objective);
      await withNative(2, () => {
        const before = nativeKernelStatus().calls.HbLayerNormGrad ?? 0;
        compareModels(objective, tinyModelGrads(objective), plain);
        assert(nativeKernelStatus().calls.HbLayerNormGrad > before, "the native LayerNorm did not run");
        assert(fastPathSwitches().nativeGelu && fastPathSwitches().nativeLayerNorm && blasMatMulStatus().enabled);
      });
    }
  },
});

Deno.test({
  name:
    `without a compiler (${CC_ENV} naming a missing file) wasm-blas says why, keeps the wasm kernels and gives the same numbers ${WHY}`,
  ...needs,
  fn: async () => {
    const here = (p: string) => new URL(p, import.meta.url).href;
    const code = `import { initBackend } from "${here("../backends/mod.ts")}";
      import { nativeKernelStatus } from "${here("../kernels/native_backend.ts")}";
      import { tinyModelGradsFor } from "${here("./native_kernels_test.ts")}";
      const backend = await initBackend("wasm-blas");
      const out = { backend, status: nativeKernelStatus(), softmax: tinyModelGradsFor("softmax"), cwt: tinyModelGradsFor("cwt") };
      console.log(JSON.stringify(out));
      Deno.exit(0);`;
    const cache = await Deno.makeTempDir();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
      env: { [CC_ENV]: "/nonexistent/cc", XDG_CACHE_HOME: cache },
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Deno.remove(cache, { recursive: true });
    assert(out.success, new TextDecoder().decode(out.stderr));
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const child = JSON.parse(lines[lines.length - 1]);
    assertEquals(child.backend, "wasm-blas");
    assertEquals(child.status.enabled, false);
    assertStringIncludes(child.status.reason, "/nonexistent/cc");
    await withNative(1, () => {
      assert(nativeKernelStatus().enabled);
      for (const objective of ["softmax", "cwt"] as const) {
        compareModels(`fallback ${objective}`, child[objective], tinyModelGrads(objective));
      }
    });
  },
});

Deno.test({
  name: `disabling puts wasm's own kernels back and the fused kernels refuse to run ${WHY}`,
  ...needs,
  fn: () =>
    withNative(1, () => {
      assert(nativeKernelStatus().kernels.includes("Softmax"));
      disableNativeKernels();
      assertEquals(nativeKernelStatus().enabled, false);
      const before = nativeKernelStatus().calls.Softmax ?? 0;
      tf.tidy(() => tf.softmax(tf.tensor2d([[1, 2]])).dataSync());
      assertEquals(nativeKernelStatus().calls.Softmax ?? 0, before);
      let threw = false;
      try {
        runNative("HbGelu", { x: tf.tensor1d([1]) });
      } catch {
        threw = true;
      }
      assert(threw, "HbGelu ran with the native kernels disabled");
      assert(enableNativeKernels());
      setNativeThreads(1);
    }),
});

Deno.test("a cached kernel build is found only when its bytes hash to the sha256 recorded in its name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const key = sha256("a build key");
    const genuine = new TextEncoder().encode("genuine build");
    const path = join(dir, `${key}.${sha256(genuine)}.so`);
    await Deno.writeFile(path, genuine);
    await Deno.writeFile(join(dir, `${sha256("another key")}.${sha256("x")}.so`), new TextEncoder().encode("x"));
    assertEquals(verifiedBuild(dir, key), { path, sha256: sha256(genuine) });
    await Deno.writeFile(path, new TextEncoder().encode("another build"));
    assertEquals(verifiedBuild(dir, key), null);
    assertEquals([...Deno.readDirSync(dir)].length, 1, "the mismatched build must be removed, the other key's kept");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    `a different build under the cache's file name is not loaded: rebuilt, and the status names the real hash ${WHY}`,
  ...needs,
  fn: async () => {
    const genuine = loadNativeLib()!;
    assertEquals(sha256(await Deno.readFile(genuine.path)), genuine.sha256);
    const cache = await Deno.makeTempDir();
    try {
      // Another build: the genuine bytes with one more (still a loadable library), under the genuine name.
      await Deno.mkdir(join(cache, "headless-bench", "native"), { recursive: true });
      const planted = join(cache, "headless-bench", "native", basename(genuine.path));
      const other = new Uint8Array([...await Deno.readFile(genuine.path), 0]);
      await Deno.writeFile(planted, other);
      const here = (p: string) => new URL(p, import.meta.url).href;
      const code = `import { loadNativeLib } from "${here("../kernels/native_lib.ts")}";
        const lib = loadNativeLib();
        console.log(JSON.stringify({ path: lib?.path, sha256: lib?.sha256 }));`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
        env: { XDG_CACHE_HOME: cache },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert(out.success, stderr);
      const child = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
      assertStringIncludes(stderr, "does not match the hash recorded when it was built");
      assert(child.sha256 !== sha256(other), "the planted build was loaded");
      assertEquals(sha256(await Deno.readFile(child.path)), child.sha256);
      assert(basename(child.path).endsWith(`.${child.sha256}.so`), child.path);
    } finally {
      await Deno.remove(cache, { recursive: true });
    }
  },
});

/** For the fallback test's child process: the same model gradients, exported. */
export const tinyModelGradsFor = tinyModelGrads;

Deno.test("environment defaults set for OpenBLAS / libgomp are recorded and kept from child processes (the peer)", () => {
  assert(setEnvDefault("HB_TEST_DEFAULT", "4"));
  assertEquals(Deno.env.get("HB_TEST_DEFAULT"), "4");
  assert(!setEnvDefault("HB_TEST_DEFAULT", "5"), "an existing value must be kept");
  Deno.env.set("HB_TEST_ALT", "x");
  assert(!setEnvDefault("HB_TEST_OTHER", "1", ["HB_TEST_ALT"]), "an alternative already set must win");
  assertEquals(Deno.env.get("HB_TEST_OTHER"), undefined);
  const child = inheritedEnvWithoutDefaults()!;
  for (const name of envDefaultsSet()) assertEquals(child[name], undefined, name);
  assertEquals(child.HB_TEST_ALT, "x");
  assertEquals(child.PATH, Deno.env.get("PATH"));
  Deno.env.delete("HB_TEST_DEFAULT");
  Deno.env.delete("HB_TEST_ALT");
});
