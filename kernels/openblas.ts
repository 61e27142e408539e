/**
 * OpenBLAS through Deno's FFI: finds the shared library, binds `cblas_sgemm` and the thread-count
 * calls, and says why when it cannot. Debian ships it as `libopenblas0-pthread`; the environment
 * variable HEADLESS_BLAS_LIB names another file to use instead.
 */

import { setEnvDefault } from "./env.ts";
import { compareArrays } from "../util/compare.ts";

/** cblas enum values (cblas.h): row-major order and the two transpose flags. */
export const CBLAS_ROW_MAJOR = 101;
export const CBLAS_NO_TRANS = 111;
export const CBLAS_TRANS = 112;

/** The environment variable that names the library file, overriding the search. */
export const BLAS_LIB_ENV = "HEADLESS_BLAS_LIB";

/** Row-major single-precision product C = alpha·op(A)·op(B) + beta·C, pointers into any memory. */
export type Sgemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Deno.PointerValue,
  lda: number,
  b: Deno.PointerValue,
  ldb: number,
  beta: number,
  c: Deno.PointerValue,
  ldc: number,
) => void;

/** A loaded BLAS library. */
export interface Blas {
  /** The file or soname that was opened. */
  readonly path: string;
  /** `openblas_get_config()` (e.g. "OpenBLAS 0.3.21 ... SkylakeX MAX_THREADS=64"), or "" if absent. */
  readonly config: string;
  /** Row-major sgemm; see {@link Sgemm}. */
  readonly sgemm: Sgemm;
  /** Sets OpenBLAS's thread count; false when the library has no such call. */
  setThreads(n: number): boolean;
  /** OpenBLAS's current thread count, or 0 when the library cannot say. */
  threads(): number;
}

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "pointer",
      "i32",
      "pointer",
      "i32",
      "f32",
      "pointer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
} as const;

/** Where Debian, Ubuntu, Fedora and Homebrew put the library, tried after the loader's own search. */
const KNOWN_PATHS = [
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/openblas-serial/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib64/libopenblas.so.0",
  "/usr/lib64/libopenblasp.so.0",
  "/usr/lib/libopenblas.so.0",
  "/usr/local/lib/libopenblas.so.0",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
];

/** Bare sonames, resolved by the dynamic loader (ld.so.cache, LD_LIBRARY_PATH). */
const SONAMES = ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0"];

let cached: Blas | null | undefined;
let missingReason: string | null = null;

/**
 * Opens OpenBLAS once and returns it, or null when it cannot be loaded; then
 * {@link openBlasMissingReason} says why. HEADLESS_BLAS_LIB, when set, is the only file tried.
 */
export function loadOpenBlas(): Blas | null {
  if (cached !== undefined) return cached;
  quietWorkers();
  const override = readEnv(BLAS_LIB_ENV);
  const candidates = override ? [override] : [...SONAMES, ...KNOWN_PATHS, ...ldconfigPaths()];
  const failures: string[] = [];
  for (const path of [...new Set(candidates)]) {
    try {
      cached = bind(path);
      missingReason = null;
      return cached;
    } catch (e) {
      failures.push(`${path}: ${firstLine(e)}`);
    }
  }
  cached = null;
  missingReason = override
    ? `${BLAS_LIB_ENV}=${override} could not be loaded as OpenBLAS (${failures[0]})`
    : `OpenBLAS not found (install Debian's libopenblas0-pthread, or set ${BLAS_LIB_ENV} to ` +
      `libopenblas.so); tried ${failures.length} places, first: ${failures[0]}`;
  return null;
}

/**
 * OpenBLAS's worker threads spin for 2^28 cycles (about 0.1 s) after each product before they sleep.
 * In a training step the native kernels' OpenMP thread needs that core between products: on an idle
 * 2-core machine the spinning cost up to 40% of the step at 2 threads (notes/speed.md). OpenBLAS reads
 * OPENBLAS_THREAD_TIMEOUT (log2 of the cycles, at least 4) when it is loaded: unless the caller set it
 * (or GOTO_THREAD_TIMEOUT), the workers sleep at once.
 */
export const THREAD_TIMEOUT = "4";

function quietWorkers(): void {
  setEnvDefault("OPENBLAS_THREAD_TIMEOUT", THREAD_TIMEOUT, ["GOTO_THREAD_TIMEOUT"]);
}

/**
 * Binds OpenBLAS from `path` (a copy fetched into the user cache, kernels/openblas_fetch.ts) where
 * {@link loadOpenBlas} found none; what loadOpenBlas returns from then on.
 */
export function useOpenBlasFile(path: string): Blas | null {
  quietWorkers();
  try {
    cached = bind(path);
    missingReason = null;
  } catch (e) {
    cached = null;
    missingReason = `${path} could not be loaded as OpenBLAS (${firstLine(e)})`;
  }
  return cached;
}

/** Why the last {@link loadOpenBlas} returned null, or null if it succeeded or was not called. */
export function openBlasMissingReason(): string | null {
  return missingReason;
}

/** A pointer to the first element of a typed array, for calling {@link Sgemm} on ordinary JS memory. */
export function pointerOf(array: Float32Array): Deno.PointerValue {
  return Deno.UnsafePointer.of(array as Float32Array<ArrayBuffer>);
}

function bind(path: string): Blas {
  const lib = Deno.dlopen(path, SYMBOLS);
  const s = lib.symbols;
  const configPtr = s.openblas_get_config ? s.openblas_get_config() : null;
  const config = configPtr ? new Deno.UnsafePointerView(configPtr).getCString() : "";
  const sgemm: Sgemm = (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
    s.cblas_sgemm(
      CBLAS_ROW_MAJOR,
      transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
      transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
      m,
      n,
      k,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc,
    );
  return {
    path,
    config,
    sgemm,
    setThreads(n: number): boolean {
      if (!s.openblas_set_num_threads) return false;
      s.openblas_set_num_threads(Math.max(1, Math.floor(n)));
      return true;
    },
    threads: () => (s.openblas_get_num_threads ? s.openblas_get_num_threads() : 0),
  };
}

/** Whether OpenBLAS's products on N threads equal those on 1 thread, bit for bit, on this CPU. */
export interface ThreadReproducibility {
  threads: number;
  bitIdentical: boolean;
  /** Values of the probe product that differ, and the largest absolute difference. */
  differing: number;
  values: number;
  maxAbsDiff: number;
}

const probed = new Map<number, ThreadReproducibility>();

/**
 * Runs one 512x256x384 product (large enough for OpenBLAS to split it) on 1 thread and on `threads`,
 * and compares. OpenBLAS's threaded kernels may sum in another order: identical on the Intel Xeons we
 * measured, but 11,616 of 196,608 values differed (max 4.2e-5) on an AMD EPYC with AVX2. Leaves the
 * library's thread count as it found it. Cached per thread count.
 */
export function blasThreadReproducibility(blas: Blas, threads: number): ThreadReproducibility {
  const known = probed.get(threads);
  if (known) return known;
  const [m, k, n] = [512, 256, 384];
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const a = Float32Array.from({ length: m * k }, random);
  const b = Float32Array.from({ length: k * n }, random);
  const before = blas.threads();
  const product = (t: number) => {
    const c = new Float32Array(m * n);
    blas.setThreads(t);
    blas.sgemm(false, false, m, n, k, 1, pointerOf(a), k, pointerOf(b), n, 0, pointerOf(c), n);
    return c;
  };
  const one = product(1);
  const many = product(threads);
  if (before > 0) blas.setThreads(before);
  const d = compareArrays(many, one);
  const result = {
    threads,
    bitIdentical: d.differing === 0,
    differing: d.differing,
    values: d.compared,
    maxAbsDiff: d.maxAbsDiff,
  };
  probed.set(threads, result);
  return result;
}

/** Library paths that `ldconfig -p` lists for libopenblas; empty when ldconfig cannot be run. */
function ldconfigPaths(): string[] {
  for (const cmd of ["ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"]) {
    try {
      const out = new Deno.Command(cmd, { args: ["-p"], stdout: "piped", stderr: "null" }).outputSync();
      if (!out.success) continue;
      return new TextDecoder().decode(out.stdout).split("\n")
        .filter((line) => /libopenblas/.test(line))
        .map((line) => line.split("=>")[1]?.trim())
        .filter((p): p is string => !!p);
    } catch {
      // not installed here, or no --allow-run: fall through to the next name.
    }
  }
  return [];
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0];
}
