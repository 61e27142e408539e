/**
 * The wasm backend's accelerator: OpenBLAS products (kernels/blas_backend.ts) make the transposed
 * products, batched attention and the fused cross-entropy worth taking; the compiled C kernels
 * (kernels/native_backend.ts) add GELU, LayerNorm, attention's softmax backward and head layout, and
 * AdamW. Whether each applies is read at every use, so enabling or disabling BLAS (tests do) takes
 * effect at once.
 */
import * as tf from "@tensorflow/tfjs";
import type { Accelerator, FastPath, FusedKernel } from "../models/accelerator.ts";
import { blasMatMulStatus } from "../kernels/blas_backend.ts";
import { crossEntropyBackward, crossEntropyForward } from "../kernels/cross_entropy.ts";
import {
  type FusedKernel as NativeKernel,
  nativeReady,
  runNative,
  setNativeOverrides,
} from "../kernels/native_backend.ts";

/** The fast paths that need only the BLAS products; every other one needs the C kernels as well. */
const BLAS_PATHS: ReadonlySet<FastPath> = new Set(["transposedProducts", "batchedAttention", "fusedCrossEntropy"]);

/** Fast paths of the wasm backend with OpenBLAS products ("wasm-blas") and the native C kernels. */
export const wasmAccelerator: Accelerator = {
  name: "wasm-blas",
  provides(path: FastPath): boolean {
    if (tf.getBackend() !== "wasm" || !blasMatMulStatus().enabled) return false;
    return BLAS_PATHS.has(path) || (path.startsWith("native") && nativeReady());
  },
  runFused(name: FusedKernel, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) {
    const targets = attrs.targets as Int32Array;
    if (name === "CrossEntropy") return crossEntropyForward(inputs.logits as tf.Tensor2D, targets);
    if (name === "CrossEntropyGrad") return crossEntropyBackward(inputs.s0 as tf.Tensor2D, inputs.dy, targets);
    return runNative(name as NativeKernel, inputs, attrs);
  },
  applySwitches(on) {
    setNativeOverrides(on.nativeKernels);
  },
};
