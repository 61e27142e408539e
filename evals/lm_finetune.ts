/**
 * LM fine-tuning of a headless decoder before LAMBADA (Godey et al. 2023, section 4.2): the decoder
 * gets a new LM head W initialised as a copy of Eᵀ (untied: W and E are trained apart from then on),
 * then the whole model is trained with ordinary next-token cross-entropy on the pretraining token
 * stream for a set number of steps, AdamW with constant learning rate after a linear warmup (the
 * paper: 10,000 steps, 2,000 of warmup), through train/optimizer_step.ts's step (clipping, and a stop on
 * a non-finite loss, gradient norm or weight). The FLOPs of those steps (models/flops.ts, softmax objective)
 * count toward the model's compute. Scoring with the copied head before any step is the paper's
 * "Headless" row.
 */
import { stepFlops } from "../models/flops.ts";
import { lmLoss } from "../models/objectives.ts";
import { initHeadFromEmbedding, type Model } from "../models/transformer.ts";
import { BatchStream } from "../train/batch_stream.ts";
import { accumulateGradients } from "../train/grad_accum.ts";
import type { LmBatch } from "../train/model_kit.ts";
import { ADAMW_DECODER } from "../train/optimizer_step.ts";
import { openTokenFolderSplit } from "../train/token_stream.ts";
import { transformerKit } from "../train/transformer_kit.ts";
import { InputError } from "../util/errors.ts";
import { finetuneOptimizer } from "./finetune_glue.ts";

/**
 * Gives a headless decoder an untied LM head W = Eᵀ (a copy). Errors for an encoder, a tied config
 * (its head would be E itself, not a copy: load the checkpoint with tieHead false) and a model that
 * already has a head (a softmax-pretrained decoder needs no new one).
 */
export function addLmHeadFromEmbedding(model: Model): void {
  const c = model.config;
  if (c.arch !== "decoder") throw new InputError(`an LM head goes on a decoder, but model ${c.name} is an ${c.arch}`);
  if (c.tieHead) {
    throw new InputError(
      `model ${c.name} has tieHead true: its head is E itself, not an untied copy; build it with tieHead false`,
    );
  }
  if (model.hasHead()) {
    throw new InputError(`model ${c.name} already has an LM head (head.w); only a headless decoder gets Eᵀ`);
  }
  initHeadFromEmbedding(model);
}

/** Options of {@link lmFinetune}. */
export interface LmFinetuneOptions {
  steps: number;
  lr: number;
  /** Share of the steps spent in linear warmup (default 0.2, the paper's 2,000 of 10,000). */
  warmupFrac?: number;
  /** AdamW (defaults: the paper's decoder pretraining settings, betas 0.9/0.95, eps 1e-8, decay 0.1). */
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Global gradient-norm limit (default 1; 0 disables). */
  clip?: number;
  /** Called after each step. */
  onStep?: (step: number, loss: number) => void;
}

/** What {@link lmFinetune} did. */
export interface LmFinetuneResult {
  steps: number;
  tokens: number;
  /** Analytic FLOPs of the steps (forward + backward, softmax head). */
  flops: number;
  seconds: number;
  /** Training loss of each step. */
  losses: number[];
}

/** A source of decoder batches (train/batch_stream.ts BatchStream is one). */
export interface LmBatchSource {
  next(): LmBatch;
}

/** Trains every parameter of `model` (a decoder with an LM head) with next-token CE on `source`. */
export function lmFinetune(model: Model, source: LmBatchSource, options: LmFinetuneOptions): LmFinetuneResult {
  const c = model.config;
  if (c.arch !== "decoder") throw new InputError(`LM fine-tuning needs a decoder, but model ${c.name} is an ${c.arch}`);
  if (!model.hasHead()) throw new InputError(`model ${c.name} has no LM head: call addLmHeadFromEmbedding first`);
  if (!(Number.isInteger(options.steps) && options.steps >= 1)) {
    throw new InputError(`LM fine-tuning steps must be a positive integer, got ${options.steps}`);
  }
  const optimizer = finetuneOptimizer(
    model.params,
    options.steps,
    options,
    { ...ADAMW_DECODER, warmupFrac: 0.2, weightDecay: 0.1 },
    `LM fine-tuning of ${c.name}`,
  );
  const losses: number[] = [];
  let tokens = 0;
  let flops = 0;
  const t0 = performance.now();
  try {
    for (let step = 0; step < options.steps; step++) {
      const batch = source.next();
      const { loss, grads } = accumulateGradients(model.params, 1, () => lmLoss(model, "softmax", batch));
      optimizer.apply(grads, loss);
      losses.push(loss);
      tokens += batch.batch * batch.seqLen;
      flops +=
        stepFlops(c, "softmax", { batch: batch.batch, seqLen: batch.seqLen, scored: batch.positions.length }).total;
      options.onStep?.(step + 1, loss);
    }
  } finally {
    optimizer.dispose();
  }
  return { steps: options.steps, tokens, flops, seconds: (performance.now() - t0) / 1000, losses };
}

/**
 * Decoder batches from a token folder's train split (the pretraining stream): windows of seqLen + 1
 * tokens in the seeded order train/ uses. The folder's vocabulary must be the model's.
 */
export async function openLmBatches(
  tokensDir: string,
  model: Model,
  opts: { batch: number; seqLen: number; seed: number; vocabSize: number },
): Promise<BatchStream> {
  const c = model.config;
  if (opts.vocabSize !== c.vocabSize) {
    throw new InputError(
      `token folder vocabulary ${opts.vocabSize} differs from model ${c.name}'s ${c.vocabSize}`,
      tokensDir,
    );
  }
  if (!(Number.isInteger(opts.seqLen) && opts.seqLen >= 1 && opts.seqLen <= c.context)) {
    throw new InputError(`LM fine-tuning sequence length ${opts.seqLen} must be an integer in [1, ${c.context}]`);
  }
  const split = await openTokenFolderSplit(tokensDir, "train");
  return new BatchStream(transformerKit, "decoder", split, opts);
}
