/**
 * The wasm backend's heap as the native kernels (BLAS products, compiled C kernels) see it: tensors
 * live at `dataIdMap.get(dataId).memoryOffset` inside `wasm.HEAPU8`. These are tfjs-backend-wasm 4.22
 * internals, checked once by {@link isWasmBackend} before any kernel is registered. An allocation
 * (makeOutput) may grow the heap and replace HEAPU8, so pointers are taken after the last one.
 */
import type * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-wasm's BackendWasm that the native kernels use. */
export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
  incRef(dataId: tf.DataId): void;
}

/** True when `backend` has every internal the native kernels use. */
export function isWasmBackend(backend: unknown): backend is WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | undefined;
  return typeof b?.makeOutput === "function" && typeof b.dataIdMap?.get === "function" &&
    typeof b.disposeData === "function" && typeof b.incRef === "function" && b.wasm?.HEAPU8 instanceof Uint8Array;
}

/** The heap's base address now. */
export function heapBase(backend: WasmBackendInternals): Deno.PointerObject {
  const base = Deno.UnsafePointer.of(backend.wasm.HEAPU8 as Uint8Array<ArrayBuffer>);
  if (!base) throw new Error("no pointer to the wasm heap");
  return base;
}

/** Byte offset of a tensor's data in the heap. */
export function heapOffset(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset!;
}

/** Pointers to `tensors` in the current heap. */
export function heapPointers(backend: WasmBackendInternals, tensors: tf.TensorInfo[]): Deno.PointerValue[] {
  const base = heapBase(backend);
  return tensors.map((t) => Deno.UnsafePointer.offset(base, heapOffset(backend, t)));
}

/** A Float32Array over a tensor's data in the current heap. */
export function heapFloats(backend: WasmBackendInternals, info: tf.TensorInfo, shape: number[]): Float32Array {
  const heap = backend.wasm.HEAPU8;
  return new Float32Array(heap.buffer, heap.byteOffset + heapOffset(backend, info), shape.reduce((a, b) => a * b, 1));
}
