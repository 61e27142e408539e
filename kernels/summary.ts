/** What the native fast paths are doing in this process, for run.json and the reproduction's manifest.json. */
import { blasMatMulStatus } from "./blas_backend.ts";
import { nativeKernelStatus } from "./native_backend.ts";
import { blasThreadReproducibility, loadOpenBlas, type ThreadReproducibility } from "./openblas.ts";

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
  native: { enabled: boolean; reason: string; build: string; threads: number; kernels: string[] };
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
    native: { enabled: n.enabled, reason: n.reason, build: n.build, threads: n.threads, kernels: n.kernels },
  };
}
