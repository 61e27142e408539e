/**
 * tfjs's "webgpu" backend on the main thread, as a proxy: every kernel, write, read and dispose goes to
 * a worker (worker.ts) that runs tfjs-backend-webgpu on the GPU device. Deno has no synchronous way to
 * read a GPU buffer (mapAsync resolves only on the event loop), while tfjs's dataSync, and with it this
 * project's training and evaluation code, reads synchronously; so the main thread blocks in
 * Atomics.wait while the worker, whose event loop is free, maps the buffer. Kernels are synchronous
 * calls too (their output shapes are needed at once); writes, incRefs and disposes are only posted.
 * Reference counts are mirrored here as the worker's backend keeps them (an output that reuses an
 * input's data, as Reshape does, has been incRef'd there).
 */
import * as tf from "@tensorflow/tfjs";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import {
  type AdapterSummary,
  ANSWERED,
  FAILED,
  type Hello,
  type Probe,
  type RemoteInputs,
  type RemoteTensor,
  type Reply,
  REPLY_BYTES,
  REPLY_LENGTH,
  type Request,
} from "./protocol.ts";

/** The name the proxy backend registers under. */
export const WEBGPU = "webgpu";

/** Seconds to wait for one answer before giving up (a kernel compile on a software adapter can take a while). */
const ANSWER_TIMEOUT_S = 600;

interface Entry {
  id: number;
  refCount: number;
  /** Elements. */
  size: number;
}

/** The typed arrays a read may come back as. */
const ARRAYS = { Float32Array, Int32Array, Uint8Array };

/** The worker, its port and the shared flag and reply buffer: one per process. */
interface Channel {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  reply: Uint8Array;
}

class ProxyBackend extends tf.KernelBackend {
  private readonly entries: tf.DataStorage<Entry>;
  private readonly byId = new Map<number, tf.DataId>();
  private nextId = 1;

  constructor(private readonly channel: Channel) {
    super();
    this.entries = new tf.DataStorage(this, tf.engine());
  }

  private post(req: Request): void {
    this.channel.port.postMessage(req);
  }

  /** Sends `req` and blocks until the worker answers. */
  call(req: Request): Reply {
    const { port, flag } = this.channel;
    Atomics.store(flag, ANSWERED, 0);
    port.postMessage(req);
    for (let waited = 0; Atomics.wait(flag, ANSWERED, 0, 1000) === "timed-out"; waited++) {
      if (Atomics.load(flag, FAILED) || waited > ANSWER_TIMEOUT_S) {
        throw new Error(
          `the WebGPU worker did not answer ${req.op}${Atomics.load(flag, FAILED) ? " (it failed)" : ""}`,
        );
      }
    }
    const length = Atomics.load(flag, REPLY_LENGTH);
    const reply = JSON.parse(new TextDecoder().decode(this.channel.reply.slice(0, length))) as Reply;
    if ("error" in reply) throw new Error(`WebGPU: ${reply.error}`);
    return reply;
  }

  private remote(info: tf.TensorInfo): RemoteTensor {
    return { id: this.entries.get(info.dataId).id, shape: info.shape, dtype: info.dtype };
  }

  /** Runs kernel `name` in the worker; outputs that reuse known data count as references to it. */
  runKernel(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo | tf.TensorInfo[] {
    calls[name] = (calls[name] ?? 0) + 1;
    const remoteInputs: RemoteInputs = Array.isArray(inputs)
      ? (inputs as tf.TensorInfo[]).map((t) => this.remote(t))
      : Object.fromEntries(Object.entries(inputs).map(([key, t]) => [key, t ? this.remote(t) : null]));
    const reply = this.call({ op: "kernel", name, inputs: remoteInputs, attrs: { ...attrs } }) as {
      outputs: RemoteTensor[];
    };
    const outs = reply.outputs.map((o) => {
      let dataId = this.byId.get(o.id);
      if (dataId) this.entries.get(dataId).refCount++;
      else {
        dataId = { id: o.id };
        this.byId.set(o.id, dataId);
        this.entries.set(dataId, { id: o.id, refCount: 1, size: tf.util.sizeFromShape(o.shape) });
      }
      return { dataId, shape: o.shape, dtype: o.dtype };
    });
    return outs.length === 1 ? outs[0] : outs;
  }

  override write(values: tf.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const dataId = {};
    this.move(dataId, values, shape, dtype, 1);
    return dataId;
  }

  override move(dataId: tf.DataId, values: tf.BackendValues, shape: number[], dtype: tf.DataType, refCount: number) {
    if (dtype === "string" || dtype === "complex64") throw new Error(`the WebGPU proxy does not take ${dtype} tensors`);
    const id = this.nextId++;
    this.post({ op: "write", id, values, shape, dtype, refCount });
    this.byId.set(id, dataId);
    this.entries.set(dataId, { id, refCount, size: tf.util.sizeFromShape(shape) });
  }

  override incRef(dataId: tf.DataId): void {
    const entry = this.entries.get(dataId);
    entry.refCount++;
    this.post({ op: "incRef", id: entry.id });
  }

  override refCount(dataId: tf.DataId): number {
    return this.entries.has(dataId) ? this.entries.get(dataId).refCount : 0;
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    if (!this.entries.has(dataId)) return true;
    const entry = this.entries.get(dataId);
    entry.refCount = force ? 0 : entry.refCount - 1;
    this.post({ op: "dispose", id: entry.id, force });
    if (entry.refCount > 0) return false;
    this.entries.delete(dataId);
    this.byId.delete(entry.id);
    return true;
  }

  override readSync(dataId: tf.DataId): tf.BackendValues {
    const { id, size } = this.entries.get(dataId);
    const into = new SharedArrayBuffer(Math.max(4, 4 * size)); // 4 bytes an element at most
    const reply = this.call({ op: "read", id, into }) as { read: keyof typeof ARRAYS; length: number };
    const Kind = ARRAYS[reply.read];
    const values = new Kind(reply.length);
    values.set(new Kind(into as unknown as ArrayBuffer, 0, reply.length));
    return values;
  }

  override read(dataId: tf.DataId): Promise<tf.BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  override numDataIds(): number {
    return this.entries.numDataIds();
  }

  override memory(): { unreliable: boolean; numBytesInGPU: number; numBytesAllocatedInGPU: number } {
    const { memory } = this.call({ op: "memory" }) as {
      memory: { numBytesInGPU: number; numBytesAllocatedInGPU: number };
    };
    return { unreliable: false, ...memory };
  }

  override timerAvailable(): boolean {
    return true;
  }

  /** Wall time of `f` until the GPU has finished the work it queued. */
  override time(f: () => void): Promise<tf.BackendTimingInfo> {
    const t0 = performance.now();
    f();
    this.call({ op: "sync" });
    return Promise.resolve({ kernelMs: performance.now() - t0 });
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    this.channel.worker.terminate();
  }
}

/**
 * Kernels that only alias their input, done here as tfjs-backend-webgpu does them (a reference more,
 * the same data), without a round trip to the worker.
 */
const LOCAL_KERNELS: Record<string, tf.KernelFunc> = {
  Identity: ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    (backend as ProxyBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
  Reshape: ({ inputs, attrs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const size = tf.util.sizeFromShape(x.shape);
    const shape = tf.util.inferFromImplicitShape((attrs as { shape: number[] }).shape, size);
    if (tf.util.sizeFromShape(shape) !== size) {
      throw new Error(`Reshape: the new shape (${shape}) does not have the ${size} elements of (${x.shape})`);
    }
    (backend as ProxyBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape, dtype: x.dtype };
  },
};

let adapter: AdapterSummary | null = null;
const calls: Record<string, number> = {};

/** What {@link webGpuStatus} reports. */
export interface WebGpuStatus {
  /** The adapter the GPU worker runs on; null until the backend has started. */
  adapter: AdapterSummary | null;
  /** Kernel calls sent to the worker, by kernel name. */
  calls: Record<string, number>;
}

/** The adapter in use and the kernel calls so far. */
export function webGpuStatus(): WebGpuStatus {
  return { adapter, calls: { ...calls } };
}

/** The GPU worker (one per process) and what it found. */
let launched: Promise<{ channel: Channel; probe: Probe }> | null = null;

/** Waits for the worker's next message on `port`, holding the process open meanwhile. */
async function nextMessage<T>(channel: Channel): Promise<T> {
  channel.worker.ref();
  channel.port.ref();
  try {
    return await new Promise<T>((resolve, reject) => {
      channel.port.once("message", resolve);
      channel.worker.once("error", reject);
    });
  } finally {
    // Neither keeps the process alive otherwise: tools end when their work is done, as with wasm.
    channel.worker.unref();
    channel.port.unref();
  }
}

function launch(): Promise<{ channel: Channel; probe: Probe }> {
  launched ??= (async () => {
    await ensureRuntimeDir();
    const flag = new Int32Array(new SharedArrayBuffer(12));
    const reply = new Uint8Array(new SharedArrayBuffer(REPLY_BYTES));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      workerData: { port: port2, flag: flag.buffer, reply: reply.buffer },
      transferList: [port2],
    });
    const channel: Channel = { worker, port: port1, flag, reply };
    const probe = await nextMessage<Probe>(channel).catch((e) => ({
      missing: `the WebGPU worker failed: ${(e as Error).message}`,
    }));
    return { channel, probe };
  })();
  return launched;
}

/**
 * The Vulkan loader's window-system probe prints "error: XDG_RUNTIME_DIR is invalid or not set" on a
 * machine with no login session (CI, containers), though no window is ever opened: give this process a
 * private runtime folder, as a session would, before WebGPU starts.
 */
async function ensureRuntimeDir(): Promise<void> {
  if (Deno.build.os !== "linux" || Deno.env.get("XDG_RUNTIME_DIR")) return;
  const dir = await Deno.makeTempDir({ prefix: "headless-bench-runtime-" });
  Deno.env.set("XDG_RUNTIME_DIR", dir);
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  });
}

/**
 * The adapter WebGPU offers this process (vendor, description, software or not), or why there is
 * none. Asked in the GPU worker, which is started once for it: the main thread never opens WebGPU.
 */
export async function probeWebGpu(): Promise<Probe> {
  return (await launch()).probe;
}

let started: Promise<Probe> | null = null;

/**
 * Starts tfjs-backend-webgpu in the GPU worker once and registers the proxy backend and a proxy of
 * every kernel under "webgpu"; the adapter it runs on, or why it cannot.
 */
export function startWebGpu(): Promise<Probe> {
  started ??= start();
  return started;
}

async function start(): Promise<Probe> {
  const { channel, probe } = await launch();
  if ("missing" in probe) return probe;
  channel.port.postMessage({ op: "start" });
  const hello = await nextMessage<Hello>(channel).catch((e) => ({
    ready: false as const,
    error: (e as Error).message,
  }));
  if (!hello.ready) return { missing: `the WebGPU backend did not start: ${hello.error}` };
  for (const kernelName of hello.kernels) {
    if (tf.getKernel(kernelName, WEBGPU)) tf.unregisterKernel(kernelName, WEBGPU);
    const local = LOCAL_KERNELS[kernelName];
    tf.registerKernel({
      kernelName,
      backendName: WEBGPU,
      kernelFunc: local ??
        (({ inputs, attrs, backend }) => (backend as ProxyBackend).runKernel(kernelName, inputs, attrs ?? {})),
    });
  }
  tf.registerBackend(WEBGPU, () => new ProxyBackend(channel));
  adapter = probe.adapter;
  return probe;
}
