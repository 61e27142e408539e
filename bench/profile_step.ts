/**
 * Ranks the kernels of one training step (forward, backward, the optimizer step of train/optimizer_step.ts) by time: `tf.profile` of one step
 * after a warm-up, summed per kernel name, with the step's wall and CPU time for scale.
 *
 *   deno run -A bench/profile_step.ts [--vocab 8192] [--objective softmax] [--backend wasm-blas] [--without NAME]
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { Rng } from "../util/rng.ts";
import { initBackend } from "../backends/mod.ts";
import { makeDecoderBatch } from "../models/batches.ts";
import { loadModelConfig } from "../models/config.ts";
import { lossAndGrads, parseObjective } from "../models/objectives.ts";
import { setFastPaths } from "../models/accelerator.ts";
import { createModel } from "../models/transformer.ts";
import { benchOptimizer, parseSize } from "./train_step.ts";

const FLAGS = {
  vocab: { type: "string", default: "8192", help: "vocabulary size" },
  size: { type: "string", default: "256x4", help: "WIDTHxLAYERS" },
  objective: { type: "string", default: "softmax", help: "softmax or cwt" },
  backend: { type: "string", default: "wasm-blas", help: "backend" },
  without: { type: "string", default: "", help: "fast paths to switch off, comma-separated" },
  shapes: { type: "boolean", default: false, help: "rank (kernel, input shapes) pairs instead of kernel names" },
  top: { type: "string", default: "25", help: "kernels to list" },
  clip: { type: "string", default: "0", help: "global gradient-norm clip of the step (0: norm taken, no scaling)" },
} as const;

/** One kernel name's share of the profiled step. */
export interface KernelShare {
  name: string;
  calls: number;
  ms: number;
}

/** Sums tf.profile's kernel records per name, largest first. */
export async function rankKernels(
  info: Awaited<ReturnType<typeof tf.profile>>,
  byShape = false,
): Promise<KernelShare[]> {
  const byName = new Map<string, KernelShare>();
  for (const k of info.kernels) {
    const ms = Number(await k.kernelTimeMs) || 0;
    const key = byShape ? `${k.name} ${k.inputShapes.map((s: number[]) => `[${s}]`).join("")}` : k.name;
    const s = byName.get(key) ?? { name: key, calls: 0, ms: 0 };
    s.calls++;
    s.ms += ms;
    byName.set(key, s);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms);
}

async function main() {
  const { values } = parseFlags("profile_step", FLAGS);
  const backend = await initBackend(String(values.backend));
  setFastPaths(String(values.without).split(",").filter(Boolean));
  const config = loadModelConfig("dec-small", {
    vocabSize: numberFlag("vocab", values.vocab),
    tieHead: true,
    ...parseSize(String(values.size)),
  });
  const objective = parseObjective(String(values.objective));
  const rng = new Rng(1);
  const batch = makeDecoderBatch(
    Array.from({ length: 16 }, () => Int32Array.from({ length: 129 }, () => rng.int(config.vocabSize))),
  );
  const model = createModel(config, 1);
  const opt = benchOptimizer(model.params, numberFlag("clip", values.clip));
  const step = () => {
    const r = lossAndGrads(model, objective, batch);
    opt.apply(r.grads, r.loss);
  };
  step();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  // customGrad forwards show up as "forward" and contain kernels listed on their own: not summed.
  const ranked = (await rankKernels(info, !!values.shapes)).filter((k) => !k.name.startsWith("forward"));
  const total = ranked.reduce((s, k) => s + k.ms, 0);
  console.log(
    `${backend} V=${config.vocabSize} ${objective}: profiled step wall ${wall.toFixed(0)} ms, CPU ${
      ((c.user + c.system) / 1000).toFixed(0)
    } ms, kernels ${total.toFixed(0)} ms, load ${Deno.loadavg()[0].toFixed(1)}`,
  );
  console.log("| kernel | calls | ms | share |\n| --- | --- | --- | --- |");
  for (const k of ranked.slice(0, numberFlag("top", values.top))) {
    console.log(`| ${k.name} | ${k.calls} | ${k.ms.toFixed(1)} | ${(100 * k.ms / total).toFixed(1)}% |`);
  }
}

if (import.meta.main) {
  await runMain(main);
  Deno.exit(0);
}
