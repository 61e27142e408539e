/**
 * Messages between the main thread's WebGPU proxy backend (proxy_backend.ts) and the worker that owns
 * the GPU device (worker.ts). Requests go by message, in order. Those that need an answer (kernel,
 * read, memory, sync) are answered in shared memory: the reply as JSON in the shared reply buffer
 * (a read's values straight into a shared buffer the request brought), then the flag set, so that the
 * main thread, blocked in Atomics.wait, wakes to a complete answer: a synchronous call, which is what
 * tfjs's readSync and every kernel (whose output shapes must be known at once) need.
 */
import type * as tf from "@tensorflow/tfjs";

/** A tensor as both sides name it: the worker's id for its data, with the shape and dtype in use. */
export interface RemoteTensor {
  id: number;
  shape: number[];
  dtype: tf.DataType;
}

/** A kernel's inputs: named (absent optional ones as null), or a list for AddN, Concat and Pack. */
export type RemoteInputs = Record<string, RemoteTensor | null> | RemoteTensor[];

/** What the main thread asks. */
export type Request =
  | { op: "write"; id: number; values: tf.BackendValues; shape: number[]; dtype: tf.DataType; refCount: number }
  | { op: "incRef"; id: number }
  | { op: "dispose"; id: number; force: boolean }
  | { op: "kernel"; name: string; inputs: RemoteInputs; attrs: Record<string, unknown> }
  | { op: "read"; id: number; into: SharedArrayBuffer }
  | { op: "memory" }
  | { op: "sync" };

/** The worker's answer to kernel, read, memory and sync; `error` when it failed. */
export type Reply =
  | { outputs: RemoteTensor[] }
  | { read: "Float32Array" | "Int32Array" | "Uint8Array"; length: number }
  | { memory: { numBytesInGPU: number; numBytesAllocatedInGPU: number } }
  | { done: true }
  | { error: string };

/** The GPU adapter the worker got, as the manifest records it. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for a software adapter (Mesa's llvmpipe or lavapipe, SwiftShader): correct but slow. */
  software: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** The worker's first message: the adapter WebGPU offers, or why there is none. */
export type Probe = { adapter: AdapterSummary } | { missing: string };

/** The worker's answer to being told to start: ready with its kernels, or why not. */
export type Hello = { ready: true; kernels: string[] } | { ready: false; error: string };

/** Slots of the shared Int32Array: the answer is there (1); the worker has failed (1); the reply's byte length. */
export const ANSWERED = 0;
export const FAILED = 1;
export const REPLY_LENGTH = 2;

/** Bytes of the shared reply buffer (kernel replies list a few output shapes). */
export const REPLY_BYTES = 1 << 20;
