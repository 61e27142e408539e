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
 * - nativeGelu: GELU forward and backward as the fused kernels HbGelu and HbGeluGrad;
 * - nativeLayerNorm: LayerNorm forward and backward as HbLayerNorm and HbLayerNormGrad;
 * - nativeAttention: within batched attention, the softmax backward as HbSoftmaxGrad and q, k, v split
 *   out of the fused projection (and their gradients merged back) as HbSplitHeads and HbMergeHeads;
 * - nativeAdamW: train/adamw.ts's update as the fused kernel HbAdamW, one loop per parameter;
 * - nativeKernels: the accelerator's own replacements of tfjs kernels (see `applySwitches`).
 */
export const FAST_PATHS = [
  "transposedProducts",
  "batchedAttention",
  "fusedCrossEntropy",
  "nativeGelu",
  "nativeLayerNorm",
  "nativeAttention",
  "nativeAdamW",
  "nativeKernels",
] as const;
export type FastPath = typeof FAST_PATHS[number];

/**
 * The fused kernels, by name, with what they take and give (all float32; targets as an Int32Array attr):
 * - CrossEntropy {logits [n, C]}, {targets} -> [loss [], state]: mean cross-entropy, plus whatever the
 *   backward needs (the backend's choice: softmax rows, or row log-sum-exps);
 * - CrossEntropyGrad {logits, state, dy []}, {targets} -> dlogits [n, C];
 * - HbGelu {x} -> y; HbGeluGrad {x, dy} -> dx;
 * - HbLayerNorm {x [n, d], g, b}, {eps} -> [y, mean [n], rstd [n]];
 *   HbLayerNormGrad {x, g, mean, rstd, dy} -> [dx, dg, db];
 * - HbSoftmaxGrad {p, dp}, {scale} -> p·(dp − Σ dp·p)·scale over the last axis;
 * - HbSplitHeads {qkv}, {B, T, H} -> [q, k, v] ([B·H, T, dh]); HbMergeHeads {q, k, v}, {B, T, H} -> [B·T, 3d];
 * - HbAdamW {p, m, v, g}, {constants: Float32Array(8), decay} -> [p', m', v'].
 */
export type FusedKernel =
  | "CrossEntropy"
  | "CrossEntropyGrad"
  | "HbGelu"
  | "HbGeluGrad"
  | "HbLayerNorm"
  | "HbLayerNormGrad"
  | "HbSoftmaxGrad"
  | "HbSplitHeads"
  | "HbMergeHeads"
  | "HbAdamW";

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
  for (const [key, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") throw new Error(`${name}: input ${key} is ${t.dtype}, expected float32`);
  }
  return active.runFused(name, inputs, attrs);
}
