/**
 * `deno task bench`: training-step throughput of the model code, one training step (forward, backward,
 * and pretraining's optimizer step: gradient norm, clipping, AdamW, the non-finite checks) as the
 * PyTorch peer times its step, for each backend, vocabulary and objective: tokens/s (median
 * of the timed steps after one warm-up), achieved GFLOP/s from the analytic FLOP counter, its fraction
 * of a 1024³ matrix-product peak measured on the same backend in the same run, peak tensor memory
 * (tf.profile), the wasm heap size and the process's peak RSS. `--peer` also runs the PyTorch peer
 * with the same shapes and prints the ratio; `--without` switches fast paths off to measure each one;
 * `--fit` extrapolates the largest batch that fits a memory budget per objective.
 *
 *   deno task bench [--backend wasm,wasm-blas] [--sizes 256x4,512x4] [--vocab 8192,32768] [--peer] [--json]
 *   deno task bench --without "all;fusedCrossEntropy"   # each fast path's share, in the same run
 *   deno task bench --steps 0 --fit 4                    # largest batch per objective in 4 GiB
 *
 * The model is the config (dec-small) reshaped by --sizes, with its head tied to E as the peer's is.
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { InputError } from "../util/errors.ts";
import { numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { Rng } from "../util/rng.ts";
import { initBackend } from "../backends/mod.ts";
import { makeDecoderBatch, makeEncoderBatch } from "../models/batches.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { stepFlops } from "../models/flops.ts";
import { lossAndGrads, type Objective, parseObjective } from "../models/objectives.ts";
import { FAST_PATHS, setFastPaths } from "../models/accelerator.ts";
import { createModel, noDecay } from "../models/transformer.ts";
import { ADAMW_DEFAULTS, OptimizerStep } from "../train/optimizer_step.ts";
import { scheduleFor } from "../train/schedule.ts";
import {
  blasMatMulStatus,
  disableBlasMatMul,
  enableBlasMatMul,
  nativeKernelStatus,
  setBlasThreads,
} from "../kernels/mod.ts";
import { webGpuStatus } from "../kernels/webgpu/proxy_backend.ts";
import { type PeerResult, runPeer } from "./peer.ts";

/** One measured cell. */
export interface StepResult {
  backend: string;
  /** webgpu: the GPU adapter's description, "software: ..." for a software rasterizer (its speed means nothing). */
  adapter?: string;
  config: string;
  dModel: number;
  layers: number;
  vocab: number;
  objective: Objective;
  batch: number;
  seqLen: number;
  blasThreads: number;
  /** Native C kernels registered (kernels/native_backend.ts), empty when none; and why not. */
  nativeKernels: string[];
  nativeReason: string;
  without: string[];
  /** Global gradient-norm clip of the timed step (0: norm taken, no scaling). */
  clip: number;
  tokensPerSecond: number;
  stepMs: number[];
  /** CPU time of each timed step (all threads): less sensitive to other jobs than wall time. */
  cpuMs: number[];
  /** batch·seqLen per median CPU-second. */
  tokensPerCpuSecond: number;
  loss: number;
  gflops: number;
  peakGflops: number;
  peakFraction: number;
  peakTensorBytes: number;
  wasmHeapBytes: number;
  rssPeakBytes: number;
  loadAverage: number;
  peerTokensPerSecond?: number;
  /** tokensPerSecond / peerTokensPerSecond (same shapes, same run). */
  ratio?: number;
  /** The peer's tokens per CPU-second (its timer swapped for a CPU clock), and ours over it. */
  peerTokensPerCpuSecond?: number;
  cpuRatio?: number;
}

const FLAGS = {
  model: { type: "string", default: "dec-small", help: "model configs (names or JSON paths), comma-separated" },
  vocab: { type: "string", default: "8192,32768", help: "vocabulary sizes, comma-separated" },
  sizes: {
    type: "string",
    default: "256x4",
    help:
      "model sizes WIDTHxLAYERS, comma-separated (heads = width/64, FFN = 4·width, as the peer builds them); '' = the config's own",
  },
  batch: { type: "string", default: "16", help: "rows per step" },
  "seq-len": { type: "string", default: "128", help: "tokens per row" },
  steps: {
    type: "string",
    default: "3",
    help: "timed steps per cell, after one warm-up (the median is shown); 0 = only --fit",
  },
  objective: { type: "string", default: "softmax,cwt", help: "objectives, comma-separated" },
  backend: {
    type: "string",
    default: "auto",
    help: "backends, comma-separated: auto, webgpu, wasm-blas, wasm, cpu (webgpu on a software adapter is labelled so)",
  },
  threads: {
    type: "string",
    default: "2",
    help:
      "thread counts for OpenBLAS and the native kernels (wasm-blas), comma-separated; 2 = both cores, as the peer uses",
  },
  without: {
    type: "string",
    default: "",
    help: `fast-path sets to also time switched off, ';'-separated, each ','-separated (of ${
      FAST_PATHS.join(", ")
    }; 'all')`,
  },
  untied: { type: "boolean", default: false, help: "keep the config's untied head (default: tied, as the peer)" },
  peer: { type: "boolean", default: false, help: "also run ../shared/peers/torch_step.py with the same shapes" },
  "peer-threads": { type: "string", default: "2", help: "torch threads for --peer" },
  fit: { type: "string", default: "", help: "budget in GiB: extrapolate the largest batch per objective that fits it" },
  clip: {
    type: "string",
    default: "0",
    help:
      "global gradient-norm clip of the step (the norm is always taken; 0: no scaling, as the peer; pretraining uses 1)",
  },
  json: { type: "boolean", default: false, help: "print JSON lines instead of a table" },
} as const;

/** The peer's optimizer, torch.optim.AdamW(params, 1e-3): its defaults, at a constant rate, through pretraining's step. */
export function benchOptimizer(params: Map<string, tf.Variable>, clip: number): OptimizerStep {
  return new OptimizerStep(params, {
    ...ADAMW_DEFAULTS,
    weightDecay: 0.01,
    noDecay,
    schedule: scheduleFor({ peak: 1e-3, totalSteps: 1, warmupFrac: 0, kind: "constant", floorFrac: 1 }),
    clip,
    label: "bench",
  });
}

/** "256x4" -> the config fields of a width-256, 4-layer model shaped as the peer builds it. */
export function parseSize(spec: string): Partial<ModelConfig> {
  const m = /^(\d+)x(\d+)$/.exec(spec);
  if (!m || Number(m[1]) % 64 !== 0 || Number(m[2]) < 1) {
    throw new InputError(
      `--sizes: ${JSON.stringify(spec)} is not WIDTHxLAYERS with WIDTH a multiple of 64 (e.g. 256x4)`,
    );
  }
  const d = Number(m[1]);
  return { dModel: d, layers: Number(m[2]), heads: d / 64, dFF: 4 * d };
}

const list = (v: unknown) => String(v).split(",").map((s) => s.trim()).filter(Boolean);

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Peak resident set size of this process (VmHWM), in bytes; 0 where /proc is not there. */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Bytes of the wasm backend's heap (0 on other backends). */
function wasmHeapBytes(): number {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap?.length ?? 0;
}

/** The active backend's own 1024³ float32 product, best of 3 after a warm-up, in GFLOP/s. */
function productPeak(): number {
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

/** A fixed random batch of `B` rows of `T` tokens for `config`. */
function makeBatch(config: ModelConfig, B: number, T: number) {
  const rng = new Rng(1);
  const rows = Array.from({ length: B }, () => Int32Array.from({ length: T + 1 }, () => rng.int(config.vocabSize)));
  return config.arch === "decoder"
    ? makeDecoderBatch(rows)
    : makeEncoderBatch(rows.map((r) => r.subarray(0, T)), rng, config.vocabSize);
}

/**
 * Times `steps` training steps (after one warm-up) of a fresh model: loss and gradients, then the
 * optimizer step pretraining takes (train/optimizer_step.ts); peak tensor bytes come from tf.profile
 * around the warm-up step.
 */
async function timeSteps(
  config: ModelConfig,
  objective: Objective,
  B: number,
  T: number,
  steps: number,
  clip: number,
) {
  const batch = makeBatch(config, B, T);
  const model = createModel(config, 1);
  const opt = benchOptimizer(model.params, clip);
  let loss = NaN;
  const step = () => {
    const r = lossAndGrads(model, objective, batch);
    opt.apply(r.grads, r.loss);
    loss = r.loss;
  };
  try {
    const info = await tf.profile(step);
    const stepMs: number[] = [];
    const cpuMs: number[] = [];
    for (let i = 0; i < steps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      step();
      stepMs.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpuMs.push((c.user + c.system) / 1000);
    }
    return { stepMs, cpuMs, loss, peakTensorBytes: info.peakBytes };
  } finally {
    opt.dispose();
    model.dispose();
  }
}

/**
 * Peak tensor bytes of one forward+backward at batch `B` (tf.profile), and of the whole step with the
 * AdamW update: the update's temporaries over the embedding do not depend on B and can be the larger.
 * Also the largest single tensor made, which on webgpu must fit one storage-buffer binding.
 */
async function peakBytesAt(config: ModelConfig, objective: Objective, B: number, T: number, clip: number) {
  const batch = makeBatch(config, B, T);
  const model = createModel(config, 1);
  const opt = benchOptimizer(model.params, clip);
  try {
    let r: { loss: number; grads: Map<string, tf.Tensor> } = { loss: NaN, grads: new Map() };
    // tf.profile returns the engine's one profile object, overwritten by the next call: copy now.
    const info = await tf.profile(() => {
      r = lossAndGrads(model, objective, batch);
    });
    const lossOnly = info.peakBytes;
    const largestTensor = Math.max(
      0,
      ...info.kernels.flatMap((k) => k.outputShapes.map((shape) => 4 * shape.reduce((a, b) => a * b, 1))),
    );
    const update = (await tf.profile(() => {
      opt.apply(r.grads, r.loss);
    })).peakBytes;
    return { lossAndGrads: lossOnly, update, largestTensor };
  } finally {
    opt.dispose();
    model.dispose();
  }
}

const fmt = (x: number, digits = 0) => Number.isFinite(x) ? x.toFixed(digits) : "-";
const mib = (b: number) => fmt(b / 2 ** 20);

function tableRow(r: StepResult): string {
  return `| ${r.backend}${r.adapter ? ` (${r.adapter})` : ""} | ${r.blasThreads || "-"} | ${
    r.nativeKernels.length ? "yes" : "-"
  } | ${r.without.join(",") || "-"} | ${r.config} ${r.dModel}x${r.layers} | ${r.vocab} | ${r.objective} | ` +
    `${fmt(r.tokensPerSecond)} | ${fmt(r.tokensPerCpuSecond)} | ${
      r.peerTokensPerSecond ? fmt(r.peerTokensPerSecond) : "-"
    } | ${r.ratio ? fmt(r.ratio, 2) : "-"} | ` +
    `${r.peerTokensPerCpuSecond ? fmt(r.peerTokensPerCpuSecond) : "-"} | ${r.cpuRatio ? fmt(r.cpuRatio, 2) : "-"} | ` +
    `${fmt(r.gflops, 1)} | ${fmt(r.peakGflops, 1)} | ${fmt(100 * r.peakFraction)}% | ${mib(r.peakTensorBytes)} | ` +
    `${mib(r.wasmHeapBytes)} | ${mib(r.rssPeakBytes)} | ${fmt(r.loss, 4)} | ${fmt(r.loadAverage, 1)} |`;
}

const TABLE_HEAD =
  "| backend | threads | native | without | config | V | objective | tokens/s | tokens/CPU-s | peer tokens/s | ratio | peer tokens/CPU-s | CPU ratio | " +
  "GFLOP/s | product peak GFLOP/s | of peak | peak tensors MiB | wasm heap MiB | peak RSS MiB | loss | load |\n" +
  "|" + " --- |".repeat(21);

async function main() {
  const { values } = parseFlags("bench", FLAGS);
  const configs = list(values.model);
  const sizes = list(values.sizes).map(parseSize);
  const vocabs = list(values.vocab).map((v) => numberFlag("vocab", v));
  const [B, T, steps, clip] = (["batch", "seq-len", "steps", "clip"] as const).map((k) => numberFlag(k, values[k]));
  const objectives = list(values.objective).map(parseObjective);
  const threadCounts = list(values.threads).map((v) => numberFlag("threads", v));
  const withoutSets: string[][] = [[], ...String(values.without).split(";").map(list).filter((s) => s.length)];
  for (const name of withoutSets.flat()) {
    if (name !== "all" && !(FAST_PATHS as readonly string[]).includes(name)) {
      throw new InputError(
        `--without: unknown fast path ${JSON.stringify(name)}; expected ${FAST_PATHS.join(", ")} or all`,
      );
    }
  }
  const json = !!values.json;
  const emit = (line: string) => console.log(line);
  if (!json) emit(TABLE_HEAD);

  const peerCache = new Map<string, { wall: PeerResult[]; cpu: PeerResult[] } | string>();
  const peerFor = async (c: ModelConfig) => {
    const key = `${c.vocabSize}/${c.dModel}/${c.layers}/${c.heads}`;
    if (!peerCache.has(key)) {
      const shape = {
        vocab: c.vocabSize,
        d: c.dModel,
        layers: c.layers,
        heads: c.heads,
        seq: T,
        batch: B,
        steps: Math.max(3, steps),
        threads: numberFlag("peer-threads", values["peer-threads"]),
      };
      const wall = await runPeer(shape);
      const cpu = "missing" in wall ? wall : await runPeer(shape, undefined, "cpu");
      peerCache.set(
        key,
        "missing" in wall ? wall.missing : "missing" in cpu ? cpu.missing : { wall: wall.results, cpu: cpu.results },
      );
    }
    return peerCache.get(key)!;
  };

  for (const backendName of list(values.backend)) {
    const backend = await initBackend(backendName);
    // initBackend("wasm") after "wasm-blas" in one process: put the plain kernels back.
    if (backend === "wasm") disableBlasMatMul();
    else if (backend === "wasm-blas") enableBlasMatMul();
    const adapter = backend === "webgpu" ? adapterLabel() : undefined;
    if (adapter) console.error(`webgpu adapter: ${adapter}`);
    if (backend === "wasm-blas") {
      const n = nativeKernelStatus();
      console.error(
        n.enabled ? `native kernels: ${n.kernels.join(", ")} (${n.build})` : `native kernels off: ${n.reason}`,
      );
    }
    for (const threads of backend === "wasm-blas" ? threadCounts : [0]) {
      if (threads) setBlasThreads(threads);
      const peak = steps > 0 ? productPeak() : NaN;
      for (const off of steps > 0 ? (backend === "wasm-blas" ? withoutSets : [[]]) : []) {
        setFastPaths(off);
        for (const name of configs) {
          for (
            const [size, vocab] of (sizes.length ? sizes : [undefined]).flatMap((z) =>
              vocabs.map((v) => [z, v] as const)
            )
          ) {
            const config = loadModelConfig(name, {
              vocabSize: vocab,
              ...(values.untied ? {} : { tieHead: true }),
              ...size,
            });
            if (T > config.context) {
              throw new InputError(`--seq-len ${T} exceeds ${config.name}'s context ${config.context}`);
            }
            for (const objective of objectives) {
              const t = await timeSteps(config, objective, B, T, steps, clip);
              const scored = makeBatch(config, B, T).positions.length;
              const flops = stepFlops(config, objective, { batch: B, seqLen: T, scored }).total;
              const ms = median(t.stepMs);
              const r: StepResult = {
                backend,
                ...(adapter ? { adapter } : {}),
                config: config.name,
                dModel: config.dModel,
                layers: config.layers,
                vocab,
                objective,
                batch: B,
                seqLen: T,
                blasThreads: backend === "wasm-blas" ? blasMatMulStatus().threads : 0,
                without: off,
                clip,
                nativeKernels: nativeKernelStatus().kernels,
                nativeReason: nativeKernelStatus().reason,
                tokensPerSecond: (B * T) / (ms / 1000),
                stepMs: t.stepMs.map((x) => Math.round(x)),
                cpuMs: t.cpuMs.map((x) => Math.round(x)),
                tokensPerCpuSecond: (B * T) / (median(t.cpuMs) / 1000),
                loss: t.loss,
                gflops: flops / (ms / 1000) / 1e9,
                peakGflops: peak,
                peakFraction: flops / (ms / 1000) / 1e9 / peak,
                peakTensorBytes: t.peakTensorBytes,
                wasmHeapBytes: wasmHeapBytes(),
                rssPeakBytes: peakRss(),
                loadAverage: Deno.loadavg()[0],
              };
              if (values.peer && config.arch === "decoder") {
                const peer = await peerFor(config);
                if (typeof peer === "string") console.error(`peer: ${peer}`);
                else {
                  const p = peer.wall.find((x) => x.objective === objective);
                  const pc = peer.cpu.find((x) => x.objective === objective);
                  if (p) {
                    Object.assign(r, {
                      peerTokensPerSecond: p.tokensPerSecond,
                      ratio: r.tokensPerSecond / p.tokensPerSecond,
                    });
                  }
                  if (pc) {
                    Object.assign(r, {
                      peerTokensPerCpuSecond: pc.tokensPerSecond,
                      cpuRatio: r.tokensPerCpuSecond / pc.tokensPerSecond,
                    });
                  }
                }
              }
              emit(json ? JSON.stringify(r) : tableRow(r));
            }
          }
        }
      }
    }
    setFastPaths([]);
    if (values.fit) {
      const modelSizes = sizes.length ? sizes : [{}];
      await fitReport(Number(values.fit), configs, modelSizes, vocabs, objectives, T, clip, backend, json, emit);
    }
  }
}

/** The webgpu adapter's description, marked when it is a software rasterizer (correct, but slow). */
function adapterLabel(): string {
  const a = webGpuStatus().adapter;
  if (!a) return "no adapter";
  return a.software ? `software: ${a.description}; its speed means nothing` : a.description || a.vendor;
}

/**
 * Largest batch per objective whose peak tensor bytes fit `budgetGiB`: the forward+backward peak is
 * measured at batches 4, 8 and 12 and extrapolated as a quadratic in B (CWT's |S|×|S| scores grow
 * as B²), since the batch that fills 4 GiB would take minutes per step; the AdamW update's peak
 * (batch-independent) must fit as well.
 */
async function fitReport(
  budgetGiB: number,
  configs: string[],
  modelSizes: Partial<ModelConfig>[],
  vocabs: number[],
  objectives: Objective[],
  T: number,
  clip: number,
  backend: string,
  json: boolean,
  emit: (line: string) => void,
) {
  if (!(budgetGiB > 0)) throw new InputError(`--fit expects a budget in GiB, got ${budgetGiB}`);
  const budget = budgetGiB * 2 ** 30;
  const sizes = [4, 8, 12];
  for (const [name, size] of configs.flatMap((c) => modelSizes.map((z) => [c, z] as const))) {
    for (const vocab of vocabs) {
      const config = loadModelConfig(name, { vocabSize: vocab, tieHead: true, ...size });
      for (const objective of objectives) {
        const peaks: { lossAndGrads: number; update: number; largestTensor: number }[] = [];
        for (const b of sizes) peaks.push(await peakBytesAt(config, objective, b, T, clip));
        const [c0, c1, c2] = growthThrough(sizes, peaks.map((p) => p.lossAndGrads));
        const update = Math.max(...peaks.map((p) => p.update));
        // On webgpu every tensor must also fit one storage-buffer binding of the adapter.
        const binding = backend === "webgpu" ? webGpuStatus().adapter?.maxStorageBufferBindingSize : undefined;
        const [t0, t1, t2] = growthThrough(sizes, peaks.map((p) => p.largestTensor), true);
        const bindingBatch = binding ? largestBatchUnder(binding, t0, t1, t2) : Infinity;
        const maxBatch = update > budget ? 0 : Math.min(largestBatchUnder(budget, c0, c1, c2), bindingBatch);
        const r = {
          fit: true,
          backend,
          config: config.name,
          vocab,
          objective,
          seqLen: T,
          budgetGiB,
          peakBytes: Object.fromEntries(sizes.map((b, i) => [b, peaks[i].lossAndGrads])),
          updatePeakBytes: update,
          bytesModel: [c0, c1, c2],
          ...(binding
            ? { bindingBytes: binding, largestTensorBytes: peaks.map((p) => p.largestTensor), bindingBatch }
            : {}),
          maxBatch,
        };
        emit(
          json
            ? JSON.stringify(r)
            : `fit ${backend} ${config.name} V=${vocab} T=${T} ${objective}: forward+backward peak ` +
              sizes.map((b, i) => `${mib(peaks[i].lossAndGrads)} MiB at B=${b}`).join(", ") +
              ` -> ${mib(c0)} + ${fmt(c1 / 2 ** 20, 1)}·B + ${fmt(c2 / 2 ** 20, 3)}·B² MiB; AdamW update peak ${
                mib(update)
              } MiB; ` +
              `largest batch in ${budgetGiB} GiB ≈ ${batchText(maxBatch)}` +
              (binding
                ? ` (every tensor within one ${mib(binding)} MiB storage binding up to B ≈ ${
                  batchText(bindingBatch)
                }; largest ${sizes.map((b, i) => `${mib(peaks[i].largestTensor)} MiB at B=${b}`).join(", ")})`
                : ""),
        );
      }
    }
  }
}

/** [c0, c1, c2] of the quadratic c0 + c1·x + c2·x² through three points (CWT's score matrix grows as B²). */
export function quadraticThrough(xs: number[], ys: number[]): [number, number, number] {
  const [[x0, x1, x2], [y0, y1, y2]] = [xs, ys];
  const d01 = (y1 - y0) / (x1 - x0), d12 = (y2 - y1) / (x2 - x1);
  const c2 = (d12 - d01) / (x2 - x0);
  const c1 = d01 - c2 * (x0 + x1);
  return [y0 - c1 * x0 - c2 * x0 * x0, c1, c2];
}

/** A batch bound for the text report: beyond a million it is not a bound anyone will meet. */
function batchText(b: number): string {
  return b < 1e6 ? String(b) : "unbounded (the measured peaks do not grow)";
}

/**
 * quadraticThrough, except where the points bend down (blocked kernels cap a tensor's size, so peaks
 * level off, or step when a block is added): then a line through the last point with the steeper of the
 * two slopes, which does not overstate the batch; or, with `capped` (one tensor's size, which levels off
 * only when a block caps it), the slope of the last two points.
 */
export function growthThrough(xs: number[], ys: number[], capped = false): [number, number, number] {
  const q = quadraticThrough(xs, ys);
  if (q[2] >= 0) return q;
  const last = (ys[2] - ys[1]) / (xs[2] - xs[1]);
  const slope = capped ? last : Math.max((ys[1] - ys[0]) / (xs[1] - xs[0]), last);
  return [ys[2] - slope * xs[2], slope, 0];
}

/**
 * The largest integer B ≥ 0 with c0 + c1·B + c2·B² ≤ budget (c2 ≥ 0 assumed; tiny c2 as 0); Infinity
 * when nothing grows with B and c0 fits.
 */
export function largestBatchUnder(budget: number, c0: number, c1: number, c2: number): number {
  if (c2 <= 0 && c1 <= 0) return c0 <= budget ? Infinity : 0;
  if (Math.abs(c2) < 1e-9 * Math.abs(c1)) return Math.max(0, Math.floor((budget - c0) / c1));
  return Math.max(0, Math.floor((-c1 + Math.sqrt(c1 * c1 + 4 * c2 * (budget - c0))) / (2 * c2)));
}

if (import.meta.main) {
  await runMain(main);
  Deno.exit(0); // the wasm backend's handles otherwise keep the process alive
}
