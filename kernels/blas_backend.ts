/**
 * Runs the wasm backend's matrix products on OpenBLAS: replaces its `BatchMatMul` and `_FusedMatMul`
 * kernels with ones that call `cblas_sgemm` on the tensors' own memory inside the wasm heap, with the
 * transposes passed as sgemm flags. Anything the fast path does not handle (other dtypes, empty
 * shapes, prelu, an unusual bias) goes to the original kernel. Enabling also enables the native C
 * kernels of native_backend.ts when a compiler is there (both go under the backend name wasm-blas).
 *
 * Depends on tfjs-backend-wasm 4.22 internals (kernels/wasm_heap.ts). `enableBlasMatMul` checks them and
 * self-tests.
 */
import * as tf from "@tensorflow/tfjs";
import { type Blas, loadOpenBlas, openBlasMissingReason } from "./openblas.ts";
import { heapBase, heapFloats, heapOffset, isWasmBackend, type WasmBackendInternals } from "./wasm_heap.ts";
import {
  bindNativeSgemm,
  disableNativeKernels,
  enableNativeKernels,
  nativeSgemmBatch,
  setNativeThreads,
} from "./native_backend.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** What {@link blasMatMulStatus} reports. */
export interface BlasMatMulStatus {
  /** Whether the BLAS kernels are registered now. */
  enabled: boolean;
  /** Why not, when not enabled; "" otherwise. */
  reason: string;
  /** The library file, when loaded. */
  library: string;
  /** Threads for products of SMALL_PRODUCT multiply-adds or more; 0 when OpenBLAS is not loaded. */
  threads: number;
  /** Products run on BLAS since enabling. */
  blasCalls: number;
  /** Products handed to the original kernel, by reason. */
  fallbacks: Record<string, number>;
}

/**
 * One sgemm-ready product: op(A) is m x k, op(B) is k x n, row strides lda/ldb; output matrix t reads
 * A matrix aBatch[t] and B matrix bBatch[t] (indices into the flattened leading dims).
 */
export interface ProductPlan {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  lda: number;
  ldb: number;
  outShape: number[];
  aBatch: number[];
  bBatch: number[];
}

const KERNELS = ["BatchMatMul", "_FusedMatMul"] as const;
const BYTES = 4;

/**
 * Products with fewer multiply-adds (M·N·K) than this run on one thread: for them waking a second
 * thread costs more than it saves, and far more when the CPU is shared (see notes/speed.md).
 */
export const SMALL_PRODUCT = 1 << 23;

/** Elementwise activations of _FusedMatMul, applied in place after the product; prelu is not here. */
const ACTIVATIONS: Record<string, ((x: Float32Array, alpha: number) => void) | null> = {
  linear: null,
  relu: (x) => mapInPlace(x, (v) => (v > 0 ? v : 0)),
  relu6: (x) => mapInPlace(x, (v) => (v > 0 ? (v < 6 ? v : 6) : 0)),
  leakyrelu: (x, alpha) => mapInPlace(x, (v) => (v < 0 ? alpha * v : v)),
  elu: (x) => mapInPlace(x, (v) => (v < 0 ? Math.exp(v) - 1 : v)),
  sigmoid: (x) => mapInPlace(x, (v) => 1 / (1 + Math.exp(-v))),
};

let blas: Blas | null = null;
let originals: Map<string, tf.KernelConfig> | null = null;
let reason = "not enabled yet";
let blasCalls = 0;
let wantThreads = 0; // for products of SMALL_PRODUCT or more; 0 until chosen
let currentThreads = 0; // what OpenBLAS was last told
const fallbacks: Record<string, number> = {};

/**
 * Replaces the wasm backend's BatchMatMul and _FusedMatMul kernels with OpenBLAS ones. Call it after
 * `await tf.setBackend("wasm")`. Returns false (see {@link blasMatMulStatus} for why) when OpenBLAS
 * is missing, the active backend is not wasm, its internals are not as expected, or the self-test
 * fails; the original kernels then stay in place. `threads` is the thread count for large products
 * (default: the last count set, else OPENBLAS_NUM_THREADS if set, else 1, because a second thread
 * halved training speed on a shared CPU; see notes/speed.md). Calling it again only applies `threads`.
 */
export function enableBlasMatMul(options: { threads?: number } = {}): boolean {
  if (originals) {
    if (options.threads) setBlasThreads(options.threads);
    return true;
  }
  blas = loadOpenBlas();
  if (!blas) return refuse(openBlasMissingReason() ?? "OpenBLAS could not be loaded");
  if (tf.getBackend() !== "wasm") {
    return refuse(`the active backend is ${tf.getBackend()}; call after await tf.setBackend("wasm")`);
  }
  if (!isWasmBackend(tf.backend())) {
    return refuse(
      "the wasm backend's internals (dataIdMap, makeOutput, disposeData, incRef, wasm.HEAPU8) are not as in tfjs 4.22",
    );
  }
  // Kept from an earlier enable or setBlasThreads, unless given.
  setBlasThreads(options.threads ?? (wantThreads || threadsFromEnv() || 1));

  const found = KERNELS.map((name) => [name, tf.getKernel(name, "wasm")] as const);
  const missing = found.filter(([, config]) => !config).map(([name]) => name);
  if (missing.length) return refuse(`the wasm backend has no ${missing.join(", ")} kernel to replace`);
  originals = new Map(found);
  const fast: Record<(typeof KERNELS)[number], (args: KernelArgs) => tf.TensorInfo | null> = {
    BatchMatMul: blasBatchMatMul,
    _FusedMatMul: blasFusedMatMul,
  };
  for (const [name, original] of originals) {
    const run = fast[name as (typeof KERNELS)[number]];
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => run(args) ?? original.kernelFunc(args),
    });
  }
  const problem = selfTest();
  if (problem) {
    disableBlasMatMul();
    return refuse(`self-test failed: ${problem}`);
  }
  reason = "";
  // The native kernels (native_backend.ts) come with the products when a C compiler is there; without
  // one the wasm kernels stay, and nativeKernelStatus() says why.
  if (enableNativeKernels({ threads: wantThreads })) bindNativeSgemm(blas.path);
  return true;
}

/** Puts the original wasm kernels back, native ones included (no-op when not enabled). */
export function disableBlasMatMul(): void {
  disableNativeKernels();
  if (!originals) return;
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(original);
  }
  originals = null;
  reason = "disabled";
}

/**
 * Sets the thread count used for products of {@link SMALL_PRODUCT} multiply-adds or more (smaller
 * ones use one); false when OpenBLAS is not loaded or cannot be told.
 */
export function setBlasThreads(n: number): boolean {
  if (!blas || !blas.setThreads(n)) return false;
  wantThreads = currentThreads = Math.max(1, Math.floor(n));
  setNativeThreads(wantThreads);
  return true;
}

/** Tells OpenBLAS how many threads a product of `size` multiply-adds gets, when that changes. */
function threadsFor(size: number): void {
  const n = size < SMALL_PRODUCT ? 1 : wantThreads;
  if (n !== currentThreads && blas!.setThreads(n)) currentThreads = n;
}

/** Whether the BLAS kernels are on, why not, and how many products went each way. */
export function blasMatMulStatus(): BlasMatMulStatus {
  return {
    enabled: originals !== null,
    reason,
    library: blas?.path ?? "",
    threads: blas ? wantThreads : 0,
    blasCalls,
    fallbacks: { ...fallbacks },
  };
}

/** A thread count as OPENBLAS_NUM_THREADS gives it: a positive integer, else undefined (unset, junk). */
export function parseThreadCount(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

function threadsFromEnv(): number | undefined {
  try {
    return parseThreadCount(Deno.env.get("OPENBLAS_NUM_THREADS"));
  } catch {
    return undefined; // no --allow-env
  }
}

function refuse(why: string): false {
  reason = why;
  return false;
}

/** A few products with hand-computed answers, run through the registered kernels; null when right. */
function selfTest(): string | null {
  const cases: [boolean, boolean, number[]][] = [
    [false, false, [58, 64, 139, 154]],
    [true, true, [39, 49, 59, 54, 68, 82, 69, 87, 105]],
  ];
  for (const [transA, transB, expected] of cases) {
    const got = tf.tidy(() => {
      const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]);
      return Array.from(tf.matMul(a, b, transA, transB).dataSync());
    });
    if (got.join() !== expected.join()) {
      return `matMul(transposeA=${transA}, transposeB=${transB}) gave ${got.join()}, expected ${expected.join()}`;
    }
  }
  return null;
}

function fallback(why: string): null {
  fallbacks[why] = (fallbacks[why] ?? 0) + 1;
  return null;
}

/** BatchMatMul on BLAS, or null to hand it to the original kernel. */
function blasBatchMatMul({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  const plan = planProduct(a, b, !!transposeA, !!transposeB);
  if (typeof plan === "string") return fallback(plan);
  return runProduct(backend as WasmBackendInternals, a, b, plan, null, null, 0);
}

/** _FusedMatMul (product, bias, activation) on BLAS, or null to hand it to the original kernel. */
function blasFusedMatMul({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation = "linear", leakyreluAlpha = 0.2 } = (attrs ?? {}) as {
    transposeA?: boolean;
    transposeB?: boolean;
    activation?: string;
    leakyreluAlpha?: number;
  };
  if (!a || !b) return fallback("missing input");
  if (preluActivationWeights) return fallback("prelu activation");
  if (!(activation in ACTIVATIONS)) return fallback(`activation ${activation}`);
  const plan = planProduct(a, b, !!transposeA, !!transposeB);
  if (typeof plan === "string") return fallback(plan);
  if (bias) {
    const size = tf.util.sizeFromShape(bias.shape);
    const rowBias = size === plan.n && bias.shape.slice(0, -1).every((d) => d === 1);
    if (bias.dtype !== "float32" || !(size === 1 || rowBias) || bias.shape.length > plan.outShape.length) {
      return fallback(`bias of shape [${bias.shape}]`);
    }
  }
  return runProduct(
    backend as WasmBackendInternals,
    a,
    b,
    plan,
    bias ?? null,
    ACTIVATIONS[activation],
    leakyreluAlpha,
  );
}

/**
 * Works out sizes, flags and batch pairing of a (batched) product, with numpy-style broadcasting of
 * the leading dims; a string says why BLAS should not take it.
 */
export function planProduct(
  a: Pick<tf.TensorInfo, "shape" | "dtype">,
  b: Pick<tf.TensorInfo, "shape" | "dtype">,
  transA: boolean,
  transB: boolean,
): ProductPlan | string {
  if (a.dtype !== "float32" || b.dtype !== "float32") return `dtype ${a.dtype}x${b.dtype}`;
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return "rank below 2";
  const [aRows, aCols] = a.shape.slice(-2), [bRows, bCols] = b.shape.slice(-2);
  const m = transA ? aCols : aRows, k = transA ? aRows : aCols;
  const n = transB ? bRows : bCols, kb = transB ? bCols : bRows;
  if (k !== kb) return "inner dims differ";
  if (m === 0 || n === 0 || k === 0) return "empty product";
  const aOuter = a.shape.slice(0, -2), bOuter = b.shape.slice(0, -2);
  const rank = Math.max(aOuter.length, bOuter.length);
  const pad = (dims: number[]) => [...Array(rank - dims.length).fill(1), ...dims];
  const pa = pad(aOuter), pb = pad(bOuter);
  const outOuter: number[] = [];
  for (let i = 0; i < rank; i++) {
    if (pa[i] !== pb[i] && pa[i] !== 1 && pb[i] !== 1) return "batch dims do not broadcast";
    outOuter.push(Math.max(pa[i], pb[i]));
  }
  const batches = tf.util.sizeFromShape(outOuter);
  const aBatch = new Array<number>(batches), bBatch = new Array<number>(batches);
  const aStrides = stridesOf(pa), bStrides = stridesOf(pb);
  for (let t = 0; t < batches; t++) {
    let rest = t, ia = 0, ib = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rest % outOuter[d];
      rest = Math.floor(rest / outOuter[d]);
      if (pa[d] !== 1) ia += coord * aStrides[d];
      if (pb[d] !== 1) ib += coord * bStrides[d];
    }
    aBatch[t] = ia;
    bBatch[t] = ib;
  }
  return { m, n, k, transA, transB, lda: aCols, ldb: bCols, outShape: [...outOuter, m, n], aBatch, bBatch };
}

function stridesOf(dims: number[]): number[] {
  const strides = new Array<number>(dims.length);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
  return strides;
}

/** Allocates the output as the wasm kernels do, then fills it with sgemm (plus bias and activation). */
function runProduct(
  backend: WasmBackendInternals,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  plan: ProductPlan,
  bias: tf.TensorInfo | null,
  activate: ((x: Float32Array, alpha: number) => void) | null,
  alpha: number,
): tf.TensorInfo | null {
  const aOffset = backend.dataIdMap.get(a.dataId)?.memoryOffset;
  const bOffset = backend.dataIdMap.get(b.dataId)?.memoryOffset;
  const biasOffset = bias ? backend.dataIdMap.get(bias.dataId)?.memoryOffset : 0;
  if (aOffset == null || bOffset == null || biasOffset == null) return fallback("tensor not in the wasm heap");
  const out = backend.makeOutput(plan.outShape, "float32");
  try {
    fillProduct(backend, out, aOffset, bOffset, plan, bias);
  } catch (e) {
    backend.disposeData(out.dataId);
    return fallback(`BLAS call failed: ${e instanceof Error ? e.message : e}`);
  }
  if (activate) activate(heapFloats(backend, out, plan.outShape), alpha);
  blasCalls++;
  return out;
}

/** out = op(A)·op(B) (+ bias), per output matrix or, when B is shared and A not transposed, in one call. */
function fillProduct(
  backend: WasmBackendInternals,
  out: tf.TensorInfo,
  aOffset: number,
  bOffset: number,
  plan: ProductPlan,
  bias: tf.TensorInfo | null,
): void {
  const { m, n, k, transA, transB, lda, ldb, aBatch, bBatch } = plan;
  const outOffset = heapOffset(backend, out);
  let beta = 0;
  if (bias) {
    const outView = heapFloats(backend, out, plan.outShape);
    const biasView = heapFloats(backend, bias, bias.shape);
    if (biasView.length === 1) outView.fill(biasView[0]);
    else for (let row = 0; row < outView.length; row += n) outView.set(biasView, row);
    beta = 1;
  }
  // makeOutput may have grown the heap, which replaces HEAPU8: take the pointer only now.
  const base = heapBase(backend);
  const at = (offset: number) => Deno.UnsafePointer.offset(base, offset);
  const sgemm = blas!.sgemm;
  const sameA = aBatch.every((ia, t) => ia === t), oneB = bBatch.every((ib) => ib === 0);
  if (!transA && sameA && oneB) {
    // [..., M, K] x [K, N]: the batch folds into the rows of one product.
    threadsFor(aBatch.length * m * n * k);
    sgemm(false, transB, aBatch.length * m, n, k, 1, at(aOffset), lda, at(bOffset), ldb, beta, at(outOffset), n);
    return;
  }
  threadsFor(m * n * k);
  // Small products run on one BLAS thread each: with more threads wanted, share the batch out instead.
  if (
    currentThreads === 1 && wantThreads > 1 &&
    nativeSgemmBatch(transA, transB, m, n, k, at(aOffset), at(bOffset), at(outOffset), aBatch, bBatch, lda, ldb, beta)
  ) return;
  for (let t = 0; t < aBatch.length; t++) {
    sgemm(
      transA,
      transB,
      m,
      n,
      k,
      1,
      at(aOffset + aBatch[t] * m * k * BYTES),
      lda,
      at(bOffset + bBatch[t] * k * n * BYTES),
      ldb,
      beta,
      at(outOffset + t * m * n * BYTES),
      n,
    );
  }
}

function mapInPlace(x: Float32Array, f: (v: number) => number): void {
  for (let i = 0; i < x.length; i++) x[i] = f(x[i]);
}
