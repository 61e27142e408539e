/**
 * Faster copies of two tfjs-backend-wasm 4.22 kernels the plain model path leans on (Slice and
 * GatherV2). Each handles the common case with plain copies between views of the wasm heap and hands
 * anything else to tfjs's own kernel; same results. Uses only the public kernel registry; pinned to
 * tfjs 4.22 like the rest of the project.
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-wasm's BackendWasm the kernels below use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** A replacement kernel body: returns undefined to hand the call to tfjs's own kernel. */
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
 * Swaps tfjs-backend-wasm 4.22's Slice and GatherV2 kernels for the faster copies above (once; cases
 * they do not cover go to the original kernel).
 */
export function installWasmKernelPatches(): void {
  for (const [name, patch] of Object.entries(WASM_KERNEL_PATCHES)) {
    const original = tf.getKernel(name, "wasm");
    if (!original || (original as { patched?: boolean }).patched) continue;
    const kernelFunc: tf.KernelFunc = (args) =>
      patch(args, args.backend as unknown as WasmBackendLike) ?? original.kernelFunc(args);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...original, kernelFunc, patched: true } as tf.KernelConfig);
  }
}
