/**
 * GFLOP/s of the matrix products a training step uses, on the plain wasm kernels and on OpenBLAS
 * (1 and 2 threads), printed as a Markdown table.
 *
 *   npx deno@2.9.6 run -A bench/matmul.ts [--reps 3] [--threads 1,2] [--direct-wasm]
 *
 * Each product is M x K x N: op(A) is M x K, op(B) is K x N. Variants: NN; NT (B stored N x K, as in
 * dX = dY·Wᵀ and Q·Kᵀ); TN (A stored K x M, as in dW = Xᵀ·dY). For plain wasm the transposed variants
 * are timed as an explicit transpose plus an NN product (what the model code does); its own
 * transposed kernel runs at 0.4-2 GFLOP/s, so it is timed only with --direct-wasm.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import {
  blasMatMulStatus,
  disableBlasMatMul,
  enableBlasMatMul,
  loadOpenBlas,
  pointerOf,
  setBlasThreads,
} from "../kernels/mod.ts";

/** [batch, M, K, N, what it is in the reference model (d=256, FFN 1024, V=8192, 2,048 tokens)]. */
const SHAPES: [number, number, number, number, string][] = [
  [1, 2048, 256, 768, "QKV projection"],
  [1, 2048, 256, 256, "attention output"],
  [1, 2048, 256, 1024, "FFN up"],
  [1, 2048, 1024, 256, "FFN down"],
  [1, 2048, 256, 8192, "softmax head"],
  [64, 128, 64, 128, "attention scores, 64 (batch, head) pairs"],
];
const VARIANTS = ["NN", "NT", "TN"] as const;
type Variant = (typeof VARIANTS)[number];

const FLAGS = {
  reps: { type: "string", default: "3", help: "timed calls per cell (after one warm-up); the best is shown" },
  threads: { type: "string", default: "1,2", help: "OpenBLAS thread counts to time, comma-separated" },
  "direct-wasm": { type: "boolean", default: false, help: "also time plain wasm's own transposed kernel (slow)" },
} as const;

/** Best (least) seconds of `reps` calls of `f` after one warm-up; each call's tensors are disposed. */
function timeIt(f: () => unknown, reps: number): number {
  tf.tidy(() => void f());
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    tf.tidy(() => void f()); // wasm kernels run synchronously inside the call
    times.push((performance.now() - t0) / 1000);
  }
  return Math.min(...times); // the least disturbed call: the CPU is shared
}

/** Operands stored as the variant needs them, and the product as the model would compute it. */
function product(batch: number, m: number, k: number, n: number, variant: Variant) {
  const lead = batch > 1 ? [batch] : [];
  const a = tf.randomNormal([...lead, ...(variant === "TN" ? [k, m] : [m, k])]);
  const b = tf.randomNormal([...lead, ...(variant === "NT" ? [n, k] : [k, n])]);
  const ta = variant === "TN", tb = variant === "NT";
  const perm = (x: tf.Tensor) => (batch > 1 ? tf.transpose(x, [0, 2, 1]) : tf.transpose(x));
  return {
    direct: () => tf.matMul(a, b, ta, tb),
    viaTranspose: () => tf.matMul(ta ? perm(a) : a, tb ? perm(b) : b),
    dispose: () => tf.dispose([a, b]),
  };
}

/** GFLOP/s of bare sgemm at 1024³ on JS memory: shows how much CPU this run had, tfjs aside. */
function calibrate(threads: number, reps: number): number {
  const blas = loadOpenBlas()!, n = 1024;
  const [a, b, c] = [0, 1, 2].map(() => Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3));
  const [pa, pb, pc] = [a, b, c].map(pointerOf);
  setBlasThreads(threads);
  return (2 * n ** 3) / 1e9 / timeIt(() => blas.sgemm(false, false, n, n, n, 1, pa, n, pb, n, 0, pc, n), reps);
}

async function main(): Promise<void> {
  const { values } = parseFlags("bench/matmul.ts", FLAGS);
  const reps = numberFlag("reps", values.reps);
  const threads = String(values.threads).split(",").map((t) => numberFlag("threads", t));
  if (reps < 1 || threads.some((t) => t < 1)) throw new InputError("--reps and --threads must be at least 1");
  await tf.setBackend("wasm");
  await tf.ready();
  if (!enableBlasMatMul()) throw new Error(`BLAS path unavailable: ${blasMatMulStatus().reason}`);
  const status = blasMatMulStatus();
  console.log(`OpenBLAS: ${status.library}; tfjs ${tf.version_core} wasm backend; best of ${reps}`);
  const raw = threads.map((t) => `${t}t ${calibrate(t, reps).toFixed(0)}`).join(", ");
  console.log(`bare sgemm 1024³ on JS memory, GFLOP/s: ${raw}\n`);

  const blasCols = threads.map((t) => `BLAS ${t}t`);
  const header = ["shape (batch x M x K x N)", "use", "var", "wasm", ...blasCols, "best / wasm"];
  console.log(`| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|`);
  for (const [batch, m, k, n, use] of SHAPES) {
    const gflop = (2 * batch * m * k * n) / 1e9;
    for (const variant of VARIANTS) {
      const p = product(batch, m, k, n, variant);
      disableBlasMatMul();
      const direct = variant === "NN" || values["direct-wasm"];
      const wasmSeconds = timeIt(direct ? p.direct : p.viaTranspose, reps);
      enableBlasMatMul();
      const blasRates = threads.map((t) => {
        setBlasThreads(t);
        return gflop / timeIt(p.direct, reps);
      });
      p.dispose();
      const wasmRate = gflop / wasmSeconds;
      const wasmCell = `${wasmRate.toFixed(1)}${direct ? "" : " (T+NN)"}`;
      const row = [
        `${batch} x ${m} x ${k} x ${n}`,
        use,
        variant,
        wasmCell,
        ...blasRates.map((r) => r.toFixed(1)),
        `${(Math.max(...blasRates) / wasmRate).toFixed(1)}x`,
      ];
      console.log(`| ${row.join(" | ")} |`);
    }
  }
  console.log(
    "\nGFLOP/s = 2·batch·M·K·N / best seconds per call. Products under 2^23 multiply-adds always use 1 thread.",
  );
}

if (import.meta.main) await runMain(main);
