/**
 * The worker that owns the GPU: runs tfjs-backend-webgpu (and this project's WebGPU kernels,
 * kernels.ts) on requests from the main thread's proxy backend (proxy_backend.ts). Its own event loop
 * stays free, so it can wait for GPU reads (mapAsync) while the main thread blocks on the answer.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { describeAdapter } from "./adapter.ts";
import { ANSWERED, FAILED, type Hello, type RemoteTensor, type Reply, type Request } from "./protocol.ts";
import { registerWebGpuKernels } from "./kernels.ts";

const { port, flag: flagBuffer } = workerData as { port: MessagePort; flag: SharedArrayBuffer };
const flag = new Int32Array(flagBuffer);

/** The backend's data ids by the ids the main thread knows them by, and back. */
const data = new Map<number, tf.DataId>();
const ids = new Map<tf.DataId, number>();
let nextId = -1; // ids made here (kernel outputs) are negative; the main thread's writes are positive

function answer(reply: Reply): void {
  port.postMessage(reply);
  Atomics.store(flag, ANSWERED, 1);
  Atomics.notify(flag, ANSWERED);
}

function dataOf(id: number): tf.DataId {
  const d = data.get(id);
  if (!d) throw new Error(`WebGPU worker: no tensor with id ${id}`);
  return d;
}

function remote(info: tf.TensorInfo): RemoteTensor {
  let id = ids.get(info.dataId);
  if (id === undefined) {
    id = nextId--;
    ids.set(info.dataId, id);
    data.set(id, info.dataId);
  }
  return { id, shape: info.shape, dtype: info.dtype };
}

async function handle(backend: tf.KernelBackend, req: Request): Promise<void> {
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
      const info = (t: RemoteTensor) => ({ dataId: dataOf(t.id), shape: t.shape, dtype: t.dtype });
      const inputs = Array.isArray(req.inputs)
        ? req.inputs.map(info)
        : Object.fromEntries(Object.entries(req.inputs).filter(([, t]) => t).map(([key, t]) => [key, info(t!)]));
      const out = kernel.kernelFunc({
        inputs: inputs as tf.NamedTensorInfoMap,
        attrs: req.attrs as tf.NamedAttrMap,
        backend,
      });
      return answer({ outputs: (Array.isArray(out) ? out : [out]).map(remote) });
    }
    case "read":
      return answer({ values: await backend.read(dataOf(req.id)) });
    case "memory": {
      const m = backend.memory() as unknown as { numBytesInGPU: number; numBytesAllocatedInGPU: number };
      return answer({ memory: { numBytesInGPU: m.numBytesInGPU, numBytesAllocatedInGPU: m.numBytesAllocatedInGPU } });
    }
    case "sync": {
      const b = backend as unknown as { submitQueue(): void; device: GPUDevice };
      b.submitQueue();
      await b.device.queue.onSubmittedWorkDone();
      return answer({ done: true });
    }
  }
}

async function start(): Promise<void> {
  let hello: Hello;
  try {
    if (!(await tf.setBackend("webgpu"))) throw new Error("tfjs could not start its webgpu backend");
    await tf.ready();
    registerWebGpuKernels();
    // tfjs-backend-webgpu asked for this adapter (and its limits) too.
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
    hello = {
      ready: true,
      kernels: tf.getKernelsForBackend("webgpu").map((k) => k.kernelName),
      adapter: describeAdapter(adapter!),
    };
  } catch (e) {
    hello = { ready: false, error: (e as Error).message.split("\n")[0] };
  }
  port.postMessage(hello);
  if (!hello.ready) return;
  const backend = tf.backend();
  const needsAnswer = new Set(["kernel", "read", "memory", "sync"]);
  port.on("message", async (req: Request) => {
    try {
      await handle(backend, req);
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

await start();
