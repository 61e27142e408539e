/**
 * Analytic FLOPs of one training step: every matrix product, 2·m·n·k each, forward; backward is
 * exactly twice the forward (each product has one product for each operand's gradient). Elementwise
 * work (LayerNorm, GELU, softmax, exp, adds), gathers and scatters are ignored. Attention counts QKᵀ
 * and AV over all T keys (no saving from the causal mask, as the kernels compute them in full).
 *
 * Heads, forward: softmax 2·d·V per row it scores (+ 2·d·d for the encoder's BERT transform), the rows
 * being the scored positions S (`sparse`) or every position (`dense`, as BertForMaskedLM computes
 * them; the same for a decoder, which scores every position); CWT 2·d·|S| per scored position (the |S|×|S|
 * score matrix), the same for `nce-untied` (its targets are gathered from another table); `ce+cwt` both.
 *
 * Run this file to print the CWT/softmax FLOPs-per-token ratio for the small and the paper configs,
 * with both softmax head modes (encoders: 15% of the positions scored, as planned runs expect).
 */
import type { ModelConfig } from "./config.ts";
import { loadModelConfig } from "./config.ts";
import { expectedScored } from "./masking.ts";
import { hasSoftmaxHead, HEAD_MODES, type HeadMode, type Objective } from "./objective_names.ts";

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
function forwardParts(c: ModelConfig, objective: Objective, s: StepShape, head: HeadMode): Record<string, number> {
  const n = s.batch * s.seqLen;
  const d = c.dModel;
  const L = c.layers;
  const rows = head === "dense" ? n : s.scored;
  const softmax = 2 * rows * d * c.vocabSize + (c.arch === "encoder" ? 2 * rows * d * d : 0);
  const contrastive = objective === "softmax" ? 0 : 2 * s.scored * s.scored * d;
  return {
    qkv: L * 2 * n * d * 3 * d,
    attnOut: L * 2 * n * d * d,
    mlp: L * 2 * 2 * n * d * c.dFF,
    attention: L * 2 * 2 * s.batch * s.seqLen * s.seqLen * d, // QKᵀ and AV, all heads
    head: (hasSoftmaxHead(objective) ? softmax : 0) + contrastive,
  };
}

/**
 * FLOPs of one forward+backward step of `c` under `objective`, the softmax head computing logits at
 * the scored positions (`sparse`, default) or at every position (`dense`).
 */
export function stepFlops(
  c: ModelConfig,
  objective: Objective,
  shape: StepShape,
  head: HeadMode = "sparse",
): StepFlops {
  const breakdown: StepFlops["breakdown"] = {};
  let forward = 0;
  for (const [part, f] of Object.entries(forwardParts(c, objective, shape, head))) {
    breakdown[part] = { forward: f, backward: 2 * f };
    forward += f;
  }
  const total = 3 * forward;
  return { forward, backward: 2 * forward, total, perToken: total / (shape.batch * shape.seqLen), breakdown };
}

/** CWT's FLOPs per token divided by the softmax objective's (with head mode `head`), at the same step shape. */
export function cwtToSoftmaxRatio(c: ModelConfig, shape: StepShape, head: HeadMode = "sparse"): number {
  return stepFlops(c, "cwt", shape).perToken / stepFlops(c, "softmax", shape, head).perToken;
}

/** A step shape of `arch` with the expected |S| (models/masking.ts), as the planner budgets it. */
const planned = (arch: "encoder" | "decoder", batch: number, seqLen: number): StepShape => ({
  batch,
  seqLen,
  scored: expectedScored(arch, batch, seqLen),
});

/** The step shapes the report quotes: the small configs here and the paper's per-device micro-batches. */
export const REFERENCE_SHAPES: { config: string; overrides?: Partial<ModelConfig>; label: string; shape: StepShape }[] =
  [
    { config: "enc-small", label: "B=16 T=128", shape: planned("encoder", 16, 128) },
    { config: "dec-small", label: "B=16 T=128", shape: planned("decoder", 16, 128) },
    {
      config: "dec-small",
      overrides: { vocabSize: 32768 },
      label: "B=16 T=128, V=32768",
      shape: planned("decoder", 16, 128),
    },
    { config: "bert-base-50k", label: "B=32/GPU T=128 (vanilla)", shape: planned("encoder", 32, 128) },
    { config: "bert-base-50k", label: "B=64/GPU T=128 (headless)", shape: planned("encoder", 64, 128) },
    { config: "pythia-70m", label: "B=8/GPU T=2048", shape: planned("decoder", 8, 2048) },
    { config: "pythia-70m", label: "B=32/GPU T=2048", shape: planned("decoder", 32, 2048) },
  ];

/** The ratio table as Markdown: per reference shape and softmax head mode, FLOPs per token and CWT/softmax. */
export function ratioTable(): string {
  const rows = [
    ["config", "step shape", "softmax head", "softmax GFLOP/token", "cwt GFLOP/token", "cwt/softmax"],
    ["---", "---", "---", "---:", "---:", "---:"],
  ];
  for (const { config, overrides, label, shape } of REFERENCE_SHAPES) {
    const c = loadModelConfig(config, overrides);
    const cwt = stepFlops(c, "cwt", shape).perToken;
    for (const head of HEAD_MODES) {
      const soft = stepFlops(c, "softmax", shape, head).perToken;
      rows.push([config, label, head, (soft / 1e9).toFixed(4), (cwt / 1e9).toFixed(4), (cwt / soft).toFixed(3)]);
    }
  }
  return rows.map((r) => `| ${r.join(" | ")} |`).join("\n");
}

if (import.meta.main) console.log(ratioTable());
