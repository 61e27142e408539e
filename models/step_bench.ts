/**
 * Times one training step (forward + backward, no optimizer) of a model config under both objectives,
 * next to a plain 2048×256×8192 matMul as a yardstick for how loaded the machine is.
 *
 *   deno run -A models/step_bench.ts --config dec-small --vocab 8192 --batch 16 --seq 128
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { Rng } from "../util/rng.ts";
import { initBackend } from "./backend.ts";
import { makeDecoderBatch, makeEncoderBatch } from "./batches.ts";
import { loadModelConfig } from "./config.ts";
import { stepFlops } from "./flops.ts";
import { lossAndGrads, OBJECTIVES, parseObjective } from "./objectives.ts";
import { createModel } from "./transformer.ts";

/** Best-of-3 GFLOP/s of a 2048×256×8192 NN matMul, in wall and CPU time. */
function matMulYardstick(): { wall: number; cpu: number } {
  const [a, b] = [tf.randomNormal([2048, 256]), tf.randomNormal([256, 8192])] as tf.Tensor2D[];
  const { wall, cpu } = timeBest(3, () => tf.matMul(a, b).dispose());
  tf.dispose([a, b]);
  const gflop = (2 * 2048 * 256 * 8192) / 1e9;
  return { wall: gflop / wall, cpu: gflop / cpu };
}

/** Runs `f` once to warm up, then `n` times; the best wall and CPU seconds. */
function timeBest(n: number, f: () => void): { wall: number; cpu: number } {
  f();
  let [wall, cpu] = [Infinity, Infinity];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, (performance.now() - t0) / 1000);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6);
  }
  return { wall, cpu };
}

async function main() {
  const { values } = parseFlags("models/step_bench.ts", {
    config: { type: "string", default: "dec-small", help: "model config name or JSON path" },
    vocab: { type: "string", default: "8192", help: "vocabulary size (overrides the config's)" },
    batch: { type: "string", default: "16", help: "rows per step" },
    seq: { type: "string", default: "128", help: "tokens per row" },
    steps: { type: "string", default: "3", help: "timed steps per objective (after one warm-up)" },
    objective: { type: "string", default: OBJECTIVES.join(","), help: "objectives to time, comma-separated" },
    backend: { type: "string", default: "wasm", help: "auto, tensorflow, wasm or cpu" },
  });
  const backend = await initBackend(String(values.backend));
  const config = loadModelConfig(String(values.config), { vocabSize: numberFlag("vocab", values.vocab) });
  const [B, T, steps] = ["batch", "seq", "steps"].map((k) => numberFlag(k, values[k]));
  const rng = new Rng(1);
  const rows = Array.from({ length: B }, () => Int32Array.from({ length: T + 1 }, () => 5 + rng.int(config.vocabSize - 5)));
  const batch = config.arch === "decoder"
    ? makeDecoderBatch(rows)
    : makeEncoderBatch(rows.map((r) => r.subarray(0, T)), rng, config.vocabSize);
  const model = createModel(config, 1);
  console.log(`${config.name} (${config.arch}, V=${config.vocabSize}) B=${B} T=${T} |S|=${batch.positions.length} on ${backend}`);
  for (const objective of String(values.objective).split(",").map(parseObjective)) {
    const before = matMulYardstick();
    const t = timeBest(steps, () => {
      for (const g of lossAndGrads(model, objective, batch).grads.values()) g.dispose();
    });
    const after = matMulYardstick();
    const flops = stepFlops(config, objective, { batch: B, seqLen: T, scored: batch.positions.length }).total;
    console.log(
      `${objective}: step ${t.wall.toFixed(2)} s wall (${t.cpu.toFixed(2)} s CPU), ` +
        `${(B * T / t.wall).toFixed(0)} tokens/s (${(B * T / t.cpu).toFixed(0)} per CPU-second), ` +
        `${(flops / t.wall / 1e9).toFixed(1)} GFLOP/s; matMul yardstick ${before.wall.toFixed(1)}/${after.wall.toFixed(1)} GFLOP/s`,
    );
  }
  model.dispose();
}

if (import.meta.main) await runMain(main);
