/**
 * The worker that owns the GPU. First it only asks WebGPU for an adapter and says which (or why none);
 * when told to start, it loads tfjs-backend-webgpu and this project's WebGPU kernels (kernels.ts) and
 * runs requests from the main thread's proxy backend (proxy_backend.ts). Its own event loop stays free,
 * so it can wait for GPU reads (mapAsync) while the main thread blocks on the answer. The main thread
 * never touches WebGPU itself: two WebGPU instances in one process (one per thread) can tear each other
 * down at exit on Mesa's EGL driver.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { describeAdapter } from "./adapter.ts";
import { setEnvDefault } from "../env.ts";
import {
  ANSWERED,
  FAILED,
  type Hello,
  type Probe,
  type RemoteTensor,
  type Reply,
  REPLY_BYTES,
  REPLY_LENGTH,
  type Request,
} from "./protocol.ts";

type TF = typeof tfTypes;
type DataId = tfTypes.DataId;
type KernelBackend = tfTypes.KernelBackend;

const shared = workerData as { port: MessagePort; flag: SharedArrayBuffer; reply: SharedArrayBuffer };
const port = shared.port;
const flag = new Int32Array(shared.flag);
const replyBytes = new Uint8Array(shared.reply);

/** The backend's data ids by the ids the main thread knows them by, and back. */
const data = new Map<number, DataId>();
const ids = new Map<DataId, number>();
let nextId = -1; // ids made here (kernel outputs) are negative; the main thread's writes are positive

/** A WebGPU validation error reported since the last answer (the device reports them asynchronously). */
let deviceError: string | null = null;

/** Bytes one storage binding may hold on this device: larger tensors cannot be bound by a kernel. */
let bindingLimit = Infinity;

/** Throws when a tensor is too large for one storage binding (the caller names the kernel). */
function checkBinding(infos: tfTypes.TensorInfo[]): void {
  for (const t of infos) {
    const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
    if (bytes > bindingLimit) {
      throw new Error(
        `a [${t.shape}] tensor (${bytes} bytes) exceeds this adapter's storage-binding limit of ${bindingLimit} bytes ` +
          `(maxStorageBufferBindingSize); use a smaller batch`,
      );
    }
  }
}

/** Writes the reply into shared memory (a pending device error instead), then wakes the main thread. */
function answer(reply: Reply): void {
  if (deviceError && !("error" in reply)) {
    reply = { error: `WebGPU validation error: ${deviceError}` };
    deviceError = null;
  }
  let bytes = new TextEncoder().encode(JSON.stringify(reply));
  if (bytes.length > REPLY_BYTES) bytes = new TextEncoder().encode(JSON.stringify({ error: "reply too long" }));
  replyBytes.set(bytes);
  Atomics.store(flag, REPLY_LENGTH, bytes.length);
  Atomics.store(flag, ANSWERED, 1);
  Atomics.notify(flag, ANSWERED);
}

function dataOf(id: number): DataId {
  const d = data.get(id);
  if (!d) throw new Error(`WebGPU worker: no tensor with id ${id}`);
  return d;
}

function remote(info: tfTypes.TensorInfo): RemoteTensor {
  let id = ids.get(info.dataId);
  if (id === undefined) {
    id = nextId--;
    ids.set(info.dataId, id);
    data.set(id, info.dataId);
  }
  return { id, shape: info.shape, dtype: info.dtype };
}

async function handle(tf: TF, backend: KernelBackend, req: Request): Promise<void> {
  switch (req.op) {
    case "write": {
      const dataId = backend.write(req.values, req.shape, req.dtype);
      for (let i = 1; i < req.refCount; i++) backend.incRef(dataId);
      data.set(req.id, dataId);
      ids.set(dataId, req.id);
      return;
    }
    case "incRef":
      return backend.incRef(dataOf(req.id));
    case "dispose": {
      const dataId = data.get(req.id);
      if (dataId && backend.disposeData(dataId, req.force)) {
        data.delete(req.id);
        ids.delete(dataId);
      }
      return;
    }
    case "kernel": {
      const kernel = tf.getKernel(req.name, "webgpu");
      if (!kernel) throw new Error(`no WebGPU kernel ${req.name}`);
      const info = (t: RemoteTensor): tfTypes.TensorInfo => ({ dataId: dataOf(t.id), shape: t.shape, dtype: t.dtype });
      const inputs = Array.isArray(req.inputs)
        ? req.inputs.map(info)
        : Object.fromEntries(Object.entries(req.inputs).filter(([, t]) => t).map(([key, t]) => [key, info(t!)]));
      checkBinding(Object.values(inputs));
      const out = kernel.kernelFunc({
        inputs: inputs as tfTypes.NamedTensorInfoMap,
        attrs: req.attrs as tfTypes.NamedAttrMap,
        backend,
      });
      const outs = Array.isArray(out) ? out : [out];
      checkBinding(outs);
      return answer({ outputs: outs.map(remote) });
    }
    case "read": {
      const values = await backend.read(dataOf(req.id)) as Float32Array | Int32Array | Uint8Array;
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      if (bytes.length > req.into.byteLength) throw new Error(`read: ${bytes.length} bytes do not fit`);
      new Uint8Array(req.into).set(bytes);
      const kind = values.constructor.name as "Float32Array" | "Int32Array" | "Uint8Array";
      return answer({ read: kind, length: values.length });
    }
    case "memory": {
      const m = backend.memory() as unknown as { numBytesInGPU: number; numBytesAllocatedInGPU: number };
      return answer({ memory: { numBytesInGPU: m.numBytesInGPU, numBytesAllocatedInGPU: m.numBytesAllocatedInGPU } });
    }
    case "sync": {
      const b = backend as unknown as {
        ensureCommandEncoderReady(): void;
        endComputePassEncoder(): void;
        submitQueue(): void;
        device: GPUDevice;
      };
      b.ensureCommandEncoderReady();
      b.endComputePassEncoder();
      b.submitQueue();
      await b.device.queue.onSubmittedWorkDone();
      return answer({ done: true });
    }
  }
}

/**
 * WebGPU's native APIs for Deno's wgpu, unless DENO_WEBGPU_BACKEND says otherwise: not OpenGL, whose
 * EGL context, held by this worker, aborts the process at exit (Mesa, Deno 2.9). Linux GPUs (and
 * Mesa's software lavapipe) go through Vulkan, macOS through Metal.
 */
const NATIVE_APIS = "vulkan,metal,dx12";

/** Asks for the adapter tfjs-backend-webgpu will take (high-performance). */
async function probe(): Promise<Probe> {
  setEnvDefault("DENO_WEBGPU_BACKEND", NATIVE_APIS);
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { missing: "this runtime has no navigator.gpu (WebGPU)" };
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    return adapter ? { adapter: describeAdapter(adapter) } : { missing: NO_ADAPTER };
  } catch (e) {
    return { missing: `WebGPU's requestAdapter failed: ${(e as Error).message.split("\n")[0]}` };
  }
}

const NO_ADAPTER = "WebGPU found no adapter: no GPU driver (Vulkan or Metal), and no software one " +
  "(Debian: apt-get install mesa-vulkan-drivers libvulkan1)";

/** Loads tfjs with its webgpu backend and this project's kernels, then serves the main thread. */
async function start(): Promise<void> {
  let hello: Hello;
  let tf: TF | null = null;
  try {
    tf = await import("@tensorflow/tfjs");
    await import("@tensorflow/tfjs-backend-webgpu");
    const { registerWebGpuKernels } = await import("./kernels.ts");
    if (!(await tf.setBackend("webgpu"))) throw new Error("tfjs could not start its webgpu backend");
    await tf.ready();
    registerWebGpuKernels();
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    bindingLimit = device.limits.maxStorageBufferBindingSize;
    device.addEventListener("uncapturederror", (e) => {
      deviceError ??= (e as GPUUncapturedErrorEvent).error.message.split("\n")[0];
    });
    hello = { ready: true, kernels: tf.getKernelsForBackend("webgpu").map((k) => k.kernelName) };
  } catch (e) {
    hello = { ready: false, error: (e as Error).message.split("\n")[0] };
  }
  port.postMessage(hello);
  if (!hello.ready || !tf) return;
  const lib = tf;
  const backend = tf.backend();
  const needsAnswer = new Set(["kernel", "read", "memory", "sync"]);
  port.on("message", async (req: Request) => {
    try {
      await handle(lib, backend, req);
    } catch (e) {
      const error = `${req.op === "kernel" ? `${req.name}: ` : ""}${(e as Error).message}`;
      if (needsAnswer.has(req.op)) answer({ error });
      else {
        console.error(`WebGPU worker: ${req.op} failed: ${error}`);
        Atomics.store(flag, FAILED, 1);
      }
    }
  });
}

const found = await probe();
port.postMessage(found);
if ("adapter" in found) port.once("message", () => void start());
