/**
 * What the benchmarks measure besides time: medians, CPU time, memory (peak RSS, the wasm heap), the
 * active backend's product peak, the load average and the cores this process may use.
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** CPU time of this process so far (all threads, user + system), in ms. */
export function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** Runs `fn` and returns its wall and CPU milliseconds. */
export function timed(fn: () => void): { wallMs: number; cpuMs: number } {
  const c0 = cpuMs();
  const t0 = performance.now();
  fn();
  return { wallMs: performance.now() - t0, cpuMs: cpuMs() - c0 };
}

/** Awaits `fn` and returns its wall and CPU milliseconds. */
export async function timedAsync(fn: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  await fn();
  return { wallMs: performance.now() - t0, cpuMs: cpuMs() - c0 };
}

/** Peak resident set size of this process (VmHWM), in bytes; 0 where /proc is not there. */
export function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Bytes of the wasm backend's heap (0 on other backends). */
export function wasmHeapBytes(): number {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap?.length ?? 0;
}

/** The active backend's own 1024³ float32 product, best of 3 after a warm-up, in GFLOP/s. */
export function productPeak(): number {
  const [a, b] = [tf.randomNormal([1024, 1024]), tf.randomNormal([1024, 1024])] as tf.Tensor2D[];
  let best = Infinity;
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const ms = performance.now() - t0;
    c.dispose();
    if (i > 0) best = Math.min(best, ms);
  }
  tf.dispose([a, b]);
  return (2 * 1024 ** 3) / (best / 1000) / 1e9;
}

/** The 1-minute load average, NaN where the system does not say. */
export function loadAverage(): number {
  try {
    return Deno.loadavg()[0];
  } catch {
    return NaN;
  }
}

/** Cores this process may run on (its CPU affinity, as `nproc` counts them). */
export function availableCores(): number {
  return navigator.hardwareConcurrency || 1;
}

/** The CPU's model name (/proc/cpuinfo), or the OS and architecture where it cannot be read. */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"));
    if (m) return m[1].trim();
  } catch {
    // not Linux, or no read permission
  }
  return `${Deno.build.os}-${Deno.build.arch}`;
}

/** One line saying what the figures were measured on: CPU, usable cores, load, Deno and tfjs versions. */
export function machineLine(): string {
  return `machine: ${cpuModel()}, ${availableCores()} usable core(s), load average ${
    loadAverage().toFixed(2)
  }; Deno ${Deno.version.deno}, tfjs ${tf.version.tfjs}`;
}
