/**
 * Analytic FLOPs of one training step: every matrix product, 2·m·n·k each, forward; backward is
 * exactly twice the forward (each product has one product for each operand's gradient). Elementwise
 * work (LayerNorm, GELU, softmax, exp, adds), gathers and scatters are ignored. Attention counts QKᵀ
 * and AV over all T keys (no saving from the causal mask, as the kernels compute them in full).
 *
 * Heads per scored position, forward: softmax 2·d·V (+ 2·d·d for the encoder's BERT transform);
 * CWT 2·d·|S| (the |S|×|S| score matrix).
 *
 * Run this file to print the CWT/softmax FLOPs-per-token ratio for the small and the paper configs.
 */
import type { ModelConfig } from "./config.ts";
import { loadModelConfig } from "./config.ts";
import type { Objective } from "./objectives.ts";

/** The shape of one step: rows, tokens per row, and |S| (scored positions in the whole batch). */
export interface StepShape {
  batch: number;
  seqLen: number;
  scored: number;
}

/** FLOPs of one step; `breakdown` splits forward and backward by part (qkv, attnOut, mlp, attention, head). */
export interface StepFlops {
  forward: number;
  backward: number;
  total: number;
  /** total / (batch·seqLen) */
  perToken: number;
  breakdown: Record<string, { forward: number; backward: number }>;
}

/** Forward product FLOPs of each part. */
function forwardParts(c: ModelConfig, objective: Objective, s: StepShape): Record<string, number> {
  const n = s.batch * s.seqLen;
  const d = c.dModel;
  const L = c.layers;
  const headForward: Record<Objective, number> = {
    softmax: 2 * s.scored * d * c.vocabSize + (c.arch === "encoder" ? 2 * s.scored * d * d : 0),
    cwt: 2 * s.scored * s.scored * d,
  };
  return {
    qkv: L * 2 * n * d * 3 * d,
    attnOut: L * 2 * n * d * d,
    mlp: L * 2 * 2 * n * d * c.dFF,
    attention: L * 2 * 2 * s.batch * s.seqLen * s.seqLen * d, // QKᵀ and AV, all heads
    head: headForward[objective],
  };
}

/** FLOPs of one forward+backward step of `c` under `objective`. */
export function stepFlops(c: ModelConfig, objective: Objective, shape: StepShape): StepFlops {
  const breakdown: StepFlops["breakdown"] = {};
  let forward = 0;
  for (const [part, f] of Object.entries(forwardParts(c, objective, shape))) {
    breakdown[part] = { forward: f, backward: 2 * f };
    forward += f;
  }
  const total = 3 * forward;
  return { forward, backward: 2 * forward, total, perToken: total / (shape.batch * shape.seqLen), breakdown };
}

/** CWT's FLOPs per token divided by the softmax objective's, at the same step shape. */
export function cwtToSoftmaxRatio(c: ModelConfig, shape: StepShape): number {
  return stepFlops(c, "cwt", shape).perToken / stepFlops(c, "softmax", shape).perToken;
}

/** The step shapes the report quotes: the small configs here and the paper's per-device micro-batches. */
export const REFERENCE_SHAPES: { config: string; label: string; shape: StepShape }[] = [
  { config: "enc-small", label: "B=16 T=128, 15% scored", shape: { batch: 16, seqLen: 128, scored: 307 } },
  { config: "dec-small", label: "B=16 T=128", shape: { batch: 16, seqLen: 128, scored: 2048 } },
  {
    config: "bert-base-50k",
    label: "B=32/GPU T=128, 15% scored (vanilla)",
    shape: { batch: 32, seqLen: 128, scored: 614 },
  },
  {
    config: "bert-base-50k",
    label: "B=64/GPU T=128, 15% scored (headless)",
    shape: { batch: 64, seqLen: 128, scored: 1229 },
  },
  { config: "pythia-70m", label: "B=8/GPU T=2048", shape: { batch: 8, seqLen: 2048, scored: 16384 } },
  { config: "pythia-70m", label: "B=32/GPU T=2048", shape: { batch: 32, seqLen: 2048, scored: 65536 } },
];

if (import.meta.main) {
  const rows = [["config", "step shape", "softmax GFLOP/token", "cwt GFLOP/token", "cwt/softmax"]];
  for (const { config, label, shape } of REFERENCE_SHAPES) {
    const c = loadModelConfig(config);
    const soft = stepFlops(c, "softmax", shape).perToken;
    const cwt = stepFlops(c, "cwt", shape).perToken;
    rows.push([config, label, (soft / 1e9).toFixed(4), (cwt / 1e9).toFixed(4), (cwt / soft).toFixed(3)]);
  }
  for (const r of rows) console.log(r.join(" | "));
}
