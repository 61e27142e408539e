/** Native fast paths for TensorFlow.js on the wasm backend: OpenBLAS matrix products and compiled C kernels. */
export {
  BLAS_LIB_ENV,
  type Blas,
  loadOpenBlas,
  openBlasMissingReason,
  pointerOf,
  type Sgemm,
} from "./openblas.ts";
export {
  blasMatMulStatus,
  type BlasMatMulStatus,
  disableBlasMatMul,
  enableBlasMatMul,
  setBlasThreads,
  SMALL_PRODUCT,
} from "./blas_backend.ts";
export {
  disableNativeKernels,
  enableNativeKernels,
  type FusedKernel,
  nativeKernelStatus,
  type NativeKernelStatus,
  nativeReady,
  runNative,
  setNativeOverrides,
  setNativeThreads,
} from "./native_backend.ts";
export { CC_ENV, loadNativeLib, type NativeLib, nativeMissingReason } from "./native_lib.ts";
export { envDefaultsSet, inheritedEnvWithoutDefaults, setEnvDefault } from "./env.ts";
export { type KernelSummary, kernelSummary } from "./summary.ts";
