/**
 * Log-probabilities of chosen tokens under a transformer: one forward pass over a batch of equal-length
 * rows, the hidden rows at the scored positions through the head, a log-sum-exp per row, and only the
 * target's entry read back. Unlike causal_scorer.ts (which returns whole vocabulary rows, for argmax), no
 * vocabulary-sized row leaves the backend: BLiMP and bits per byte need only the targets' values.
 *
 * The head: the model's own softmax head when it has one (a decoder's LM head, an encoder's MLM head),
 * else the raw input embedding, logits = h Eᵀ (a headless CWT model scored against its own targets).
 */
import * as tf from "@tensorflow/tfjs";
import { runFused, useFastPath } from "../models/accelerator.ts";
import { embed, matMulNT } from "../models/ops.ts";
import type { Model } from "../models/transformer.ts";

/** A batch of `batch` rows of `seqLen` tokens (no padding) and the positions to score in it. */
export interface ScoreBatch {
  /** batch·seqLen token ids, row after row. */
  tokens: Int32Array;
  batch: number;
  seqLen: number;
  /** Flat indices (row·seqLen + column) of the hidden states to score. */
  positions: Int32Array;
  /** The token whose log-probability is wanted at each position. */
  targets: Int32Array;
}

/** Which head scores a model: its own, or Eᵀ when it has none. */
export function headName(model: Model): "own" | "E^T" {
  return model.hasHead() ? "own" : "E^T";
}

/** Logits of hidden rows h [n, d]: the model's head, or h Eᵀ for a model without one. */
export function headLogits(model: Model, h: tf.Tensor2D): tf.Tensor2D {
  return model.hasHead() ? model.logits(h) : matMulNT(h, model.embedding as tf.Tensor2D);
}

/** ln p(targets[i] | row) at each of `b.positions`, in order (natural log). */
export function targetLogProbs(model: Model, b: ScoreBatch): Float32Array {
  const n = b.positions.length;
  if (b.targets.length !== n) throw new Error(`targetLogProbs: ${n} positions but ${b.targets.length} targets`);
  if (n === 0) return new Float32Array(0);
  const V = model.config.vocabSize;
  for (const t of b.targets) {
    if (!(t >= 0 && t < V)) throw new Error(`targetLogProbs: target ${t} is outside the vocabulary [0, ${V})`);
  }
  const out = tf.tidy(() => {
    const h = model.hidden(b.tokens, b.batch, b.seqLen);
    return logProbsOfTargets(headLogits(model, embed(b.positions, h)), b.targets);
  });
  const values = out.dataSync() as Float32Array;
  out.dispose();
  return Float32Array.from(values);
}

/** ln softmax(logits)[i, targets[i]] for each row i (targets checked by the caller). */
export function logProbsOfTargets(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor1D {
  if (useFastPath("nativeLogProbs")) {
    return runFused("HbTargetLogProbs", { logits }, { targets: Int32Array.from(targets) }) as tf.Tensor1D;
  }
  const V = logits.shape[1];
  const flat = Int32Array.from(targets, (t, i) => i * V + t);
  return tf.tidy(() =>
    tf.sub(tf.gather(tf.reshape(logits, [-1]), tf.tensor1d(flat, "int32")), tf.logSumExp(logits, 1))
  );
}
