/**
 * The pretraining objectives over the same model: `softmax` (cross-entropy of the LM head's logits
 * over the vocabulary) and `cwt` (Contrastive Weight Tying, Godey et al. 2023, section 3.2):
 *
 *   L = -1/|S| Σ_{i∈S} log( exp(o_i·e(x_i)) / Σ_{j∈S} exp(o_i·e(x_j)) )
 *
 * with o_i the final hidden state at scored position i and e(x) the row of the *input* embedding E of
 * the original token x (gathered differentiably, so E gets gradient as input and as target). It is the
 * cross-entropy of the |S|×|S| score matrix O Tᵀ against its diagonal, through a stable log-sum-exp:
 * no temperature, no projection, no symmetric term, duplicate tokens kept as negatives.
 *
 * Two of the paper's ablations: `ce+cwt` (the sum of both losses, with the softmax head) and
 * `nce-untied` (the CWT loss against a separate trainable target embedding `target.w` instead of E).
 *
 * The softmax head scores the scored positions only (`sparse`, the efficient way) or every position
 * with the loss still on the scored ones (`dense`, as Hugging Face's BertForMaskedLM, the paper's
 * baseline, computes it). Both give the same loss and gradients; they differ in cost only.
 */
import * as tf from "@tensorflow/tfjs";
import type { LmBatch } from "./batches.ts";
import { crossEntropy, embed, scoreCrossEntropy } from "./ops.ts";
import type { Model } from "./transformer.ts";
import type { HeadMode, Objective } from "./objective_names.ts";

export type { LmBatch } from "./batches.ts";

export * from "./objective_names.ts";

/** Softmax objective on given logits [n, V]: mean cross-entropy against `targets`. */
export function softmaxLoss(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  return crossEntropy(logits, targets);
}

/**
 * CWT on given outputs O [n, d] and target embeddings T [n, d] (row i = e(x_i)): cross-entropy of
 * O Tᵀ [n, n] against the diagonal.
 */
export function cwtLoss(outputs: tf.Tensor2D, targetEmbeddings: tf.Tensor2D): tf.Scalar {
  const n = outputs.shape[0];
  return scoreCrossEntropy(outputs, targetEmbeddings, Int32Array.from({ length: n }, (_, i) => i));
}

/** The hidden states of one batch: every row, and the scored ones. */
interface BatchStates {
  all: tf.Tensor2D;
  scored: tf.Tensor2D;
  batch: LmBatch;
}

/** Softmax cross-entropy on the scored positions, with logits from the scored rows or from every row. */
function softmaxPart(model: Model, s: BatchStates, head: HeadMode): tf.Scalar {
  if (head === "sparse" || scoresEveryRow(s.batch)) {
    return model.headCrossEntropy?.(s.scored, s.batch.targets) ?? softmaxLoss(model.logits(s.scored), s.batch.targets);
  }
  return softmaxLoss(embed(s.batch.positions, model.logits(s.all)), s.batch.targets);
}

const cwtPart = (s: BatchStates, targetTable: tf.Tensor2D) => cwtLoss(s.scored, embed(s.batch.targets, targetTable));

/** Each objective's loss from the batch's hidden states. */
const LOSSES: Record<Objective, (model: Model, s: BatchStates, head: HeadMode) => tf.Scalar> = {
  softmax: softmaxPart,
  cwt: (model, s) => cwtPart(s, model.embedding as tf.Tensor2D),
  "ce+cwt": (model, s, head) => tf.add(softmaxPart(model, s, head), cwtPart(s, model.embedding as tf.Tensor2D)),
  "nce-untied": (model, s) => cwtPart(s, model.targetEmbedding() as tf.Tensor2D),
};

/**
 * The batch's loss under `objective`, differentiable w.r.t. every parameter it uses: call it inside
 * tf.variableGrads (or see lossAndGrads). Tensors it makes belong to the caller's scope. `head` says
 * where a softmax head computes logits (default sparse: the scored positions only).
 */
export function lmLoss(model: Model, objective: Objective, batch: LmBatch, head: HeadMode = "sparse"): tf.Scalar {
  checkBatch(model, batch);
  const all = model.hidden(batch.tokens, batch.batch, batch.seqLen, batch.padMask);
  const scored = scoresEveryRow(batch) ? all : embed(batch.positions, all);
  return LOSSES[objective](model, { all, scored, batch }, head);
}

/** Loss value and gradients by stable parameter name (parameters the loss does not use are absent). */
export function lossAndGrads(
  model: Model,
  objective: Objective,
  batch: LmBatch,
  head: HeadMode = "sparse",
): { loss: number; grads: Map<string, tf.Tensor> } {
  const names = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => lmLoss(model, objective, batch, head), [...model.params.values()]);
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads: new Map(Object.entries(grads).map(([engineName, g]) => [names.get(engineName)!, g])) };
}

/** True when S is every position in order (decoder batches), so no gather is needed. */
function scoresEveryRow(batch: LmBatch): boolean {
  const p = batch.positions;
  if (p.length !== batch.batch * batch.seqLen) return false;
  for (let i = 0; i < p.length; i++) if (p[i] !== i) return false;
  return true;
}

function checkBatch(model: Model, batch: LmBatch): void {
  const { positions, targets } = batch;
  const n = batch.batch * batch.seqLen;
  const V = model.config.vocabSize;
  if (positions.length === 0) throw new Error("lmLoss: the batch scores no position (S is empty)");
  if (positions.length !== targets.length) {
    throw new Error(`lmLoss: ${positions.length} positions but ${targets.length} targets`);
  }
  for (let i = 0; i < positions.length; i++) {
    if (!(positions[i] >= 0 && positions[i] < n)) throw new Error(`lmLoss: position ${positions[i]} outside [0, ${n})`);
    if (!(targets[i] >= 0 && targets[i] < V)) throw new Error(`lmLoss: target id ${targets[i]} outside [0, ${V})`);
  }
}
