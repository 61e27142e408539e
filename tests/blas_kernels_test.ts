import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { BLAS_LIB_ENV, loadOpenBlas, pointerOf } from "../kernels/openblas.ts";
import {
  blasMatMulStatus,
  disableBlasMatMul,
  enableBlasMatMul,
  planProduct,
  setBlasThreads,
  SMALL_PRODUCT,
} from "../kernels/blas_backend.ts";
import { Rng } from "../util/rng.ts";

const blas = loadOpenBlas();
const noBlas = blas === null;
const NEEDS = "(needs OpenBLAS: apt-get install libopenblas0-pthread)";

await tf.setBackend("wasm");
await tf.ready();

const rng = new Rng(7);
function randomTensor(shape: number[]): tf.Tensor {
  const values = Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => rng.normal());
  return tf.tensor(values, shape);
}

/** Runs `f` with the plain wasm kernels, then puts the BLAS ones back. */
function plain<T>(f: () => T): T {
  disableBlasMatMul();
  try {
    return f();
  } finally {
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
  }
}

/** max |got - want| / max |want|, over all elements. */
function relativeError(got: tf.Tensor, want: tf.Tensor): number {
  assertEquals(got.shape, want.shape);
  const g = got.dataSync(), w = want.dataSync();
  let diff = 0, scale = 0;
  for (let i = 0; i < w.length; i++) {
    diff = Math.max(diff, Math.abs(g[i] - w[i]));
    scale = Math.max(scale, Math.abs(w[i]));
  }
  return diff / scale;
}

/** Naive row-major product of op(A) (m x k) and op(B) (k x n). */
function naiveProduct(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  }
  return c;
}

Deno.test("planProduct pairs broadcast batch matrices and names what BLAS must not take", () => {
  const f32 = (shape: number[]) => ({ shape, dtype: "float32" as const });
  assertEquals(planProduct(f32([2, 1, 5, 7]), f32([1, 3, 4, 7]), false, true), {
    m: 5,
    n: 4,
    k: 7,
    transA: false,
    transB: true,
    lda: 7,
    ldb: 7,
    outShape: [2, 3, 5, 4],
    aBatch: [0, 0, 0, 1, 1, 1],
    bBatch: [0, 1, 2, 0, 1, 2],
  });
  const tn = planProduct(f32([3, 6, 2]), f32([6, 4]), true, false);
  assert(typeof tn !== "string");
  assertEquals([tn.m, tn.n, tn.k, tn.lda, tn.ldb, tn.outShape, tn.aBatch, tn.bBatch], [2, 4, 6, 2, 4, [3, 2, 4], [
    0,
    1,
    2,
  ], [0, 0, 0]]);
  assertEquals(planProduct(f32([2, 3]), { shape: [3, 2], dtype: "int32" }, false, false), "dtype float32xint32");
  assertEquals(planProduct(f32([3]), f32([3, 2]), false, false), "rank below 2");
  assertEquals(planProduct(f32([2, 3]), f32([4, 2]), false, false), "inner dims differ");
  assertEquals(planProduct(f32([0, 3]), f32([3, 2]), false, false), "empty product");
  assertEquals(planProduct(f32([2, 5, 3]), f32([3, 3, 2]), false, false), "batch dims do not broadcast");
});

Deno.test({
  name: `cblas_sgemm binding matches a naive product for all four transpose flags ${NEEDS}`,
  ignore: noBlas,
  fn() {
    const [m, n, k] = [5, 4, 3];
    const a = Float32Array.from({ length: m * k }, (_, i) => i - 6);
    const b = Float32Array.from({ length: k * n }, (_, i) => (i % 5) * 0.5);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const c = new Float32Array(m * n).fill(99); // beta = 0 must overwrite, not add
        blas!.sgemm(
          transA,
          transB,
          m,
          n,
          k,
          1,
          pointerOf(a),
          transA ? m : k,
          pointerOf(b),
          transB ? k : n,
          0,
          pointerOf(c),
          n,
        );
        assertEquals(Array.from(c), Array.from(naiveProduct(a, b, m, n, k, transA, transB)));
      }
    }
    assertStringIncludes(blas!.config, "OpenBLAS");
  },
});

Deno.test(`without OpenBLAS (${BLAS_LIB_ENV} naming a missing file) enable says why and products stay right`, async () => {
  const kernels = new URL("../kernels/mod.ts", import.meta.url).href;
  const code = `import * as tf from "@tensorflow/tfjs";
    import "@tensorflow/tfjs-backend-wasm";
    import { blasMatMulStatus, enableBlasMatMul, loadOpenBlas, openBlasMissingReason } from "${kernels}";
    await tf.setBackend("wasm");
    const enabled = enableBlasMatMul();
    const product = Array.from(tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync());
    console.log(JSON.stringify({ blas: loadOpenBlas(), reason: openBlasMissingReason(), enabled, status: blasMatMulStatus(), product }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../deno.json", import.meta.url).pathname, code],
    env: { [BLAS_LIB_ENV]: "/nonexistent/libopenblas.so.0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const { blas, reason, enabled, status, product } = JSON.parse(lines[lines.length - 1]);
  assertEquals(blas, null);
  assertStringIncludes(reason, "/nonexistent/libopenblas.so.0");
  assertEquals(enabled, false);
  assertEquals(status.reason, reason);
  assertEquals(product, [19, 22, 43, 50]);
});

Deno.test({
  name: `enableBlasMatMul refuses, with a reason, when the active backend is not wasm ${NEEDS}`,
  ignore: noBlas,
  async fn() {
    disableBlasMatMul();
    await tf.setBackend("cpu");
    try {
      assertEquals(enableBlasMatMul(), false);
      assertStringIncludes(blasMatMulStatus().reason, "cpu");
    } finally {
      await tf.setBackend("wasm");
    }
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
  },
});

// [a shape, b shape, transposeA, transposeB]: odd sizes so no blocking divides evenly.
const PRODUCTS: [number[], number[], boolean, boolean][] = [
  [[37, 53], [53, 29], false, false],
  [[37, 53], [29, 53], false, true],
  [[53, 37], [53, 29], true, false],
  [[53, 37], [29, 53], true, true],
  [[128, 256], [256, 96], false, false],
  [[4, 17, 33], [4, 33, 9], false, false],
  [[4, 33, 17], [4, 9, 33], true, true],
  [[2, 3, 17, 33], [2, 3, 9, 33], false, true],
  [[4, 33, 17], [4, 33, 9], true, false],
  // The batched attention products of models/ops.ts (B·H pairs of T x dh): Q Kᵀ, P V, Pᵀ dO, dSᵀ Q.
  [[6, 40, 16], [6, 40, 16], false, true],
  [[6, 40, 40], [6, 40, 16], false, false],
  [[6, 40, 40], [6, 40, 16], true, false],
];

Deno.test({
  name: `BLAS BatchMatMul matches the plain wasm kernel (2-D, 3-D, 4-D, all transposes), leaking nothing ${NEEDS}`,
  ignore: noBlas,
  fn() {
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
    const dataIds = () => tf.backend().numDataIds();
    const idsBefore = dataIds();
    for (const [aShape, bShape, ta, tb] of PRODUCTS) {
      const before = blasMatMulStatus().blasCalls;
      tf.tidy(() => {
        const a = randomTensor(aShape), b = randomTensor(bShape);
        const got = tf.matMul(a, b, ta, tb);
        assertEquals(blasMatMulStatus().blasCalls, before + 1, "the product did not run on BLAS");
        const want = plain(() => tf.matMul(a, b, ta, tb));
        const err = relativeError(got, want);
        assert(err < 1e-5, `[${aShape}]x[${bShape}] ta=${ta} tb=${tb}: relative error ${err}`);
      });
    }
    assertEquals(dataIds(), idsBefore, "wasm heap buffers leaked");
  },
});

Deno.test({
  name: `BLAS BatchMatMul broadcasts batch dims like per-batch products (plain wasm errs on [2,1] x [1,3]) ${NEEDS}`,
  ignore: noBlas,
  fn() {
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
    tf.tidy(() => {
      // a: [3, 20, 16] x b: [16, 12] folds into one [60, 16] x [16, 12] product.
      const a = randomTensor([3, 20, 16]), w = randomTensor([16, 12]);
      const folded = tf.matMul(a, w);
      assertEquals(folded.shape, [3, 20, 12]);
      const perBatch = plain(() => tf.stack(tf.unstack(a).map((ai) => tf.matMul(ai, w))));
      assert(relativeError(folded, perBatch) < 1e-5);

      // x: [2, 1, 5, 7] against y: [1, 3, 7, 4], y transposed: output [2, 3, 5, 4].
      const x = randomTensor([2, 1, 5, 7]), y = randomTensor([1, 3, 4, 7]);
      const got = tf.matMul(x, y, false, true);
      assertEquals(got.shape, [2, 3, 5, 4]);
      const want = plain(() =>
        tf.stack(
          [0, 1].map((i) =>
            tf.stack([0, 1, 2].map((j) =>
              tf.matMul(
                x.slice([i, 0, 0, 0], [1, 1, 5, 7]).reshape([5, 7]),
                y.slice([0, j, 0, 0], [1, 1, 4, 7]).reshape([4, 7]),
                false,
                true,
              )
            ))
          ),
        )
      );
      assert(relativeError(got, want) < 1e-5);
    });
  },
});

Deno.test({
  name: `BLAS _FusedMatMul (bias, relu, transposes) matches plain wasm and the unfused ops ${NEEDS}`,
  ignore: noBlas,
  fn() {
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
    tf.tidy(() => {
      const a = randomTensor([40, 24]), b = randomTensor([24, 18]), bias = randomTensor([18]);
      for (const activation of ["linear", "relu"] as const) {
        const got = tf.fused.matMul({ a, b, bias, activation });
        const want = plain(() => tf.fused.matMul({ a, b, bias, activation }));
        assert(relativeError(got, want) < 1e-5, activation);
      }
      // Transposed operands and a scalar bias: compare with matMul + add + elu on plain wasm.
      const at = randomTensor([24, 40]), bt = randomTensor([18, 24]), scalar = tf.scalar(0.3);
      const got = tf.fused.matMul({
        a: at,
        b: bt,
        transposeA: true,
        transposeB: true,
        bias: scalar,
        activation: "elu",
      });
      const want = plain(() => tf.elu(tf.add(tf.matMul(at, bt, true, true), scalar)));
      assert(relativeError(got, want) < 1e-5);
    });
  },
});

Deno.test({
  name: `gradients through tf.grads of a batched composite match the plain wasm backend ${NEEDS}`,
  ignore: noBlas,
  fn() {
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
    tf.tidy(() => {
      const a = randomTensor([3, 12, 20]), b = randomTensor([3, 20, 16]), c = randomTensor([3, 16, 20]);
      const w = randomTensor([16, 8]);
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, w: tf.Tensor) => {
        const h = tf.tanh(tf.matMul(a, b)); // [3, 12, 16]
        const g = tf.matMul(h, c, false, false); // [3, 12, 20]
        const s = tf.matMul(g, a, false, true); // [3, 12, 12]
        const p = tf.matMul(tf.reshape(h, [36, 16]), w); // [36, 8]
        return tf.add(tf.sum(tf.mul(s, s)), tf.sum(tf.sigmoid(p)));
      };
      const before = blasMatMulStatus().blasCalls;
      const got = tf.grads(f)([a, b, c, w]);
      assert(blasMatMulStatus().blasCalls >= before + 12, "backward products did not run on BLAS");
      const want = plain(() => tf.grads(f)([a, b, c, w]));
      got.forEach((g, i) => {
        const err = relativeError(g, want[i]);
        assert(err < 1e-4, `gradient ${i}: relative error ${err}`);
      });
    });
  },
});

Deno.test({
  name: `unsupported products fall back to the original kernel and are counted ${NEEDS}`,
  ignore: noBlas,
  fn() {
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
    tf.tidy(() => {
      const empty = tf.matMul(tf.zeros([0, 3]), tf.ones([3, 2]));
      assertEquals(empty.shape, [0, 2]);
      assertEquals(blasMatMulStatus().fallbacks["empty product"] >= 1, true);
      const a = randomTensor([6, 5]), b = randomTensor([5, 4]), alpha = tf.fill([4], 0.1);
      const got = tf.fused.matMul({ a, b, activation: "prelu", preluActivationWeights: alpha });
      const want = plain(() => tf.prelu(tf.matMul(a, b), alpha));
      assert(relativeError(got, want) < 1e-5);
      assertEquals(blasMatMulStatus().fallbacks["prelu activation"] >= 1, true);
    });
  },
});

Deno.test({
  name: `small products run on one OpenBLAS thread, large ones on setBlasThreads' count ${NEEDS}`,
  ignore: noBlas,
  fn() {
    assert(enableBlasMatMul(), blasMatMulStatus().reason);
    try {
      assert(setBlasThreads(2));
      assertEquals(blasMatMulStatus().threads, 2);
      tf.tidy(() => {
        const small = tf.matMul(randomTensor([16, 8]), randomTensor([8, 4]));
        assertEquals(blas!.threads(), 1);
        const [m, k, n] = [256, 128, 256];
        assertEquals(m * k * n, SMALL_PRODUCT);
        const a = randomTensor([m, k]), b = randomTensor([k, n]);
        const large = tf.matMul(a, b);
        assertEquals(blas!.threads(), 2);
        assert(relativeError(large, plain(() => tf.matMul(a, b))) < 1e-5);
        assertEquals(small.shape, [16, 4]);
      });
    } finally {
      setBlasThreads(1);
    }
  },
});
