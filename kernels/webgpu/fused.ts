/**
 * The fused kernels the model ops ask for (models/accelerator.ts's FusedKernel), on the webgpu
 * backend: compositions of this project's WebGPU kernels (kernels.ts) and tfjs's own, run from the
 * main thread. The cross-entropy over scores a·bᵀ goes in blocks of rows, so the whole score matrix
 * (CWT's |S|×|S|, or logits over a large vocabulary) is never held at once.
 */
import * as tf from "@tensorflow/tfjs";

/** Bytes of one block of scores in scoreCrossEntropy (rows·C·4). */
export const SCORE_BLOCK_BYTES = 32 * 2 ** 20;

function kernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): tf.Tensor {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
}

/** Row-major flat indices i·C + targets[i]. */
function flatTargets(targets: Int32Array, classes: number): tf.Tensor1D {
  return tf.tensor1d(Int32Array.from(targets, (t, i) => i * classes + t), "int32");
}

/** CrossEntropy {logits}: [mean loss, logits, lse]: loss_i = lse_i − logits[i, targets[i]]. */
export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor[] {
  const lse = kernel("HbRowLogSumExp", { x: logits });
  const picked = tf.gather(tf.reshape(logits, [-1]), flatTargets(targets, logits.shape[1]));
  return [tf.mean(tf.sub(lse, picked)), logits, lse];
}

/** CrossEntropyGrad {dy, s0: logits, s1: lse}: (softmax − onehot)·dy/n in one pass. */
export function crossEntropyGrad(dy: tf.Tensor, logits: tf.Tensor, lse: tf.Tensor, targets: Int32Array): tf.Tensor {
  return kernel("HbSoftmaxXentGrad", {
    logits,
    lse,
    targets: tf.tensor1d(targets, "int32"),
    dy: tf.reshape(dy, [1]),
  }, { scale: 1 / logits.shape[0] });
}

/** Rows per block of scores: SCORE_BLOCK_BYTES of them, or `blockRows` when given (tests). */
function rowsPerBlock(n: number, classes: number, blockRows?: number): number {
  return Math.max(1, Math.min(n, blockRows ?? Math.floor(SCORE_BLOCK_BYTES / (4 * classes))));
}

/**
 * ScoreCrossEntropy {a [n, d], b [C, d], bias? [C]}: [mean loss, a, b, lse, bias?] of the cross-entropy
 * of a·bᵀ + bias against `targets`, the scores made and reduced one block of rows at a time.
 */
export function scoreCrossEntropy(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  targets: Int32Array,
  blockRows?: number,
  bias?: tf.Tensor1D,
): tf.Tensor[] {
  const [n] = a.shape;
  const rows = rowsPerBlock(n, b.shape[0], blockRows);
  const blocks: tf.Tensor[] = [];
  for (let start = 0; start < n; start += rows) {
    const size = Math.min(rows, n - start);
    blocks.push(tf.tidy(() => kernel("HbRowLogSumExp", { x: scoreBlock(a, b, bias, start, size) })));
  }
  const lse = blocks.length === 1 ? blocks[0] : tf.concat(blocks);
  // The target scores a_i·b_{targets[i]} (+ bias), without the score matrix.
  const ids = tf.tensor1d(targets, "int32");
  let picked = tf.sum(tf.mul(a, tf.gather(b, ids)), 1);
  if (bias) picked = tf.add(picked, tf.gather(bias, ids));
  return [tf.mean(tf.sub(lse, picked)), a, b, lse, ...(bias ? [bias] : [])];
}

/** Rows start..start+size of a·bᵀ (+ bias). */
function scoreBlock(a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor1D | undefined, start: number, size: number) {
  const scores = tf.matMul(tf.slice(a, [start, 0], [size, -1]), b, false, true);
  return bias ? tf.add(scores, bias) : scores;
}

/** Sum of `acc` (disposed) and `x` (disposed), or `x` when there is no `acc` yet. */
function accumulate(acc: tf.Tensor | null, x: tf.Tensor): tf.Tensor {
  if (!acc) return x;
  const sum: tf.Tensor = tf.add(acc, x);
  tf.dispose([acc, x]);
  return sum;
}

/** ScoreCrossEntropyGrad {dy, s0: a, s1: b, s2: lse, s3?: bias}: [da, db, dbias?], block by block. */
export function scoreCrossEntropyGrad(
  dy: tf.Tensor,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  lse: tf.Tensor1D,
  targets: Int32Array,
  blockRows?: number,
  bias?: tf.Tensor1D,
): tf.Tensor[] {
  const [n] = a.shape;
  const rows = rowsPerBlock(n, b.shape[0], blockRows);
  const dy1 = tf.reshape(dy, [1]);
  const da: tf.Tensor[] = [];
  let db: tf.Tensor | null = null;
  let dbias: tf.Tensor | null = null;
  for (let start = 0; start < n; start += rows) {
    const size = Math.min(rows, n - start);
    const [daBlock, dbBlock, dbiasBlock] = tf.tidy(() => {
      const g = kernel("HbSoftmaxXentGrad", {
        logits: scoreBlock(a, b, bias, start, size),
        lse: tf.slice(lse, [start], [size]),
        targets: tf.tensor1d(targets.subarray(start, start + size), "int32"),
        dy: dy1,
      }, { scale: 1 / n }) as tf.Tensor2D;
      const aBlock = tf.slice(a, [start, 0], [size, -1]) as tf.Tensor2D;
      return [tf.matMul(g, b), tf.matMul(g, aBlock, true, false), ...(bias ? [tf.sum(g, 0)] : [])];
    });
    da.push(daBlock);
    db = accumulate(db, dbBlock);
    if (dbiasBlock) dbias = accumulate(dbias, dbiasBlock);
  }
  return [da.length === 1 ? da[0] : tf.concat(da), db!, ...(dbias ? [dbias] : [])];
}

/** Attention attrs as the ops pass them. */
export interface AttentionAttrs {
  B: number;
  T: number;
  H: number;
  causal: boolean;
  padMask?: Uint8Array;
  /** The score bias of a masked key. */
  blocked: number;
}

function attentionKernelAttrs(qkv: tf.Tensor2D, { T, H, causal, blocked }: AttentionAttrs) {
  const dh = qkv.shape[1] / (3 * H);
  return { T, H, causal, blocked, scale: 1 / Math.sqrt(dh) };
}

/** The additive bias of each key: `blocked` where padMask is 0 (unused when causal). */
function keyBias({ B, T, causal, padMask, blocked }: AttentionAttrs): tf.Tensor1D {
  const bias = new Float32Array(B * T);
  if (!causal && padMask) { for (let i = 0; i < bias.length; i++) bias[i] = padMask[i] ? 0 : blocked; }
  return tf.tensor1d(bias);
}

/** Attention {qkv}: [out [B·T, d], qkv, out, lse]: one kernel for the log-sum-exps, one for the output. */
export function attention(qkv: tf.Tensor2D, attrs: AttentionAttrs): tf.Tensor[] {
  const k = attentionKernelAttrs(qkv, attrs);
  const bias = keyBias(attrs);
  const lse = kernel("HbAttnLse", { qkv, keyBias: bias }, k);
  const out = kernel("HbAttnOut", { qkv, keyBias: bias, lse }, k);
  return [out, qkv, out, lse];
}

/** AttentionGrad {dy, s0: qkv, s1: out, s2: lse}: dqkv [B·T, 3d] in one kernel after the row dots. */
export function attentionGrad(dy: tf.Tensor, qkv: tf.Tensor2D, out: tf.Tensor, lse: tf.Tensor, attrs: AttentionAttrs) {
  const k = attentionKernelAttrs(qkv, attrs);
  const rowDot = kernel("HbAttnRowDot", { dy, attnOut: out }, k);
  return kernel("HbAttnGrad", { qkv, keyBias: keyBias(attrs), lse, dy, rowDot }, k);
}

/** EmbedGrad {dy [n, d]}, {ids, rows}: [rows, d], row v the sum of dy's rows i with ids[i] = v, in order. */
export function embedGrad(dy: tf.Tensor, ids: Int32Array, rows: number): tf.Tensor {
  const offsets = new Int32Array(rows + 1);
  for (const id of ids) offsets[id + 1]++;
  for (let v = 0; v < rows; v++) offsets[v + 1] += offsets[v];
  const order = new Int32Array(ids.length);
  const next = offsets.slice(0, rows);
  ids.forEach((id, i) => order[next[id]++] = i);
  return kernel("HbSegmentSum", {
    dy,
    order: tf.tensor1d(order, "int32"),
    offsets: tf.tensor1d(offsets, "int32"),
  });
}
