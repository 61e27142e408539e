/**
 * Evaluation speed for `deno task bench`: the GLUE fine-tuning step (evals/finetune_glue.ts
 * `trainOnBatch`, the step fine-tuning runs: length groups, balanced cross-entropy, clipping, AdamW)
 * and three scoring passes, an encoder's dev-set predictions (`predict`), a decoder's LAMBADA
 * loglikelihoods (evals/causal_scorer.ts through evals/lambada.ts) and a decoder's BLiMP-style sentence
 * log-likelihoods (evals/sequence_scores.ts, as BLiMP and bits per byte), on seeded synthetic examples whose
 * lengths follow {@link EVAL_LENGTHS}. Tokens per second count real tokens only: padding is work, not
 * throughput.
 */
import * as tf from "@tensorflow/tfjs";
import { ModelScorer } from "../evals/causal_scorer.ts";
import {
  createHead,
  finetuneParams,
  type Head,
  lengthBucketedBatches,
  predict,
  trainOnBatch,
} from "../evals/finetune_glue.ts";
import { loglikelihoods, type TokenPair } from "../evals/lambada.ts";
import { groupByLength, paddedTokens } from "../evals/length_groups.ts";
import { causalLogLikelihoods, lengthBatches } from "../evals/sequence_scores.ts";
import type { ModelConfig } from "../models/config.ts";
import { SPECIAL_IDS } from "../models/masking.ts";
import { createModel, type Model, noDecay } from "../models/transformer.ts";
import { ADAMW_DEFAULTS, OptimizerStep } from "../train/optimizer_step.ts";
import { scheduleFor } from "../train/schedule.ts";
import { Rng } from "../util/rng.ts";
import { loadAverage, timed, timedAsync } from "./measure.ts";

/** Examples per fine-tuning step (the paper's GLUE protocol) and per scoring call (the stages' evalBatch). */
export const FINETUNE_BATCH = 32;
export const EVAL_BATCH = 64;

/**
 * Length distributions of the synthetic examples, in tokens: log-normal with the given median and
 * σ = 0.6 (a long tail, as real sentence lengths have), clamped to [4, context]. GLUE and XNLI pairs
 * run 40-70 tokens with the nightly's 8,192-token BPE; LAMBADA passages ~100, many cut to the window.
 */
export const EVAL_LENGTHS = { finetune: 48, scoreEncoder: 48, scoreDecoder: 100, sigma: 0.6 } as const;

/**
 * Seeded lengths: log-normal with median `median` and σ `sigma` (default {@link EVAL_LENGTHS}.sigma), clamped
 * to [4, maxLen].
 */
export function syntheticLengths(
  n: number,
  median: number,
  maxLen: number,
  rng: Rng,
  sigma: number = EVAL_LENGTHS.sigma,
): number[] {
  return Array.from(
    { length: n },
    () => Math.min(maxLen, Math.max(4, Math.round(median * Math.exp(sigma * rng.normal())))),
  );
}

/** Encoder rows `[CLS] ids… [SEP]` of the given lengths, ids drawn from the vocabulary past the specials. */
function encoderRows(lengths: number[], vocab: number, rng: Rng): Int32Array[] {
  return lengths.map((n) =>
    Int32Array.from(
      { length: n },
      (_, i) => i === 0 ? SPECIAL_IDS.cls : i === n - 1 ? SPECIAL_IDS.sep : 5 + rng.int(vocab - 5),
    )
  );
}

/** One timed evaluation workload. */
export interface EvalTiming {
  /** Real tokens processed, and the tokens computed with padding. */
  tokens: number;
  computed: number;
  wallMs: number;
  cpuMs: number;
  /** Model calls (groups) or optimizer steps timed. */
  calls: number;
}

/** Tokens per second by wall clock and per CPU-second (all threads). */
export interface Rates {
  tokensPerSecond: number;
  tokensPerCpuSecond: number;
}

/** The rates of a timing. */
export function rates(t: EvalTiming): Rates {
  return { tokensPerSecond: t.tokens / (t.wallMs / 1000), tokensPerCpuSecond: t.tokens / (t.cpuMs / 1000) };
}

/** A fresh encoder and a 3-class head (XNLI, MNLI), with the optimizer fine-tuning builds. */
function finetuneSetup(config: ModelConfig) {
  const model = createModel(config, 1);
  const head = createHead(config.dModel, 3, 0);
  const optimizer = new OptimizerStep(finetuneParams(model, head), {
    ...ADAMW_DEFAULTS,
    weightDecay: 0,
    noDecay,
    schedule: scheduleFor({ peak: 1e-5, totalSteps: 1000, warmupFrac: 0.1, kind: "constant", floorFrac: 1 }),
    clip: 1,
    label: "bench fine-tuning",
  });
  return { model, head, optimizer };
}

function disposeSetup(s: { model: Model; head: Head; optimizer?: OptimizerStep }): void {
  s.optimizer?.dispose();
  tf.dispose([s.head.w, s.head.b]);
  s.model.dispose();
}

/**
 * Times `steps` fine-tuning steps of batches of {@link FINETUNE_BATCH} after one warm-up step, on
 * `examples` synthetic examples batched as fine-tuning batches them (length-sorted pools).
 */
export function timeFinetune(config: ModelConfig, examples: number, steps: number): EvalTiming {
  const rng = new Rng(11);
  const lengths = syntheticLengths(examples, EVAL_LENGTHS.finetune, config.context, rng);
  const rows = encoderRows(lengths, config.vocabSize, rng);
  const labels = lengths.map(() => rng.int(3));
  const batches = lengthBucketedBatches(lengths, FINETUNE_BATCH, rng);
  if (batches.length < steps + 1) throw new RangeError(`${examples} examples make fewer than ${steps + 1} batches`);
  const s = finetuneSetup(config);
  try {
    const step = (indices: number[]) =>
      trainOnBatch(s.model, s.head, s.optimizer, rows, labels, indices, false, "balanced");
    step(batches[0]);
    const total: EvalTiming = { tokens: 0, computed: 0, wallMs: 0, cpuMs: 0, calls: 0 };
    for (const indices of batches.slice(1, steps + 1)) {
      let done = { tokens: 0, computed: 0 };
      const t = timed(() => (done = step(indices)));
      Object.assign(total, {
        tokens: total.tokens + done.tokens,
        computed: total.computed + done.computed,
        wallMs: total.wallMs + t.wallMs,
        cpuMs: total.cpuMs + t.cpuMs,
        calls: total.calls + 1,
      });
    }
    return total;
  } finally {
    disposeSetup(s);
  }
}

/** Times one scoring pass of an encoder's head over `examples` synthetic dev examples (after a warm-up call). */
export function timeEncoderScoring(config: ModelConfig, examples: number): EvalTiming {
  const rng = new Rng(12);
  const lengths = syntheticLengths(examples, EVAL_LENGTHS.scoreEncoder, config.context, rng);
  const rows = encoderRows(lengths, config.vocabSize, rng);
  const model = createModel(config, 1);
  const head = createHead(config.dModel, 3, 0);
  try {
    predict(model, head, rows.slice(0, EVAL_BATCH), EVAL_BATCH, false);
    const t = timed(() => predict(model, head, rows, EVAL_BATCH, false));
    const groups = groupByLength(lengths, { maxRows: EVAL_BATCH });
    return {
      tokens: lengths.reduce((a, b) => a + b, 0),
      computed: paddedTokens(lengths, groups),
      ...t,
      calls: groups.length,
    };
  } finally {
    disposeSetup({ model, head });
  }
}

/**
 * Times LAMBADA-style loglikelihoods of `passages` synthetic (context, 1-2 token continuation) pairs
 * through a decoder and its head, in calls of {@link EVAL_BATCH} (after a warm-up call).
 */
export async function timeDecoderScoring(config: ModelConfig, passages: number): Promise<EvalTiming> {
  const rng = new Rng(13);
  const lengths = syntheticLengths(passages, EVAL_LENGTHS.scoreDecoder, config.context + 1, rng);
  const pairs: TokenPair[] = lengths.map((n) => {
    const ids = Array.from({ length: Math.max(n, 2) }, () => 5 + rng.int(config.vocabSize - 5));
    const cut = ids.length - 1 - rng.int(Math.min(2, ids.length - 1));
    return { context: ids.slice(0, cut), continuation: ids.slice(cut) };
  });
  const model = createModel(config, 1);
  try {
    const scorer = new ModelScorer(model);
    await loglikelihoods(scorer, pairs.slice(0, EVAL_BATCH), { batchSize: EVAL_BATCH });
    const t = await timedAsync(() => loglikelihoods(scorer, pairs, { batchSize: EVAL_BATCH }));
    const inputs = pairs.map((p) => Math.min(p.context.length + p.continuation.length - 1, scorer.window));
    // Rows of one call are grouped by length, calls cut longest first (evals/lambada.ts).
    const order = inputs.map((_, i) => i).sort((a, b) => inputs[b] - inputs[a] || a - b);
    let computed = 0, calls = 0;
    for (let i = 0; i < order.length; i += EVAL_BATCH) {
      const call = order.slice(i, i + EVAL_BATCH).map((k) => inputs[k]);
      const groups = groupByLength(call);
      computed += paddedTokens(call, groups);
      calls += groups.length;
    }
    return { tokens: inputs.reduce((a, b) => a + b, 0), computed, ...t, calls };
  } finally {
    model.dispose();
  }
}

/** BLiMP-style sentences: median length in tokens (with the end-of-text token before them) and the batching. */
export const SEQUENCE_SCORING = { median: 12, sigma: 0.3, maxTokens: 4096 } as const;

/**
 * Times BLiMP / bits-per-byte scoring: summed log-likelihoods of `sentences` synthetic short sequences through
 * a decoder (evals/sequence_scores.ts `causalLogLikelihoods`: rows of one length per call, at most
 * {@link SEQUENCE_SCORING}.maxTokens tokens, only the targets' log-probabilities read back), after a warm-up.
 */
export function timeSequenceScoring(config: ModelConfig, sentences: number): EvalTiming {
  const rng = new Rng(17);
  const lengths = syntheticLengths(sentences, SEQUENCE_SCORING.median, config.context, rng, SEQUENCE_SCORING.sigma);
  const seqs = lengths.map((n) => {
    const input = Int32Array.from({ length: n }, () => 5 + rng.int(config.vocabSize - 5));
    return { input, targets: input.slice(1) };
  });
  const model = createModel(config, 1);
  try {
    const options = { maxTokens: SEQUENCE_SCORING.maxTokens };
    causalLogLikelihoods(model, seqs.slice(0, 200), options);
    const t = timed(() => causalLogLikelihoods(model, seqs, options));
    const tokens = lengths.reduce((a, b) => a + b, 0);
    return { tokens, computed: tokens, ...t, calls: lengthBatches(lengths, SEQUENCE_SCORING.maxTokens).length };
  } finally {
    model.dispose();
  }
}

/** Examples fine-tuned on, dev examples scored, LAMBADA-style passages and BLiMP-style sentences scored per cell. */
export const EVAL_SIZES = { finetune: 640, scoreEncoder: 512, scoreDecoder: 256, scoreSequences: 2000 } as const;

/** The targets: a fine-tuning step within 20% of a pretraining step's tokens/s, scoring at least 3x it. */
export const EVAL_TARGETS = { finetune: 0.8, score: 3 } as const;

/** How the evaluation cells batch: in length groups (as evaluation runs) or padded (as it did before). */
export type EvalMode = "grouped" | "padded";

/** `--eval`: "grouped", "padded", both comma-separated, or "off" / "" for none. */
export function parseEvalModes(flag: string): EvalMode[] {
  const modes = flag.split(",").map((s) => s.trim()).filter((s) => s && s !== "off");
  for (const m of modes) {
    if (m !== "grouped" && m !== "padded") {
      throw new RangeError(`--eval: ${JSON.stringify(m)} is not grouped, padded or off`);
    }
  }
  return [...new Set(modes)] as EvalMode[];
}

/** One evaluation cell of the bench. */
export interface EvalResult {
  eval: true;
  backend: string;
  threads: number;
  mode: EvalMode;
  workload: "pretrain-encoder" | "finetune" | "score-encoder" | "score-decoder" | "score-sequences";
  config: string;
  dModel: number;
  layers: number;
  vocab: number;
  /** Rows per optimizer step (fine-tuning) or per scoring call. */
  rows: number;
  tokens: number;
  /** Tokens computed, padding included. */
  computed: number;
  calls: number;
  tokensPerSecond: number;
  tokensPerCpuSecond: number;
  /** The same architecture's pretraining step (softmax, same width, vocabulary and threads). */
  pretrainTokensPerSecond: number;
  pretrainTokensPerCpuSecond: number;
  /** tokensPerSecond / pretrainTokensPerSecond, the target it is held to, and whether it meets it. */
  ratio: number;
  /** The same ratio per CPU-second: steadier than wall time on a shared machine. */
  cpuRatio: number;
  target: number;
  meets: boolean;
  loadAverage: number;
}

/** What {@link evalCells} needs from the bench. */
export interface EvalCellOptions {
  backend: string;
  threads: number;
  encoder: ModelConfig;
  decoder: ModelConfig;
  /** The decoder's softmax pretraining rates when the training cells measured them. */
  decoderPretrain?: Rates;
  /** Times a softmax pretraining step of `config` (the training cells' shape). */
  pretrain: (config: ModelConfig) => Promise<Rates>;
  /** Timed fine-tuning steps (at least 6, so that several batch lengths are averaged). */
  steps: number;
  mode: EvalMode;
}

/**
 * The evaluation cells at the current backend and thread count: the encoder's pretraining step (the
 * reference), a fine-tuning step, the encoder's scoring pass, and the decoder's scoring pass against
 * the decoder's pretraining step.
 */
export async function evalCells(o: EvalCellOptions): Promise<EvalResult[]> {
  const encoderPretrain = await o.pretrain(o.encoder);
  const decoderPretrain = o.decoderPretrain ?? await o.pretrain(o.decoder);
  const row = (
    workload: EvalResult["workload"],
    config: ModelConfig,
    rows: number,
    t: EvalTiming,
    reference: Rates,
    target: number,
  ): EvalResult => {
    const r = rates(t);
    const ratio = r.tokensPerSecond / reference.tokensPerSecond;
    return {
      eval: true,
      backend: o.backend,
      threads: o.threads,
      mode: o.mode,
      workload,
      config: config.name,
      dModel: config.dModel,
      layers: config.layers,
      vocab: config.vocabSize,
      rows,
      tokens: t.tokens,
      computed: t.computed,
      calls: t.calls,
      ...r,
      pretrainTokensPerSecond: reference.tokensPerSecond,
      pretrainTokensPerCpuSecond: reference.tokensPerCpuSecond,
      ratio,
      cpuRatio: r.tokensPerCpuSecond / reference.tokensPerCpuSecond,
      target,
      meets: ratio >= target,
      loadAverage: loadAverage(),
    };
  };
  const finetune = timeFinetune(o.encoder, EVAL_SIZES.finetune, Math.max(6, o.steps));
  const scoreEncoder = timeEncoderScoring(o.encoder, EVAL_SIZES.scoreEncoder);
  const scoreDecoder = await timeDecoderScoring(o.decoder, EVAL_SIZES.scoreDecoder);
  // Sequence scoring always groups rows by length (no padding to compare against): measured once, grouped.
  const scoreSequences = o.mode === "grouped" ? timeSequenceScoring(o.decoder, EVAL_SIZES.scoreSequences) : null;
  return [
    row("finetune", o.encoder, FINETUNE_BATCH, finetune, encoderPretrain, EVAL_TARGETS.finetune),
    row("score-encoder", o.encoder, EVAL_BATCH, scoreEncoder, encoderPretrain, EVAL_TARGETS.score),
    row("score-decoder", o.decoder, EVAL_BATCH, scoreDecoder, decoderPretrain, EVAL_TARGETS.score),
    ...(scoreSequences
      ? [row(
        "score-sequences",
        o.decoder,
        Math.round(EVAL_SIZES.scoreSequences / scoreSequences.calls),
        scoreSequences,
        decoderPretrain,
        EVAL_TARGETS.score,
      )]
      : []),
  ];
}

/** The evaluation table's header (markdown). */
export const EVAL_TABLE_HEAD =
  "| backend | threads | batching | workload | config | V | rows/call | tokens | computed (padding) | calls | tokens/s | " +
  "tokens/CPU-s | pretraining tokens/s | pretraining tokens/CPU-s | vs pretraining | vs pretraining (CPU) | target | load |\n" +
  "|" + " --- |".repeat(18);

/** One evaluation cell as a table row. */
export function evalTableRow(r: EvalResult): string {
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "-");
  return `| ${r.backend} | ${
    r.threads || "-"
  } | ${r.mode} | ${r.workload} | ${r.config} ${r.dModel}x${r.layers} | ${r.vocab} | ` +
    `${r.rows} | ${r.tokens} | ${r.computed} (${f(100 * (r.computed / r.tokens - 1), 1)}%) | ${r.calls} | ` +
    `${f(r.tokensPerSecond)} | ${f(r.tokensPerCpuSecond)} | ${f(r.pretrainTokensPerSecond)} | ` +
    `${f(r.pretrainTokensPerCpuSecond)} | ${f(r.ratio, 2)} | ${f(r.cpuRatio, 2)} | ` +
    `≥ ${r.target} ${r.meets ? "met" : "NOT met"} | ${f(r.loadAverage, 1)} |`;
}
