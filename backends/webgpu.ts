/**
 * The webgpu backend's accelerator: tfjs-backend-webgpu's products take transpose flags and batch
 * dimensions natively, so the transposed products and batched attention apply at once; the fused
 * kernels (cross-entropy, blocked score cross-entropy, attention, the embedding gradient) are this
 * project's WebGPU kernels (kernels/webgpu/).
 */
import * as tf from "@tensorflow/tfjs";
import type { Accelerator, FastPath, FusedKernel } from "../models/accelerator.ts";
import { WEBGPU } from "../kernels/webgpu/proxy_backend.ts";
import * as fused from "../kernels/webgpu/fused.ts";

/** The fast paths the webgpu backend provides. */
const WEBGPU_PATHS: ReadonlySet<FastPath> = new Set([
  "transposedProducts",
  "batchedAttention",
  "fusedCrossEntropy",
  "fusedScores",
  "fusedAttention",
  "fusedEmbedGrad",
]);

type Run = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

const FUSED: Partial<Record<FusedKernel, Run>> = {
  CrossEntropy: (i, a) => fused.crossEntropy(i.logits as tf.Tensor2D, a.targets as Int32Array),
  CrossEntropyGrad: (i, a) => fused.crossEntropyGrad(i.dy, i.s0, i.s1, a.targets as Int32Array),
  ScoreCrossEntropy: (i, a) =>
    fused.scoreCrossEntropy(
      i.a as tf.Tensor2D,
      i.b as tf.Tensor2D,
      a.targets as Int32Array,
      a.blockRows as number | undefined,
      i.bias as tf.Tensor1D | undefined,
    ),
  ScoreCrossEntropyGrad: (i, a) =>
    fused.scoreCrossEntropyGrad(
      i.dy,
      i.s0 as tf.Tensor2D,
      i.s1 as tf.Tensor2D,
      i.s2 as tf.Tensor1D,
      a.targets as Int32Array,
      a.blockRows as number | undefined,
      i.s3 as tf.Tensor1D | undefined,
    ),
  Attention: (i, a) => fused.attention(i.qkv as tf.Tensor2D, a as unknown as fused.AttentionAttrs),
  AttentionGrad: (i, a) =>
    fused.attentionGrad(i.dy, i.s0 as tf.Tensor2D, i.s1, i.s2, a as unknown as fused.AttentionAttrs),
  EmbedGrad: (i, a) => fused.embedGrad(i.dy, a.ids as Int32Array, a.rows as number),
};

/** Fast paths of the webgpu backend. */
export const webgpuAccelerator: Accelerator = {
  name: WEBGPU,
  provides(path: FastPath): boolean {
    return tf.getBackend() === WEBGPU && WEBGPU_PATHS.has(path);
  },
  runFused(name: FusedKernel, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) {
    const run = FUSED[name];
    if (!run) throw new Error(`${name}: no such fused kernel on webgpu`);
    return run(inputs, attrs);
  },
};
