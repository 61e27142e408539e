/** Gradient accumulation: mean loss and mean gradients over a step's micro-batches. */
import * as tf from "@tensorflow/tfjs";

/**
 * Runs `lossOf(i)` for i = 0..microBatches-1 under tf.variableGrads and returns the mean loss and
 * the mean gradient per parameter name (keys of `params`), i.e. the gradient of the mean of the
 * micro-batch losses. Parameters no loss depends on get no entry. The caller owns the returned tensors.
 */
export function accumulateGradients(
  params: Map<string, tf.Variable>,
  microBatches: number,
  lossOf: (micro: number) => tf.Scalar,
): { loss: number; grads: Map<string, tf.Tensor> } {
  const vars = [...params.values()];
  const sums = new Map<string, tf.Tensor>();
  let lossSum = 0;
  for (let i = 0; i < microBatches; i++) {
    const { value, grads } = tf.variableGrads(() => lossOf(i), vars);
    lossSum += value.dataSync()[0];
    value.dispose();
    for (const [name, v] of params) {
      const g = grads[v.name];
      if (!g) continue;
      const prev = sums.get(name);
      sums.set(name, prev ? tf.tidy(() => prev.add(g)) : g);
      if (prev) {
        prev.dispose();
        g.dispose();
      }
    }
  }
  if (microBatches > 1) {
    for (const [name, g] of sums) {
      sums.set(name, tf.tidy(() => g.mul(1 / microBatches)));
      g.dispose();
    }
  }
  return { loss: lossSum / microBatches, grads: sums };
}
