/**
 * How many threads the stage workers train and score on (OpenBLAS's products and the C kernels alike,
 * kernels/blas_backend.ts). The workers are child processes that read OPENBLAS_NUM_THREADS at start, so the
 * count travels in that variable. It is not part of any stage's key: like the CPU, it changes the
 * rounding of OpenBLAS's threaded products, not what is computed, and each stage records the count it ran on
 * (details.environment.kernels).
 */
import { parseThreadCount, setBlasThreads } from "../kernels/mod.ts";

/** The thread count the stages get, and where it came from. */
export interface StageThreads {
  threads: number;
  /** "OPENBLAS_NUM_THREADS" (the user's setting wins), "profile", or "default" (one thread). */
  source: "OPENBLAS_NUM_THREADS" | "profile" | "default";
  /** True when the profile asked for more threads than the cores this process may use. */
  capped: boolean;
}

/**
 * The stages' thread count: OPENBLAS_NUM_THREADS when the user set it, else the profile's `threads`
 * capped at `cores`, else 1 (a second thread halves the speed on a CPU shared with other jobs).
 */
export function resolveStageThreads(
  profileThreads: number | null,
  env: string | undefined,
  cores: number,
): StageThreads {
  const fromEnv = parseThreadCount(env);
  if (fromEnv !== undefined) return { threads: fromEnv, source: "OPENBLAS_NUM_THREADS", capped: false };
  if (profileThreads === null) return { threads: 1, source: "default", capped: false };
  const threads = Math.max(1, Math.min(profileThreads, cores));
  return { threads, source: "profile", capped: threads < profileThreads };
}

/** One line for the log, e.g. "2 threads (profile)". */
export function describeStageThreads(t: StageThreads, profileThreads: number | null): string {
  const why = t.capped ? `profile asks ${profileThreads}, this machine has ${t.threads} cores` : t.source;
  return `${t.threads} thread${t.threads === 1 ? "" : "s"} (${why})`;
}

/** Sets the count for this process and for the stage workers it starts (they inherit the environment). */
export function applyStageThreads(t: StageThreads): void {
  Deno.env.set("OPENBLAS_NUM_THREADS", String(t.threads));
  setBlasThreads(t.threads);
}
