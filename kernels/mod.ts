/** Native fast paths for TensorFlow.js: OpenBLAS matrix products for the wasm backend. */
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
