/**
 * What the ops (ops.ts) and the optimizer may ask of the backend beyond tfjs's own kernels, and the one
 * place where a backend plugs in its faster kernels: `installAccelerator`, called by backends/ when a
 * backend starts. models/ imports nothing from kernels/; the accelerator says which fast paths it can
 * run now (`provides`) and runs the fused kernels by name (`runFused`).
 *
 * Each fast path can be switched off (`setFastPaths`, bench's `--without NAME`) to measure it or to
 * compare it with the plain path; a path runs only when it is switched on *and* the accelerator
 * provides it. Without an accelerator every op takes its plain path (2-D NN products, explicit
 * transposes, tfjs kernels).
 */
import type * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors.ts";

/**
 * The fast paths an accelerator may provide:
 * - transposedProducts: aᵀb and abᵀ as one product with transpose flags, instead of an explicit
 *   transpose + NN product;
 * - batchedAttention: attention as [B·H, T, dh] batched products instead of per-(batch, head) slices;
 * - fusedCrossEntropy: cross-entropy over logits [n, C] as the fused kernels CrossEntropy and
 *   CrossEntropyGrad instead of ~10 tfjs kernels over [n, C];
 * - fusedScores: the cross-entropy of scores a bᵀ (CWT's |S|×|S| score matrix) as ScoreCrossEntropy and
 *   ScoreCrossEntropyGrad, which need not hold the whole score matrix at once;
 * - fusedAttention: attention forward and backward as the fused kernels Attention and AttentionGrad;
 * - fusedEmbedGrad: the gradient of a row gather (embeddings) as the fused kernel EmbedGrad, instead of
 *   tfjs's ScatterNd;
 * - nativeGelu: GELU forward and backward as the fused kernels HbGelu and HbGeluGrad;
 * - nativeLayerNorm: LayerNorm forward and backward as HbLayerNorm and HbLayerNormGrad;
 * - nativeAttention: within batched attention, the softmax backward as HbSoftmaxGrad and q, k, v split
 *   out of the fused projection (and their gradients merged back) as HbSplitHeads and HbMergeHeads;
 * - nativeAdamW: train/adamw.ts's update as the fused kernel HbAdamW, one loop per parameter;
 * - nativeLogProbs: scoring's ln p(target) per row of logits as the fused kernel HbTargetLogProbs, one
 *   threaded pass that writes no [n, V] result, instead of tfjs's logSumExp (max, sub, exp, sum, log);
 * - nativeKernels: the accelerator's own replacements of tfjs kernels (see `applySwitches`).
 */
export const FAST_PATHS = [
  "transposedProducts",
  "batchedAttention",
  "fusedCrossEntropy",
  "fusedScores",
  "fusedAttention",
  "fusedEmbedGrad",
  "nativeGelu",
  "nativeLayerNorm",
  "nativeAttention",
  "nativeAdamW",
  "nativeLogProbs",
  "nativeKernels",
] as const;
export type FastPath = typeof FAST_PATHS[number];

/**
 * The fused kernels, by name, with what they take and give (float32 tensors; ids as Int32Array attrs).
 * A differentiable pair returns [value, ...state], where the state is whatever its backward needs (the
 * backend's choice), and the backward takes {dy, s0, s1, ...}: that state, in order.
 * - CrossEntropy {logits [n, C]}, {targets} -> [loss [], ...state]: mean cross-entropy;
 *   CrossEntropyGrad {dy [], s0, ...}, {targets} -> dlogits [n, C];
 * - ScoreCrossEntropy {a [n, d], b [C, d], bias? [C]}, {targets} -> [loss [], ...state]:
 *   crossEntropy(a bᵀ + bias, targets); ScoreCrossEntropyGrad {dy [], s0, ...}, {targets} -> [da, db, dbias?];
 * - Attention {qkv [B·T, 3d]}, {B, T, H, causal, padMask?, blocked} -> [out [B·T, d], ...state]: as
 *   ops.attention (scores of masked keys get `blocked` added); AttentionGrad {dy, s0, ...}, same attrs -> dqkv;
 * - EmbedGrad {dy [n, d]}, {ids: Int32Array(n), rows} -> [rows, d]: the gradient of gathering rows `ids`;
 * - HbGelu {x} -> y; HbGeluGrad {x, dy} -> dx;
 * - HbLayerNorm {x [n, d], g, b}, {eps} -> [y, mean [n], rstd [n]];
 *   HbLayerNormGrad {x, g, mean, rstd, dy} -> [dx, dg, db];
 * - HbSoftmaxGrad {p, dp}, {scale} -> p·(dp − Σ dp·p)·scale over the last axis;
 * - HbSplitHeads {qkv}, {B, T, H} -> [q, k, v] ([B·H, T, dh]); HbMergeHeads {q, k, v}, {B, T, H} -> [B·T, 3d];
 * - HbAdamW {p, m, v, g}, {constants: Float32Array(8), decay} -> [p', m', v'];
 * - HbTargetLogProbs {logits [n, C]}, {targets: Int32Array(n)} -> [n]: logits[i, t] − ln Σ_j exp(logits[i, j]).
 */
export type FusedKernel =
  | "CrossEntropy"
  | "CrossEntropyGrad"
  | "ScoreCrossEntropy"
  | "ScoreCrossEntropyGrad"
  | "Attention"
  | "AttentionGrad"
  | "EmbedGrad"
  | "HbGelu"
  | "HbGeluGrad"
  | "HbLayerNorm"
  | "HbLayerNormGrad"
  | "HbSoftmaxGrad"
  | "HbSplitHeads"
  | "HbMergeHeads"
  | "HbAdamW"
  | "HbTargetLogProbs";

/** A backend's faster kernels, as the ops see them. */
export interface Accelerator {
  /** For messages: which backend this is (e.g. "wasm-blas", "webgpu"). */
  readonly name: string;
  /** Whether fast path `path` can run now (its switch aside): checked at every use. */
  provides(path: FastPath): boolean;
  /** Runs fused kernel `name` (see {@link FusedKernel}); several outputs come back as an array. */
  runFused(
    name: FusedKernel,
    inputs: Record<string, tf.Tensor>,
    attrs?: Record<string, unknown>,
  ): tf.Tensor | tf.Tensor[];
  /** Told the switches when installed and whenever they change (e.g. to turn kernel replacements off). */
  applySwitches?(on: Readonly<Record<FastPath, boolean>>): void;
}

let active: Accelerator | null = null;
const switches = Object.fromEntries(FAST_PATHS.map((p) => [p, true])) as Record<FastPath, boolean>;

/** Makes `accelerator` the one the ops use (null: none, every op takes its plain path). */
export function installAccelerator(accelerator: Accelerator | null): void {
  active = accelerator;
  active?.applySwitches?.({ ...switches });
}

/** The accelerator in use, or null. */
export function activeAccelerator(): Accelerator | null {
  return active;
}

/**
 * Switches every fast path on except those named in `off` ("all" = every one). Unknown names are an
 * InputError (they come from flags).
 */
export function setFastPaths(off: readonly string[] = []): void {
  for (const name of off) {
    if (name !== "all" && !(FAST_PATHS as readonly string[]).includes(name)) {
      throw new InputError(`unknown fast path ${JSON.stringify(name)}; expected ${FAST_PATHS.join(", ")} or all`);
    }
  }
  for (const name of FAST_PATHS) switches[name] = !(off.includes("all") || off.includes(name));
  active?.applySwitches?.({ ...switches });
}

/** The switches now (a copy). */
export function fastPathSwitches(): Readonly<Record<FastPath, boolean>> {
  return { ...switches };
}

/** Whether fast path `path` runs now: switched on, and provided by the active accelerator. */
export function useFastPath(path: FastPath): boolean {
  return switches[path] && active !== null && active.provides(path);
}

/** Runs a fused kernel on the active accelerator; callers check {@link useFastPath} first. */
export function runFused(
  name: FusedKernel,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown> = {},
): tf.Tensor | tf.Tensor[] {
  if (!active) throw new Error(`${name}: no accelerator is installed`);
  return active.runFused(name, inputs, attrs);
}
