/**
 * Fast kernels for TensorFlow.js: on the wasm backend OpenBLAS matrix products and compiled C kernels; on
 * the webgpu backend (a proxy to a GPU worker) this project's WebGPU kernels.
 */
export { type Blas, BLAS_LIB_ENV, loadOpenBlas, openBlasMissingReason, pointerOf, type Sgemm } from "./openblas.ts";
export {
  type BlasMatMulStatus,
  blasMatMulStatus,
  disableBlasMatMul,
  enableBlasMatMul,
  parseThreadCount,
  setBlasThreads,
  SMALL_PRODUCT,
} from "./blas_backend.ts";
export {
  disableNativeKernels,
  enableNativeKernels,
  type FusedKernel,
  type NativeKernelStatus,
  nativeKernelStatus,
  nativeReady,
  runNative,
  setNativeOverrides,
  setNativeThreads,
} from "./native_backend.ts";
export { CC_ENV, loadNativeLib, type NativeLib, nativeMissingReason } from "./native_lib.ts";
export { envDefaultsSet, inheritedEnvWithoutDefaults, setEnvDefault } from "./env.ts";
export { type KernelSummary, kernelSummary } from "./summary.ts";
export { crossEntropyBackward, crossEntropyForward } from "./cross_entropy.ts";
export { installWasmKernelPatches } from "./wasm_patches.ts";
export { probeWebGpu, startWebGpu, WEBGPU, type WebGpuStatus, webGpuStatus } from "./webgpu/proxy_backend.ts";
export type { AdapterSummary } from "./webgpu/protocol.ts";
