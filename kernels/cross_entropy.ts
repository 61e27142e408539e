/**
 * The fused cross-entropy kernels (CrossEntropy, CrossEntropyGrad) for the wasm backend with OpenBLAS
 * products: the loss from one Softmax kernel, read straight out of the wasm heap. wasm's Softmax (max,
 * exp, sum and divide in one pass) is about 2x faster than tfjs's Exp kernel alone, and JS's Math.exp
 * is 4x slower still. The loss is −log p[i, target]; a row whose target probability is below TINY_PROB
 * gets log-sum-exp − z from its logits in float64 instead. The backward is p·(dy/n) with dy/n taken off
 * each target entry in place.
 */
import * as tf from "@tensorflow/tfjs";
import { heapFloats, isWasmBackend } from "./wasm_heap.ts";

/** Below this a float32 probability has lost precision (or is 0): take that row's loss from the logits. */
const TINY_PROB = 1e-30;

/** A tensor's own memory in the wasm heap. */
function floatsOf(t: tf.Tensor): Float32Array {
  const backend = tf.backend();
  if (!isWasmBackend(backend)) throw new Error(`fused cross-entropy: the active backend is ${tf.getBackend()}`);
  return heapFloats(backend, t, t.shape);
}

/** Mean cross-entropy of logits [n, C] against `targets` (checked by the caller), and the softmax rows. */
export function crossEntropyForward(logits: tf.Tensor2D, targets: Int32Array): [tf.Scalar, tf.Tensor2D] {
  const [n, classes] = logits.shape;
  const p = tf.softmax(logits) as tf.Tensor2D;
  const probs = floatsOf(p);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const picked = probs[i * classes + targets[i]];
    total += picked > TINY_PROB ? -Math.log(picked) : rowLoss(logits, i, targets[i]);
  }
  return [tf.scalar(total / n), p];
}

/** The logits' gradient (p − onehot)·dy/n from the softmax rows p. */
export function crossEntropyBackward(p: tf.Tensor2D, dy: tf.Tensor, targets: Int32Array): tf.Tensor2D {
  const [n, classes] = p.shape;
  const scale = (dy.dataSync() as Float32Array)[0] / n;
  const grad = tf.mul(p, scale) as tf.Tensor2D;
  const g = floatsOf(grad);
  for (let i = 0; i < n; i++) g[i * classes + targets[i]] -= scale;
  return grad;
}

/** log-sum-exp of row i of logits minus its entry `target`, in float64. */
function rowLoss(logits: tf.Tensor2D, i: number, target: number): number {
  const row = tf.tidy(() => tf.slice(logits, [i, 0], [1, logits.shape[1]]).dataSync() as Float32Array);
  let max = -Infinity;
  for (const z of row) max = Math.max(max, z);
  let sum = 0;
  for (const z of row) sum += Math.exp(z - max);
  return Math.log(sum) + max - row[target];
}
