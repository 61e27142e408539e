/**
 * Picks the TensorFlow.js backend. `tensorflow` (native libtensorflow through tfjs-node) is used only
 * when its package happens to be installed next to the repository: it is never a dependency, because
 * its install script downloads libtensorflow, which cannot be fetched on these machines.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { InputError } from "../util/errors.ts";
import { blasMatMulStatus, disableBlasMatMul, enableBlasMatMul } from "../kernels/blas_backend.ts";

/** The backends `initBackend` accepts. */
export const BACKEND_NAMES = ["auto", "tensorflow", "wasm-blas", "wasm", "cpu"] as const;
export type BackendName = typeof BACKEND_NAMES[number];

/** Native packages tried in order; the GPU build first. */
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

/**
 * Resolves a native package through Node resolution from this folder upwards (node_modules), so the
 * specifier resolves only when the package is actually there; Deno never tries to download it.
 */
function resolveInstalled(name: string): string | undefined {
  try {
    return createRequire(import.meta.url).resolve(name);
  } catch {
    return undefined;
  }
}

/** Loads tfjs-node(-gpu) if installed; returns why not otherwise. */
async function loadNative(): Promise<{ ok: true } | { ok: false; why: string }> {
  const problems: string[] = [];
  for (const name of NATIVE_PACKAGES) {
    const path = resolveInstalled(name);
    if (!path) {
      problems.push(`${name}: not installed`);
      continue;
    }
    try {
      await import(pathToFileURL(path).href);
      if (tf.findBackend("tensorflow")) return { ok: true };
      problems.push(`${name}: loaded but registered no "tensorflow" backend`);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return { ok: false, why: problems.join("; ") };
}

/**
 * Makes `name` the active tfjs backend and returns the name actually in use ("wasm-blas" when the wasm
 * backend's matrix products run on OpenBLAS). `auto` = the native TensorFlow backend when importable,
 * else wasm with OpenBLAS products when the library is present, else plain wasm.
 */
export async function initBackend(name: BackendName | string = "auto"): Promise<string> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new InputError(`unknown backend ${JSON.stringify(name)}; expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  let target = name === "wasm-blas" ? "wasm" : name;
  if (name === "tensorflow" || name === "auto") {
    const native = tf.findBackend("tensorflow") ? { ok: true as const } : await loadNative();
    if (native.ok) target = "tensorflow";
    else if (name === "auto") target = "wasm";
    else {
      throw new InputError(
        `the "tensorflow" backend is unavailable (${native.why}). @tensorflow/tfjs-node and ` +
          `tfjs-node-gpu are not dependencies of this project: their install script downloads ` +
          `libtensorflow from Google's storage, which these machines cannot reach. Install one by hand ` +
          `next to the repository where that works, or use --backend wasm (the default for auto).`,
      );
    }
  }
  if (!(await tf.setBackend(target))) throw new Error(`tfjs could not initialise the ${target} backend`);
  await tf.ready();
  if (target !== "wasm") return tf.getBackend();
  installWasmKernelPatches();
  if (name === "wasm") disableBlasMatMul();
  else {
    if (enableBlasMatMul()) return "wasm-blas";
    if (name === "wasm-blas") {
      throw new InputError(
        `--backend wasm-blas: OpenBLAS products unavailable (${blasMatMulStatus().reason}); ` +
          `install Debian's libopenblas0-pthread or use --backend wasm`,
      );
    }
  }
  return "wasm";
}

/** The parts of tfjs-backend-wasm's BackendWasm the kernels below use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * Replacement kernel bodies: each handles the common case with plain copies between views of the wasm
 * heap and returns undefined to hand anything else to tfjs's own kernel.
 */
type KernelPatch = (args: Parameters<tf.KernelFunc>[0], backend: WasmBackendLike) => tf.TensorInfo | undefined;

/**
 * tfjs-backend-wasm 4.22's Slice copies the *whole* input out of the heap (readSync) for every
 * slice, so taking one row of a big tensor costs a copy of all of it: copy only the slice.
 */
const contiguousSlice: KernelPatch = ({ inputs, attrs }, backend) => {
  const x = inputs.x as tf.TensorInfo;
  const { begin, size } = attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  if (x.dtype === "string" || x.dtype === "complex64" || !tf.slice_util.isSliceContinous(x.shape, b, s)) {
    return undefined;
  }
  const offset = tf.slice_util.computeFlatOffset(b, tf.util.computeStrides(x.shape));
  const out = backend.makeOutput(s, x.dtype); // may grow the heap: take views only after this
  const n = tf.util.sizeFromShape(s);
  if (n > 0) backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + n));
  return out;
};

/**
 * wasm's GatherV2 moves one element at a time (~90 ms for 2048 rows of 256 floats): gather whole
 * rows (axis 0, no batch dims, float32/int32) with one copy each.
 */
const rowGather: KernelPatch = ({ inputs, attrs }, backend) => {
  const x = inputs.x as tf.TensorInfo;
  const indices = inputs.indices as tf.TensorInfo;
  const { axis, batchDims } = attrs as unknown as { axis: number; batchDims?: number };
  if (tf.util.parseAxisParam(axis, x.shape)[0] !== 0 || (batchDims ?? 0) !== 0) return undefined;
  if (!["float32", "int32"].includes(x.dtype) || indices.dtype !== "int32") return undefined;
  const rows = x.shape[0];
  const rowSize = tf.util.sizeFromShape(x.shape.slice(1));
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
  const [src, dst, ids] = [x, out, indices].map((t) => backend.typedArrayFromHeap(t));
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < rows)) throw new Error(`GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
    if (rowSize === 1) dst[i] = src[id];
    else dst.set(src.subarray(id * rowSize, (id + 1) * rowSize), i * rowSize);
  }
  return out;
};

const WASM_KERNEL_PATCHES: Record<string, KernelPatch> = { Slice: contiguousSlice, GatherV2: rowGather };

/**
 * Swaps tfjs-backend-wasm 4.22's Slice and GatherV2 kernels for the faster copies above (same results;
 * cases they do not cover go to the original kernel). Uses only the public kernel registry; pinned to
 * tfjs 4.22 like the rest of the project.
 */
function installWasmKernelPatches(): void {
  for (const [name, patch] of Object.entries(WASM_KERNEL_PATCHES)) {
    const original = tf.getKernel(name, "wasm");
    if (!original || (original as { patched?: boolean }).patched) continue;
    const kernelFunc: tf.KernelFunc = (args) =>
      patch(args, args.backend as unknown as WasmBackendLike) ?? original.kernelFunc(args);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...original, kernelFunc, patched: true } as tf.KernelConfig);
  }
}
