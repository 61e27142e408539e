/**
 * Fast differentiable ops. In tfjs-backend-wasm 4.22 only a 2-D matrix product with neither operand
 * transposed runs through XNNPACK; tf.matMul's own gradient uses transposed products (10-50x slower),
 * and tf.gather has no gradient on wasm. So every op here is a tf.customGrad whose plain path uses only
 * 2-D NN products (`mm`), explicit 2-D transposes, slices and gathers (backends/ installs faster wasm
 * Slice and GatherV2 kernels they rely on).
 *
 * Faster paths come from the backend's accelerator (accelerator.ts; installed by backends/ when the
 * backend starts): transposed products as flags, attention as batched products, fused kernels for
 * cross-entropy, GELU, LayerNorm and attention's softmax. Same results to float32 rounding
 * (tests/ops_test.ts checks values and gradients against the plain path).
 *
 * Every product adds 2·m·n·k to a running count while `countProductFlops` runs, which is how tests
 * check the analytic FLOP counter in flops.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { type FusedKernel, runFused, useFastPath } from "./accelerator.ts";

/** Running count of matrix-product FLOPs (2·m·n·k per m×k by k×n product), forward and backward. */
const productFlops: { enabled: boolean; count: number } = { enabled: false, count: 0 };

/** Runs `fn` (forward and/or backward) and returns its result with the product FLOPs it spent. */
export function countProductFlops<T>(fn: () => T): { result: T; flops: number } {
  const saved = { ...productFlops };
  productFlops.enabled = true;
  productFlops.count = 0;
  try {
    const result = fn();
    return { result, flops: productFlops.count };
  } finally {
    Object.assign(productFlops, saved);
  }
}

function countProduct(m: number, k: number, n: number, batch = 1): void {
  if (productFlops.enabled) productFlops.count += 2 * batch * m * k * n;
}

/** The one matrix product the plain path uses: 2-D, neither operand transposed. */
function mm(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  countProduct(a.shape[0], a.shape[1], b.shape[1]);
  return tf.matMul(a, b);
}

/** a bᵀ for a [m, k], b [n, k]: one sgemm with a flag on the fast path, else transpose + NN. */
function mmNT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (!useFastPath("transposedProducts")) return mm(a, tr(b));
  countProduct(a.shape[0], a.shape[1], b.shape[0]);
  return tf.matMul(a, b, false, true);
}

/**
 * Column sums of x [m, n] as a [1, m] by [m, n] product: 20-70x faster than tf.sum(x, 0) on wasm
 * (which transposes first). A reduction, not a model product: not counted in productFlops.
 */
function colSum(x: tf.Tensor): tf.Tensor1D {
  const [m, n] = x.shape as [number, number];
  return tf.reshape(tf.matMul(tf.ones([1, m]) as tf.Tensor2D, x as tf.Tensor2D), [n]);
}

/** Explicit 2-D transpose (a copy), so the product that follows is NN. */
function tr(x: tf.Tensor2D): tf.Tensor2D {
  return tf.transpose(x);
}

/**
 * Keeps tensors for the backward pass. tf.gradients runs the forward inside a tidy, so a tensor the
 * gradient needs must be saved and read back from `saved`: a closure's copy is disposed by then.
 */
type Saver = (tensors: tf.Tensor[]) => void;
type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/** tf.customGrad with loose typing: `f(...inputs, save)` returns the value and its gradient function. */
function custom<T extends tf.Tensor>(
  f: (...args: never[]) => { value: T; gradFunc: GradFunc },
): (...inputs: tf.Tensor[]) => T {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => T;
}

const linearNoBias = custom<tf.Tensor2D>((x: tf.Tensor2D, w: tf.Tensor2D, save: Saver) => {
  save([x, w]);
  return {
    value: mm(x, w),
    gradFunc: (dy, [x, w]) => [mmNT(dy as tf.Tensor2D, w as tf.Tensor2D), mmTN(x as tf.Tensor2D, dy as tf.Tensor2D)],
  };
});

const linearBias = custom<tf.Tensor2D>((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: Saver) => {
  save([x, w]);
  return {
    value: tf.add(mm(x, w), b),
    gradFunc: (dy, [x, w]) => [
      mmNT(dy as tf.Tensor2D, w as tf.Tensor2D),
      mmTN(x as tf.Tensor2D, dy as tf.Tensor2D),
      colSum(dy),
    ],
  };
});

/** x W (+ b) for x [m, k], W [k, n], b [n]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return b ? linearBias(x, w, b) : linearNoBias(x, w);
}

/**
 * aᵀ b for a [m, k], b [m, n] ([k, n]). On the fast path one sgemm with a flag. Else with explicit
 * transposes, of whichever side is smaller: a itself (m·k elements), or b and the [n, k] result of
 * bᵀ a (m·n + n·k). Large 2-D transposes are slow on wasm (~20 ns/element).
 */
function mmTN(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const [m, k] = a.shape;
  const n = b.shape[1];
  if (useFastPath("transposedProducts")) {
    countProduct(k, m, n);
    return tf.matMul(a, b, true, false);
  }
  return m * k <= m * n + n * k ? mm(tr(a), b) : tr(mm(tr(b), a));
}

/** a bᵀ for a [m, k], b [n, k]: e.g. logits against an embedding table, or CWT's score matrix. */
export const matMulNT: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = custom(
  (a: tf.Tensor2D, b: tf.Tensor2D, save: Saver) => {
    save([a, b]);
    return {
      value: mmNT(a, b),
      gradFunc: (dy, [a, b]) => [mm(dy as tf.Tensor2D, b as tf.Tensor2D), mmTN(dy as tf.Tensor2D, a as tf.Tensor2D)],
    };
  },
);

/** x [m, n] + b [n] on every row; b's gradient is dy's column sums. */
export const addBias: (x: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D = custom((x: tf.Tensor2D, b: tf.Tensor1D) => ({
  value: tf.add(x, b),
  gradFunc: (dy) => [dy, colSum(dy)],
}));

/** Ids as a 1-D int32 tensor for gather and scatterND. */
function idTensor(ids: Int32Array | tf.Tensor1D): tf.Tensor1D {
  return ids instanceof tf.Tensor ? ids : tf.tensor1d(ids, "int32");
}

/**
 * Rows `ids` of `table` ([V, d] -> [n, d]). The gradient scatters dy back into a [V, d] zero table,
 * summing rows of duplicate ids. Also used to pick the scored rows out of hidden states.
 */
export function embed(ids: Int32Array | tf.Tensor1D, table: tf.Tensor2D): tf.Tensor2D {
  const idx = idTensor(ids);
  // On the fusedEmbedGrad path the accelerator sums dy's rows per id itself (ids known here).
  const fused = ids instanceof Int32Array && useFastPath("fusedEmbedGrad");
  const op = custom((table: tf.Tensor2D, save: Saver) => {
    save([idx]);
    return {
      value: tf.gather(table, idx),
      gradFunc: (dy, [idx]) =>
        fused
          ? runFused("EmbedGrad", { dy }, { ids, rows: table.shape[0] })
          : tf.scatterND(tf.reshape(idx, [-1, 1]), dy, table.shape),
    };
  });
  return op(table);
}

/** Mean cross-entropy of `logits` [n, C] against class ids, via a stable log-sum-exp. */
export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  const [n, classes] = logits.shape;
  if (targets.length !== n) throw new Error(`crossEntropy: ${n} rows of logits but ${targets.length} targets`);
  if (n * classes > 2 ** 31 - 1) throw new Error(`crossEntropy: ${n}×${classes} logits exceed int32 indexing`);
  if (useFastPath("fusedCrossEntropy")) return fusedCrossEntropy(logits, targets);
  const flat = tf.tensor1d(targets.map((t, i) => i * classes + t), "int32");
  const op = custom((logits: tf.Tensor2D, save: Saver) => {
    const z = tf.sub(logits, tf.max(logits, 1, true));
    const e = tf.exp(z);
    const total = tf.sum(e, 1, true); // [n, 1]
    const lse = tf.log(total);
    const picked = tf.gather(tf.reshape(z, [-1]), flat);
    save([e, total, flat]);
    return {
      value: tf.mean(tf.sub(tf.reshape(lse, [-1]), picked)) as tf.Scalar,
      gradFunc: (dy, [e, total, flat]) => {
        const p = tf.div(e, total); // softmax, without a second exp over [n, C]
        // One-hot through scatterND: wasm's OneHot kernel writes int32 bits when asked for float32.
        const oneHot = tf.reshape(tf.scatterND(tf.reshape(flat, [-1, 1]), tf.ones([n]), [n * classes]), [n, classes]);
        return tf.mul(tf.sub(p, oneHot), tf.div(dy, n));
      },
    };
  });
  return op(logits);
}

/**
 * crossEntropy as the accelerator's fused kernels: CrossEntropy gives the loss and the state its
 * backward needs (e.g. the softmax rows), CrossEntropyGrad the logits' gradient from that state.
 */
function fusedCrossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  checkTargets("crossEntropy", targets, logits.shape[1]);
  return fusedPair("CrossEntropy", "CrossEntropyGrad", ["logits"], { targets })(logits) as tf.Scalar;
}

function checkTargets(op: string, targets: Int32Array, classes: number): void {
  for (let i = 0; i < targets.length; i++) {
    if (!(targets[i] >= 0 && targets[i] < classes)) {
      throw new Error(`${op}: target ${targets[i]} outside [0, ${classes})`);
    }
  }
}

/**
 * A differentiable op from a fused pair: `forward` gives [value, ...state] from inputs named `names`,
 * and `backward` their gradients from {dy, s0, s1, ...} (the state, in order). `onBackward` counts the
 * backward's products.
 */
function fusedPair(
  forward: FusedKernel,
  backward: FusedKernel,
  names: string[],
  attrs: Record<string, unknown>,
  onBackward?: () => void,
) {
  return custom((...args: never[]) => {
    const inputs = args.slice(0, names.length) as unknown as tf.Tensor[];
    const save = args[names.length] as unknown as Saver;
    const [value, ...state] = runFused(
      forward,
      Object.fromEntries(names.map((n, i) => [n, inputs[i]])),
      attrs,
    ) as tf.Tensor[];
    save(state);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        onBackward?.();
        return runFused(backward, { dy, ...Object.fromEntries(saved.map((t, i) => [`s${i}`, t])) }, attrs);
      },
    };
  });
}

/**
 * Mean cross-entropy of the scores a bᵀ (+ bias) (a [n, d], b [C, d], bias [C]) against class ids: a
 * softmax head over the vocabulary, or CWT's |S|×|S| score matrix. On the fusedScores path the
 * accelerator never holds all the scores at once; else crossEntropy(addBias(matMulNT(a, b), bias)).
 */
export function scoreCrossEntropy(a: tf.Tensor2D, b: tf.Tensor2D, targets: Int32Array, bias?: tf.Tensor1D): tf.Scalar {
  const [n, d] = a.shape;
  const classes = b.shape[0];
  if (!useFastPath("fusedScores")) {
    const scores = matMulNT(a, b);
    return crossEntropy(bias ? addBias(scores, bias) : scores, targets);
  }
  if (targets.length !== n) throw new Error(`scoreCrossEntropy: ${n} rows but ${targets.length} targets`);
  checkTargets("scoreCrossEntropy", targets, classes);
  // The same products as the unfused path: the scores, then da = G b and db = Gᵀ a.
  countProduct(n, d, classes);
  const backward = () => {
    countProduct(n, classes, d);
    countProduct(classes, n, d);
  };
  const names = bias ? ["a", "b", "bias"] : ["a", "b"];
  const op = fusedPair("ScoreCrossEntropy", "ScoreCrossEntropyGrad", names, { targets }, backward);
  return (bias ? op(a, b, bias) : op(a, b)) as tf.Scalar;
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Exact GELU, x·Φ(x), with its gradient Φ(x) + x·φ(x): one fused kernel each way on the nativeGelu path. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return useFastPath("nativeGelu") ? nativeGelu(x) : plainGelu(x);
}

const nativeGelu: (x: tf.Tensor) => tf.Tensor = custom((x: tf.Tensor, save: Saver) => {
  save([x]);
  return {
    value: runFused("HbGelu", { x }) as tf.Tensor,
    gradFunc: (dy, [x]) => runFused("HbGeluGrad", { x, dy }) as tf.Tensor,
  };
});

/** GELU from tfjs kernels (Φ kept from the forward: erf is costly on wasm). */
const plainGelu: (x: tf.Tensor) => tf.Tensor = custom((x: tf.Tensor, save: Saver) => {
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy, [x, cdf]) => {
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
      return tf.mul(dy, tf.add(cdf, tf.mul(x, pdf)));
    },
  };
});

/** LayerNorm's epsilon (Pythia and GPT-2 use 1e-5). */
export const LAYER_NORM_EPS = 1e-5;

/** LayerNorm over the last axis of x [n, d] with gain g [d] and bias b [d]. */
export function layerNorm(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor2D {
  return useFastPath("nativeLayerNorm") ? nativeLayerNorm(x, g, b) : plainLayerNorm(x, g, b);
}

/** LayerNorm as one fused kernel; the backward recomputes x̂ from x and the saved row means and 1/σ. */
const nativeLayerNorm: (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor2D = custom(
  (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: Saver) => {
    const [y, mean, rstd] = runFused("HbLayerNorm", { x, g, b }, { eps: LAYER_NORM_EPS }) as tf.Tensor[];
    save([x, g, mean, rstd]);
    return {
      value: y as tf.Tensor2D,
      gradFunc: (dy, [x, g, mean, rstd]) => runFused("HbLayerNormGrad", { x, g, mean, rstd, dy }) as tf.Tensor[],
    };
  },
);

const plainLayerNorm: (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor2D = custom(
  (x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: Saver) => {
    const { mean, variance } = tf.moments(x, 1, true);
    const rstd = tf.rsqrt(tf.add(variance, LAYER_NORM_EPS));
    const xhat = tf.mul(tf.sub(x, mean), rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy, [xhat, rstd, g]) => {
        const dxhat = tf.mul(dy, g);
        const dx = tf.mul(
          rstd,
          tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), 1, true))),
        );
        return [dx, colSum(tf.mul(dy, xhat)), colSum(dy)];
      },
    };
  },
);

/**
 * The additive score bias for all (batch, head) pairs at once, shaped to broadcast against scores
 * [B, H, T, T]: causal [T, T]; padding [B, 1, 1, T]; null when nothing is masked.
 */
function batchedScoreBias(batch: number, seqLen: number, mask: AttentionMask): tf.Tensor | null {
  if (mask.causal) return scoreBiases(1, seqLen, mask)[0];
  const pad = mask.padMask;
  if (!pad || pad.every((v) => v !== 0)) return null;
  return tf.tensor4d(Float32Array.from(pad, (v) => (v ? 0 : BLOCKED)), [batch, 1, 1, seqLen]);
}

/**
 * attention() as batched products over [B·H, T, dh] (one BatchMatMul per product for all pairs), for
 * when products run on BLAS: plain wasm's batched product is a scalar loop, BLAS's is an sgemm per
 * pair with transposes as flags. Q, K and V are picked out of one rank-4 transpose of qkv by row
 * gathers; their gradients go back through a concat and the inverse transpose.
 */
function batchedAttention(qkv: tf.Tensor2D, B: number, T: number, H: number, mask: AttentionMask): tf.Tensor2D {
  const [n, d3] = qkv.shape;
  const d = d3 / 3;
  const dh = d / H;
  const scale = 1 / Math.sqrt(dh);
  const bias = batchedScoreBias(B, T, mask);
  // Row b·3H + part·H + h of the [B·3H, T·dh] layout holds q (part 0), k (1) or v (2) of pair (b, h).
  const partRows = (part: number) =>
    tf.tensor1d(Int32Array.from({ length: B * H }, (_, i) => Math.floor(i / H) * 3 * H + part * H + (i % H)), "int32");
  const splitHeads = (qkv: tf.Tensor2D) => {
    const rows = tf.reshape(tf.transpose(tf.reshape(qkv, [B, T, 3 * H, dh]), [0, 2, 1, 3]), [B * 3 * H, T * dh]);
    return [0, 1, 2].map((part) => tf.reshape(tf.gather(rows, partRows(part)), [B * H, T, dh]) as tf.Tensor3D);
  };
  const count = (m: number, k: number, nn: number) => countProduct(m, k, nn, B * H);
  const native = useFastPath("nativeAttention");
  const op = custom((qkv: tf.Tensor2D, save: Saver) => {
    const [q, k, v] = native ? runFused("HbSplitHeads", { qkv }, { B, T, H }) as tf.Tensor3D[] : splitHeads(qkv);
    count(T, dh, T);
    let s = tf.mul(tf.matMul(q, k, false, true), scale);
    if (bias) s = tf.reshape(tf.add(tf.reshape(s, [B, H, T, T]), bias), [B * H, T, T]);
    const p = tf.softmax(s) as tf.Tensor3D;
    count(T, T, dh);
    const o = tf.matMul(p, v); // [B·H, T, dh]
    save([q, k, v, p, o]);
    return {
      value: tf.reshape(tf.transpose(tf.reshape(o, [B, H, T, dh]), [0, 2, 1, 3]), [n, d]) as tf.Tensor2D,
      gradFunc: (dy, saved) => {
        const [q, k, v, p, o] = saved as tf.Tensor3D[];
        const dO = tf.reshape(tf.transpose(tf.reshape(dy, [B, T, H, dh]), [0, 2, 1, 3]), [B * H, T, dh]) as tf.Tensor3D;
        count(T, T, dh);
        const dV = tf.matMul(p, dO, true, false);
        count(T, dh, T);
        const dP = tf.matMul(dO, v, false, true);
        const dS = (native
          ? runFused("HbSoftmaxGrad", { p, dp: dP }, { scale })
          : tf.mul(tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dO, o), 2, true))), scale)) as tf.Tensor3D;
        count(T, T, dh);
        const dQ = tf.matMul(dS, k);
        count(T, T, dh);
        const dK = tf.matMul(dS, q, true, false);
        if (native) {
          return runFused("HbMergeHeads", { q: dQ, k: dK, v: dV }, { B, T, H });
        }
        const parts = [dQ, dK, dV].map((g) =>
          tf.reshape(g, [B, 1, H, T * dh])
        );
        const dRows = tf.reshape(tf.concat(parts, 1), [B, 3 * H, T, dh]); // [B, 3, H, T·dh] = rows layout
        return tf.reshape(tf.transpose(dRows, [0, 2, 1, 3]), [n, d3]);
      },
    };
  });
  return op(qkv);
}

/**
 * attention() as the accelerator's fused Attention / AttentionGrad kernels (scores never leave the
 * kernel); the same product FLOPs are counted as on the batched path.
 */
function fusedAttention(qkv: tf.Tensor2D, B: number, T: number, H: number, mask: AttentionMask): tf.Tensor2D {
  const dh = qkv.shape[1] / (3 * H);
  countProduct(T, dh, T, B * H);
  countProduct(T, T, dh, B * H);
  const backward = () => {
    for (let i = 0; i < 4; i++) countProduct(T, T, dh, B * H);
  };
  const attrs = { B, T, H, causal: mask.causal, padMask: mask.padMask, blocked: BLOCKED };
  return fusedPair("Attention", "AttentionGrad", ["qkv"], attrs, backward)(qkv) as tf.Tensor2D;
}

/** Which keys a query may attend to: causal (decoder) or all real tokens of its row (encoder). */
export interface AttentionMask {
  causal: boolean;
  /** [batch·seqLen], 1 = real token, 0 = padding (keys at 0 get no attention). */
  padMask?: Uint8Array;
}

/** Additive score bias: -1e9 where attention is not allowed (a finite value keeps all-masked rows NaN-free). */
const BLOCKED = -1e9;

/** Per batch row, the additive [T, T] or [1, T] score bias, or null when nothing is masked. */
function scoreBiases(batch: number, seqLen: number, mask: AttentionMask): (tf.Tensor2D | null)[] {
  if (mask.causal) {
    const bias = new Float32Array(seqLen * seqLen);
    for (let i = 0; i < seqLen; i++) for (let j = i + 1; j < seqLen; j++) bias[i * seqLen + j] = BLOCKED;
    const t = tf.tensor2d(bias, [seqLen, seqLen]);
    return Array.from({ length: batch }, () => t);
  }
  const pad = mask.padMask;
  return Array.from({ length: batch }, (_, b) => {
    if (!pad) return null;
    const row = pad.subarray(b * seqLen, (b + 1) * seqLen);
    if (row.every((v) => v !== 0)) return null;
    return tf.tensor2d(Float32Array.from(row, (v) => (v ? 0 : BLOCKED)), [1, seqLen]);
  });
}

/**
 * Row `i` of a [rows, r·c] tensor as an [r, c] matrix. A contiguous slice: fast once initBackend has
 * replaced wasm's Slice kernel (the stock one copies all of x per call; wasm's Gather is slower still).
 */
function pick(x: tf.Tensor2D, i: number, r: number, c: number): tf.Tensor2D {
  return tf.reshape(tf.slice(x, [i, 0], [1, r * c]), [r, c]);
}

/**
 * Multi-head scaled dot-product attention. qkv [B·T, 3d] holds q | k | v, each split into heads of
 * d/heads columns; returns [B·T, d] with heads concatenated. Built per (batch row, head) from 2-D NN
 * products: rank-4 transposes lay out Q, K, V (and Kᵀ, Vᵀ) as rows of one matrix, sliced one at a
 * time. Backward uses dS = P ⊙ (dP − rowsum(dO ⊙ O)), with the row sums computed for all heads at once,
 * and forms dKᵀ = Qᵀ dS and dVᵀ = dOᵀ P so that no per-pair transposes are needed.
 */
export function attention(
  qkv: tf.Tensor2D,
  batch: number,
  seqLen: number,
  heads: number,
  mask: AttentionMask,
): tf.Tensor2D {
  const [n, d3] = qkv.shape;
  const [B, T, H] = [batch, seqLen, heads];
  const d = d3 / 3;
  const dh = d / H;
  if (n !== B * T || d % H !== 0 || !Number.isInteger(d)) {
    throw new Error(`attention: qkv shape [${qkv.shape}] does not fit batch ${B}, seqLen ${T}, heads ${H}`);
  }
  if (mask.padMask && mask.padMask.length !== n) {
    throw new Error(`attention: padMask has ${mask.padMask.length} entries, expected ${n}`);
  }
  const scale = 1 / Math.sqrt(dh);
  if (useFastPath("fusedAttention")) return fusedAttention(qkv, B, T, H, mask);
  if (useFastPath("batchedAttention")) return batchedAttention(qkv, B, T, H, mask);
  const biases = scoreBiases(B, T, mask);
  const op = custom((qkv: tf.Tensor2D, save: Saver) => {
    const x4 = tf.reshape(qkv, [B, T, 3 * H, dh]);
    // Row b·3H + part·H + h: the [T, dh] matrix (rows) or its [dh, T] transpose (cols) of q, k or v.
    const rows = tf.reshape(tf.transpose(x4, [0, 2, 1, 3]), [B * 3 * H, T * dh]) as tf.Tensor2D;
    const cols = tf.reshape(tf.transpose(x4, [0, 2, 3, 1]), [B * 3 * H, dh * T]) as tf.Tensor2D;
    const probs: tf.Tensor2D[] = [];
    const outs: tf.Tensor2D[] = [];
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const base = b * 3 * H + h;
        const q = pick(rows, base, T, dh);
        const kT = pick(cols, base + H, dh, T);
        const v = pick(rows, base + 2 * H, T, dh);
        let s = tf.mul(mm(q, kT), scale);
        if (biases[b]) s = tf.add(s, biases[b]!);
        const p = tf.softmax(s) as tf.Tensor2D;
        probs.push(p);
        outs.push(mm(p, v));
      }
    }
    const out4 = tf.reshape(tf.stack(outs), [B, H, T, dh]); // [B, H, T, dh]
    save([rows, cols, out4, ...probs]);
    return {
      value: tf.reshape(tf.transpose(out4, [0, 2, 1, 3]), [n, d]) as tf.Tensor2D,
      gradFunc: (dy, saved) => {
        const [rows, cols, out4] = saved as tf.Tensor2D[];
        const probs = saved.slice(3) as tf.Tensor2D[];
        const dy4 = tf.reshape(dy, [B, T, H, dh]);
        const dOut4 = tf.transpose(dy4, [0, 2, 1, 3]); // [B, H, T, dh]
        // Pre-scaled by 1/√dh (dP and the row sums only feed dS, which carries that factor), plus an
        // unscaled transposed copy for dVᵀ = dOᵀ P.
        const dOutRows = tf.reshape(tf.mul(dOut4, scale), [B * H, T * dh]) as tf.Tensor2D;
        const dOutCols = tf.reshape(tf.transpose(dy4, [0, 2, 3, 1]), [B * H, dh * T]) as tf.Tensor2D;
        const rowDots = tf.reshape(tf.mul(tf.sum(tf.mul(dOut4, out4), 3), scale), [B * H, T]) as tf.Tensor2D;
        // dQ in the rows layout; dKᵀ = Qᵀ dS and dVᵀ = dOᵀ P in the cols layout: no per-pair transposes.
        const dQ: tf.Tensor2D[] = [];
        const dKVt: tf.Tensor2D[] = new Array(B * 2 * H);
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < H; h++) {
            const base = b * 3 * H + h;
            const p = probs[b * H + h];
            const dP = mm(pick(dOutRows, b * H + h, T, dh), pick(cols, base + 2 * H, dh, T));
            const dS = tf.mul(p, tf.sub(dP, pick(rowDots, b * H + h, T, 1))) as tf.Tensor2D;
            dQ.push(mm(dS, pick(rows, base + H, T, dh)));
            dKVt[b * 2 * H + h] = mm(pick(cols, base, dh, T), dS);
            dKVt[b * 2 * H + H + h] = mm(pick(dOutCols, b * H + h, dh, T), p);
          }
        }
        const gq = tf.reshape(tf.transpose(tf.reshape(tf.stack(dQ), [B, H, T, dh]), [0, 2, 1, 3]), [n, d]);
        const gkv = tf.reshape(tf.transpose(tf.reshape(tf.stack(dKVt), [B, 2 * H, dh, T]), [0, 3, 1, 2]), [n, 2 * d]);
        return tf.concat([gq, gkv], 1);
      },
    };
  });
  return op(qkv);
}
