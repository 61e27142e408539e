/** What the native fast paths are doing in this process, for artifact records and the reproduction's manifest.json. */
import * as tf from "@tensorflow/tfjs";
import { blasMatMulStatus } from "./blas_backend.ts";
import { nativeKernelStatus } from "./native_backend.ts";
import { blasThreadReproducibility, loadOpenBlas, type ThreadReproducibility } from "./openblas.ts";
import type { AdapterSummary } from "./webgpu/protocol.ts";
import { webGpuStatus } from "./webgpu/proxy_backend.ts";

/** BLAS products and compiled kernels: on or off (with why), library, build flags, threads, kernel names. */
export interface KernelSummary {
  blas: {
    enabled: boolean;
    reason: string;
    library: string;
    threads: number;
    /**
     * With more than one thread: whether OpenBLAS's threaded products equal its 1-thread ones bit for
     * bit on this CPU (probed). Where not, results depend on the thread count within float32 rounding.
     */
    threadReproducibility?: ThreadReproducibility;
  };
  /** sha256: of the compiled kernel library that was loaded, so a run names the exact build. */
  native: { enabled: boolean; reason: string; build: string; sha256: string; threads: number; kernels: string[] };
  /** The GPU adapter of the webgpu backend (vendor, architecture, description; software or not), once started. */
  webgpu: { adapter: AdapterSummary } | null;
}

/** The summary now (after initBackend has chosen the backend). */
export function kernelSummary(): KernelSummary {
  const b = blasMatMulStatus();
  const n = nativeKernelStatus();
  return {
    blas: {
      enabled: b.enabled,
      reason: b.reason,
      library: b.library,
      threads: b.threads,
      ...(b.enabled && b.threads > 1
        ? { threadReproducibility: blasThreadReproducibility(loadOpenBlas()!, b.threads) }
        : {}),
    },
    native: {
      enabled: n.enabled,
      reason: n.reason,
      build: n.build,
      sha256: n.sha256,
      threads: n.threads,
      kernels: n.kernels,
    },
    webgpu: webGpuStatus().adapter ? { adapter: webGpuStatus().adapter! } : null,
  };
}

/** The software a run used: backend, tfjs, Deno, V8, OS, and the kernels' summary. */
export interface RunEnvironment {
  backend: string;
  tfjs: string;
  deno: string;
  v8: string;
  os: string;
  kernels: KernelSummary;
}

/** The environment of this process now, with the backend `initBackend` reported. */
export function runEnvironment(backend: string): RunEnvironment {
  return {
    backend,
    tfjs: tf.version.tfjs,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os}-${Deno.build.arch}`,
    kernels: kernelSummary(),
  };
}
