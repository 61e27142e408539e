/** Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ computes it. */
import * as tf from "@tensorflow/tfjs";

/** The L2 norm of all gradients taken together, sqrt(Σ_tensors Σ g²), computed in float32. */
export function globalNorm(grads: Map<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  return tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())).sqrt().dataSync()[0]);
}

/**
 * Scales every gradient by maxNorm/(norm + 1e-6) when the global norm exceeds `maxNorm` (> 0), and
 * returns the pre-clip norm. When it scales, the returned map holds new tensors and the input tensors
 * are disposed; otherwise the input map is returned as is. maxNorm <= 0 or Infinity disables clipping.
 */
export function clipByGlobalNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = globalNorm(grads);
  if (!(maxNorm > 0) || !(norm > maxNorm)) return { grads, norm };
  const scale = maxNorm / (norm + 1e-6);
  const clipped = new Map([...grads].map(([name, g]) => [name, g.mul(scale)]));
  for (const g of grads.values()) g.dispose();
  return { grads: clipped, norm };
}
