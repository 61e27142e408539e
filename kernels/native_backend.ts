/**
 * Native kernels for the wasm backend (kernels/native/kernels.c through native_lib.ts), reading and
 * writing tensors where they sit in the wasm heap, like blas_backend.ts does for products.
 *
 * Two kinds:
 * - Overrides of wasm kernels (`OVERRIDES`): Identity becomes an alias (tensors are immutable, so
 *   the engine's clone of every tensor a custom gradient saves need not copy), Softmax over the last
 *   axis, Transpose of two neighbouring axes as block copies, and the elementwise Add / Sub / Multiply /
 *   RealDiv for the broadcasts the model uses, on up to `threads` threads. Anything else goes to the original kernel. `setNativeOverrides(false)` hands
 *   every call back to the originals (bench's `--without nativeKernels`).
 * - Fused kernels with no tfjs counterpart (`FUSED`), run through `runNative` (for models/ops.ts and
 *   train/adamw.ts, by the wasm accelerator in backends/wasm.ts): GELU and its gradient, LayerNorm and its gradient, attention's softmax gradient and
 *   head layout (q, k, v out of the fused projection and back), and the AdamW update.
 *
 * Depends on tfjs-backend-wasm 4.22 internals, through kernels/wasm_heap.ts as blas_backend.ts does.
 */
import * as tf from "@tensorflow/tfjs";
import { setEnvDefault } from "./env.ts";
import { loadNativeLib, type NativeLib, nativeMissingReason } from "./native_lib.ts";
import { heapPointers, isWasmBackend, type WasmBackendInternals } from "./wasm_heap.ts";

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Run = (args: KernelArgs, lib: NativeLib) => tf.TensorInfo | tf.TensorInfo[] | null;

/** What {@link nativeKernelStatus} reports. */
export interface NativeKernelStatus {
  enabled: boolean;
  /** Why not, when not enabled; "" otherwise. */
  reason: string;
  /** The shared object and how it was built. */
  library: string;
  build: string;
  /** sha256 of the shared object that was loaded (checked against its build's record first). */
  sha256: string;
  /** Threads for large loops. */
  threads: number;
  /** Whether the overrides of wasm kernels are switched on (the fused kernels are always there). */
  overrides: boolean;
  /** Registered kernel names: overrides, then fused ones. */
  kernels: string[];
  /** Calls that ran natively, and calls handed to the original kernel, by kernel name. */
  calls: Record<string, number>;
  fallbacks: Record<string, number>;
}

let lib: NativeLib | null = null;
let originals: Map<string, tf.KernelConfig> | null = null;
let reason = "not enabled yet";
let threads = 1;
let overridesOn = true;
const calls: Record<string, number> = {};
const fallbacks: Record<string, number> = {};

const size = (t: tf.TensorInfo) => tf.util.sizeFromShape(t.shape);
const allFloat = (ts: tf.TensorInfo[]) => ts.every((t) => t.dtype === "float32");

/** Identity as an alias of its input (as Reshape is): no copy. */
const identity: Run = ({ inputs, backend }) => {
  const x = inputs.x as tf.TensorInfo;
  if (x.dtype === "string" || x.dtype === "complex64") return null;
  (backend as unknown as WasmBackendInternals).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Softmax over the last axis, rows on up to `threads` threads. */
const softmax: Run = ({ inputs, attrs, backend }, lib) => {
  const logits = inputs.logits as tf.TensorInfo;
  const dim = (attrs as { dim?: number }).dim ?? -1;
  const rank = logits.shape.length;
  if (logits.dtype !== "float32" || rank === 0 || (dim !== -1 && dim !== rank - 1) || size(logits) === 0) return null;
  const b = backend as unknown as WasmBackendInternals;
  const out = b.makeOutput(logits.shape, "float32");
  const cols = logits.shape[rank - 1];
  const [x, y] = heapPointers(b, [logits, out]);
  lib.symbols.hb_softmax(x, y, BigInt(size(logits) / cols), BigInt(cols));
  return out;
};

const BINARY_OPS: Record<string, number> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };

/**
 * a ∘ b for float32 with b of a's shape, a scalar, a tensor of a's trailing dims (a row [d] against
 * [..., d], a [T, T] mask against [B, H, T, T]), or a column [..., rows, 1] against [..., rows, d];
 * either side may be the broadcast one.
 */
function binary(name: string): Run {
  const op = BINARY_OPS[name];
  return ({ inputs, backend }, lib) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (!allFloat([a, b])) return null;
    const [na, nb] = [size(a), size(b)];
    if (na === 0 || nb === 0) return null;
    // The full-size side is `big`; the other must be a scalar, a same-shape tensor, a row or a column.
    const swap = nb > na || (nb === na && b.shape.length > a.shape.length);
    const [big, small] = swap ? [b, a] : [a, b];
    const shape = broadcastTo(big.shape, small.shape);
    if (!shape) return null;
    const n = size(big), ns = size(small);
    const d = big.shape[big.shape.length - 1] ?? 1;
    let col = 0;
    if (ns !== n && ns !== 1) {
      const ss = trimOnes(small.shape);
      // Big's trailing dims ([d] against [..., d], or [T, T] against [B, H, T, T]): rows of ns elements.
      if (ss.every((x, i) => x === big.shape[big.shape.length - ss.length + i])) col = 0;
      // [..., r, 1] broadcasting to [..., r, d] with r·d = n elements: one value per row.
      else if (small.shape.at(-1) === 1 && ns * d === n) col = 1;
      else return null;
    }
    const be = backend as unknown as WasmBackendInternals;
    const out = be.makeOutput(shape, "float32");
    const [pa, pb, po] = heapPointers(be, [big, small, out]);
    lib.symbols.hb_binary(pa, pb, po, BigInt(n), BigInt(ns), BigInt(col ? d : ns), col, op, swap ? 1 : 0);
    return out;
  };
}

/** big's shape when `small` broadcasts to it without growing it (no extra leading dims), else null. */
function broadcastTo(big: number[], small: number[]): number[] | null {
  if (small.length > big.length) return null;
  for (let i = 1; i <= small.length; i++) {
    const s = small[small.length - i], g = big[big.length - i];
    if (s !== g && s !== 1) return null;
  }
  return big;
}

function trimOnes(shape: number[]): number[] {
  let i = 0;
  while (i < shape.length - 1 && shape[i] === 1) i++;
  return shape.slice(i);
}

/**
 * Transpose that swaps two neighbouring axes (perm [.., i+1, i, ..]) of a 4-byte tensor whose rows
 * after them hold at least 4 elements: block copies instead of wasm's element-by-element loop.
 */
const transpose: Run = ({ inputs, attrs, backend }, lib) => {
  const x = inputs.x as tf.TensorInfo;
  const perm = (attrs as { perm: number[] }).perm;
  if ((x.dtype !== "float32" && x.dtype !== "int32") || size(x) === 0) return null;
  const swapped = perm.findIndex((p, i) => p !== i);
  if (swapped < 0 || perm[swapped] !== swapped + 1 || perm[swapped + 1] !== swapped) return null;
  if (perm.some((p, i) => i !== swapped && i !== swapped + 1 && p !== i)) return null;
  const s = x.shape;
  const inner = tf.util.sizeFromShape(s.slice(swapped + 2));
  if (inner < 4) return null;
  const be = backend as unknown as WasmBackendInternals;
  const out = be.makeOutput(perm.map((p) => s[p]), x.dtype);
  const [px, py] = heapPointers(be, [x, out]);
  const outer = tf.util.sizeFromShape(s.slice(0, swapped));
  lib.symbols.hb_swap_axes(px, py, BigInt(outer), BigInt(s[swapped]), BigInt(s[swapped + 1]), BigInt(inner));
  return out;
};

/** The wasm kernels replaced while enabled. */
const OVERRIDES: Record<string, Run> = {
  Identity: identity,
  Softmax: softmax,
  Transpose: transpose,
  Add: binary("Add"),
  Sub: binary("Sub"),
  Multiply: binary("Multiply"),
  RealDiv: binary("RealDiv"),
};

/** GELU: inputs {x}; y = x·Φ(x). */
const gelu: Run = ({ inputs, backend }, lib) => {
  const x = inputs.x as tf.TensorInfo;
  const b = backend as unknown as WasmBackendInternals;
  const out = b.makeOutput(x.shape, "float32");
  const [px, py] = heapPointers(b, [x, out]);
  lib.symbols.hb_gelu(px, py, BigInt(size(x)));
  return out;
};

/** GELU's gradient: inputs {x, dy}; dx = dy·(Φ(x) + x·φ(x)). */
const geluGrad: Run = ({ inputs, backend }, lib) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const b = backend as unknown as WasmBackendInternals;
  const out = b.makeOutput(x.shape, "float32");
  const [px, pd, po] = heapPointers(b, [x, dy, out]);
  lib.symbols.hb_gelu_grad(px, pd, po, BigInt(size(x)));
  return out;
};

/** LayerNorm: inputs {x [n, d], g [d], b [d]}, attrs {eps}; outputs y, mean [n], rstd [n]. */
const layerNorm: Run = ({ inputs, attrs, backend }, lib) => {
  const { x, g, b } = inputs as Record<string, tf.TensorInfo>;
  const be = backend as unknown as WasmBackendInternals;
  const [n, d] = x.shape;
  const y = be.makeOutput(x.shape, "float32");
  const mean = be.makeOutput([n], "float32");
  const rstd = be.makeOutput([n], "float32");
  const p = heapPointers(be, [x, g, b, y, mean, rstd]);
  lib.symbols.hb_layer_norm(p[0], p[1], p[2], p[3], p[4], p[5], BigInt(n), BigInt(d), (attrs as { eps: number }).eps);
  return [y, mean, rstd];
};

/** LayerNorm's gradient: inputs {x, g, mean, rstd, dy}; outputs dx, dg, db. */
const layerNormGrad: Run = ({ inputs, backend }, lib) => {
  const { x, g, mean, rstd, dy } = inputs as Record<string, tf.TensorInfo>;
  const be = backend as unknown as WasmBackendInternals;
  const [n, d] = x.shape;
  const dx = be.makeOutput(x.shape, "float32");
  const dg = be.makeOutput([d], "float32");
  const db = be.makeOutput([d], "float32");
  const p = heapPointers(be, [x, g, mean, rstd, dy, dx, dg, db]);
  lib.symbols.hb_layer_norm_grad(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], BigInt(n), BigInt(d));
  return [dx, dg, db];
};

/** Attention's softmax gradient: inputs {p, dp} ([..., T]), attrs {scale}; ds = p·(dp − Σ dp·p)·scale. */
const softmaxGrad: Run = ({ inputs, attrs, backend }, lib) => {
  const { p, dp } = inputs as Record<string, tf.TensorInfo>;
  const be = backend as unknown as WasmBackendInternals;
  const out = be.makeOutput(p.shape, "float32");
  const cols = p.shape[p.shape.length - 1];
  const [pp, pd, po] = heapPointers(be, [p, dp, out]);
  lib.symbols.hb_softmax_grad(pp, pd, po, BigInt(size(p) / cols), BigInt(cols), (attrs as { scale: number }).scale);
  return out;
};

/**
 * ln p(target) per row: inputs {logits [n, C]}, attrs {targets: Int32Array(n), each in [0, C)};
 * output [n] = logits[i, targets[i]] − ln Σ_j exp(logits[i, j]).
 */
const targetLogProbs: Run = ({ inputs, attrs, backend }, lib) => {
  const logits = inputs.logits as tf.TensorInfo;
  const targets = (attrs as { targets: Int32Array }).targets;
  const [n, classes] = logits.shape;
  if (targets.length !== n) throw new Error(`HbTargetLogProbs: ${n} rows but ${targets.length} targets`);
  const be = backend as unknown as WasmBackendInternals;
  const out = be.makeOutput([n], "float32");
  const [px, po] = heapPointers(be, [logits, out]);
  const pt = Deno.UnsafePointer.of(targets as Int32Array<ArrayBuffer>);
  lib.symbols.hb_target_log_probs(px, pt, po, BigInt(n), BigInt(classes));
  return out;
};

/**
 * AdamW: inputs {p, m, v, g}, attrs {constants: Float32Array(8), decay: boolean}; outputs p', m', v'
 * (new tensors: a variable's data may be shared, so nothing is written in place).
 */
const adamW: Run = ({ inputs, attrs, backend }, lib) => {
  const { p, m, v, g } = inputs as Record<string, tf.TensorInfo>;
  const { constants, decay } = attrs as unknown as { constants: Float32Array; decay: boolean };
  const be = backend as unknown as WasmBackendInternals;
  const outs = [0, 1, 2].map(() => be.makeOutput(p.shape, "float32"));
  const q = heapPointers(be, [p, m, v, g, ...outs]);
  const c = Deno.UnsafePointer.of(constants as Float32Array<ArrayBuffer>);
  lib.symbols.hb_adamw(q[0], q[1], q[2], q[3], q[4], q[5], q[6], BigInt(size(p)), c, decay ? 1 : 0);
  return outs;
};

/** Attention heads: inputs {qkv [B·T, 3·H·dh]}, attrs {B, T, H}; outputs q, k, v [B·H, T, dh]. */
const splitHeads: Run = ({ inputs, attrs, backend }, lib) => {
  const qkv = inputs.qkv as tf.TensorInfo;
  const { B, T, H } = attrs as { B: number; T: number; H: number };
  const dh = qkv.shape[1] / (3 * H);
  const be = backend as unknown as WasmBackendInternals;
  const outs = [0, 1, 2].map(() => be.makeOutput([B * H, T, dh], "float32"));
  const p = heapPointers(be, [qkv, ...outs]);
  lib.symbols.hb_heads(p[0], p[1], p[2], p[3], BigInt(B), BigInt(T), BigInt(H), BigInt(dh), 0);
  return outs;
};

/** The inverse of splitHeads: inputs {q, k, v [B·H, T, dh]}, attrs {B, T, H}; output [B·T, 3·H·dh]. */
const mergeHeads: Run = ({ inputs, attrs, backend }, lib) => {
  const { q, k, v } = inputs as Record<string, tf.TensorInfo>;
  const { B, T, H } = attrs as { B: number; T: number; H: number };
  const dh = q.shape[2];
  const be = backend as unknown as WasmBackendInternals;
  const out = be.makeOutput([B * T, 3 * H * dh], "float32");
  const p = heapPointers(be, [out, q, k, v]);
  lib.symbols.hb_heads(p[0], p[1], p[2], p[3], BigInt(B), BigInt(T), BigInt(H), BigInt(dh), 1);
  return out;
};

/** Kernels with no tfjs counterpart, registered on the wasm backend under these names. */
const FUSED: Record<string, Run> = {
  HbGelu: gelu,
  HbGeluGrad: geluGrad,
  HbLayerNorm: layerNorm,
  HbLayerNormGrad: layerNormGrad,
  HbSoftmaxGrad: softmaxGrad,
  HbSplitHeads: splitHeads,
  HbMergeHeads: mergeHeads,
  HbAdamW: adamW,
  HbTargetLogProbs: targetLogProbs,
};

/** Names of the fused kernels (see `runNative`). */
export type FusedKernel = keyof typeof FUSED;

function count(table: Record<string, number>, name: string): void {
  table[name] = (table[name] ?? 0) + 1;
}

/**
 * Builds (or finds in the cache) the native library and registers its kernels on the wasm backend.
 * Returns false, with the reason in {@link nativeKernelStatus}, when there is no compiler, the build
 * fails, the active backend is not wasm or its internals differ, or the self-test fails.
 */
export function enableNativeKernels(options: { threads?: number } = {}): boolean {
  if (options.threads) setNativeThreads(options.threads);
  if (originals) return true;
  if (tf.getBackend() !== "wasm") return refuse(`the active backend is ${tf.getBackend()}, not wasm`);
  if (!isWasmBackend(tf.backend())) {
    return refuse(
      "the wasm backend's internals (dataIdMap, makeOutput, disposeData, incRef, wasm.HEAPU8) are not as in tfjs 4.22",
    );
  }
  // libgomp reads these when the library is opened: a short spin keeps an idle worker from taking a
  // core that OpenBLAS or another process needs.
  setEnvDefault("GOMP_SPINCOUNT", "10000", ["OMP_WAIT_POLICY"]);
  lib = loadNativeLib();
  if (!lib) return refuse(nativeMissingReason() ?? "the native kernels could not be built");
  lib.symbols.hb_set_threads(threads);
  originals = new Map();
  for (const [name, run] of Object.entries(OVERRIDES)) {
    const original = tf.getKernel(name, "wasm");
    if (!original) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      ...original,
      kernelFunc: (args) => {
        if (overridesOn && lib) {
          const out = run(args, lib);
          if (out) {
            count(calls, name);
            return out;
          }
          count(fallbacks, name);
        }
        return original.kernelFunc(args);
      },
    });
  }
  for (const [name, run] of Object.entries(FUSED)) {
    if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc: (args) => {
        if (!lib) throw new Error(`${name}: native kernels are not enabled`);
        count(calls, name);
        return run(args, lib)!;
      },
    });
  }
  const problem = selfTest();
  if (problem) {
    disableNativeKernels();
    return refuse(`self-test failed: ${problem}`);
  }
  reason = "";
  return true;
}

/** Puts the original wasm kernels back and unregisters the fused ones (no-op when not enabled). */
export function disableNativeKernels(): void {
  if (!originals) return;
  for (const [name, original] of originals) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(original);
  }
  for (const name of Object.keys(FUSED)) if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
  originals = null;
  sgemmBound = false;
  reason = "disabled";
}

/** Threads for large native loops (the rest run on one). */
export function setNativeThreads(n: number): void {
  threads = Math.max(1, Math.floor(n));
  lib?.symbols.hb_set_threads(threads);
}

/** Switches the overrides of wasm kernels on or off (the fused kernels stay available). */
export function setNativeOverrides(on: boolean): void {
  overridesOn = on;
}

/** Whether the native kernels are on, why not, and how often each ran. */
export function nativeKernelStatus(): NativeKernelStatus {
  return {
    enabled: originals !== null,
    reason,
    library: lib?.path ?? "",
    build: lib?.build ?? "",
    sha256: lib?.sha256 ?? "",
    threads,
    overrides: overridesOn,
    kernels: originals ? [...originals.keys(), ...Object.keys(FUSED)] : [],
    calls: { ...calls },
    fallbacks: { ...fallbacks },
  };
}

let sgemmBound = false;

/**
 * Gives the C library OpenBLAS's cblas_sgemm (the library at `path`, already opened by openblas.ts),
 * for {@link nativeSgemmBatch}; false when the native kernels are off or the symbol is not there.
 */
export function bindNativeSgemm(path: string): boolean {
  if (!lib) return false;
  sgemmBound = lib.symbols.hb_bind_sgemm(new TextEncoder().encode(`${path}\0`)) === 1;
  return sgemmBound;
}

/**
 * Runs a batch of small products (one single-threaded sgemm each) with the batch shared out over the
 * native threads: C[t] = op(A + aBatch[t]·m·k)·op(B + bBatch[t]·k·n) + beta·C[t], C[t] at t·m·n floats
 * from `c`. Returns false, doing nothing, when there is one thread, one product, or no bound sgemm.
 */
export function nativeSgemmBatch(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Deno.PointerValue,
  b: Deno.PointerValue,
  c: Deno.PointerValue,
  aBatch: number[],
  bBatch: number[],
  lda: number,
  ldb: number,
  beta: number,
): boolean {
  if (!lib || !originals || !sgemmBound || threads < 2 || aBatch.length < 2) return false;
  const aOff = BigInt64Array.from(aBatch, (i) => BigInt(i * m * k));
  const bOff = BigInt64Array.from(bBatch, (i) => BigInt(i * k * n));
  lib.symbols.hb_sgemm_batch(
    transA ? 1 : 0,
    transB ? 1 : 0,
    BigInt(m),
    BigInt(n),
    BigInt(k),
    a,
    b,
    c,
    Deno.UnsafePointer.of(aOff),
    Deno.UnsafePointer.of(bOff),
    BigInt(aBatch.length),
    BigInt(lda),
    BigInt(ldb),
    beta,
  );
  count(calls, "BatchMatMul (batch over threads)");
  return true;
}

/** Whether the fused kernels can be run now: enabled, and the wasm backend active. */
export function nativeReady(): boolean {
  return originals !== null && tf.getBackend() === "wasm";
}

/** Runs fused kernel `name` (see kernels.c) on float32 inputs; several outputs come back as an array. */
export function runNative(
  name: FusedKernel,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown> = {},
): tf.Tensor | tf.Tensor[] {
  for (const [key, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") throw new Error(`${name}: input ${key} is ${t.dtype}, expected float32`);
  }
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as
    | tf.Tensor
    | tf.Tensor[];
}

/** Hand-computed cases through the registered kernels; null when right. */
function selfTest(): string | null {
  const got = tf.tidy(() => {
    const s = Array.from(tf.softmax(tf.tensor2d([[0, Math.log(3)]])).dataSync());
    const m = Array.from(tf.mul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([10, 100])).dataSync());
    const g = Array.from((runNative("HbGelu", { x: tf.tensor1d([0, 1]) }) as tf.Tensor).dataSync());
    return { s, m, g };
  });
  const close = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-6);
  if (!close(got.s, [0.25, 0.75])) return `softmax([0, log 3]) gave ${got.s}`;
  if (!close(got.m, [10, 200, 30, 400])) return `[[1,2],[3,4]]·[10,100] gave ${got.m}`;
  if (!close(got.g, [0, 0.8413447])) return `gelu([0, 1]) gave ${got.g}`;
  return null;
}

function refuse(why: string): false {
  reason = why;
  return false;
}
