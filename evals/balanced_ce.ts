/**
 * Classification losses for GLUE fine-tuning: plain cross-entropy, and the paper's balanced
 * cross-entropy (Godey et al. 2023, appendix E.1): cross-entropy weighted per class by the inverse of
 * that class's frequency in the batch.
 *
 * The official code could not settle the normalisation: glue_finetuning.py in NathanGodey/headless-lm
 * passes `weighted_ce=True` to GlueBenchmark, but the stored engine/tasks/benchmark/glue.py (commit
 * 5c074631) takes no such argument and the task losses (classification/sentence.py, nli.py) call
 * F.cross_entropy(logits.softmax(-1), labels) with no weight (and a softmax too many). So we take the
 * PyTorch reading of "F.cross_entropy(logits, labels, weight=w)" with w_c = 1 / n_c, n_c the count of
 * class c in the batch:
 *
 *     L = Σ_i w_{y_i} ℓ_i / Σ_i w_{y_i},   ℓ_i = −log softmax(logits_i)[y_i]
 *
 * which is the mean over the classes present in the batch of each class's mean loss. It does not
 * depend on the scale of w (counts or frequencies give the same loss), equals plain CE when the batch
 * is balanced or holds one class, and gives absent classes no weight. Logits go through one
 * log-softmax (not the released code's double softmax). Counts come from the labels, so no gradient
 * flows through the weights.
 */
import * as tf from "@tensorflow/tfjs";

/** Per-example cross-entropy −log softmax(logits)[label], shape [batch]. */
function perExampleCrossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1));
}

function oneHotOf(logits: tf.Tensor2D, labels: tf.Tensor1D | number[]): tf.Tensor2D {
  const [batch, classes] = logits.shape;
  const ids = Array.isArray(labels) ? tf.tensor1d(labels, "int32") : tf.cast(labels, "int32");
  if (ids.shape[0] !== batch) {
    throw new RangeError(`${ids.shape[0]} labels for a batch of ${batch} logits rows; expected as many`);
  }
  return tf.cast(tf.oneHot(ids, classes), "float32") as tf.Tensor2D;
}

/** Mean cross-entropy of `logits` [batch, classes] against integer `labels` [batch]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D | number[]): tf.Scalar {
  return tf.tidy(() => tf.mean(perExampleCrossEntropy(logits, oneHotOf(logits, labels))) as tf.Scalar);
}

/** Balanced cross-entropy (see the module comment): each class present weighs the same, whatever its count. */
export function balancedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D | number[]): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = oneHotOf(logits, labels);
    const counts = tf.sum(oneHot, 0);
    const classWeights = tf.where(tf.greater(counts, 0), tf.div(1, tf.maximum(counts, 1)), tf.zerosLike(counts));
    const exampleWeights = tf.sum(tf.mul(oneHot, classWeights), 1);
    const losses = perExampleCrossEntropy(logits, oneHot);
    return tf.div(tf.sum(tf.mul(exampleWeights, losses)), tf.sum(exampleWeights)) as tf.Scalar;
  });
}

/** Names of the losses in {@link CLASSIFICATION_LOSSES}. */
export type ClassificationLossName = "plain" | "balanced";

/** The classification losses by name: the paper's protocol uses `balanced`; table 13's uses `plain`. */
export const CLASSIFICATION_LOSSES: Readonly<
  Record<ClassificationLossName, (logits: tf.Tensor2D, labels: tf.Tensor1D | number[]) => tf.Scalar>
> = { plain: crossEntropy, balanced: balancedCrossEntropy };
