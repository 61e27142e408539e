/**
 * The one optimizer step of every training loop here (pretraining, GLUE fine-tuning, LM fine-tuning and
 * the benchmark): given the step's gradients, already accumulated, it
 *   1. stops on a non-finite loss,
 *   2. takes the global gradient norm and clips to it (torch's clip_grad_norm_), stopping on a
 *      non-finite norm,
 *   3. applies AdamW at the schedule's learning rate for this update,
 *   4. stops when a weight is not finite after the update.
 * A stop is a {@link TrainingDiverged} error naming the run and the step: the caller has written nothing
 * from that state, and must not (the weights in memory may already be NaN).
 */
import * as tf from "@tensorflow/tfjs";
import { InputError } from "../util/errors.ts";
import { AdamW } from "./adamw.ts";
import { clipByGlobalNorm } from "./clip.ts";
import type { Arch } from "./model_kit.ts";
import { learningRate, type LrSchedule } from "./schedule.ts";

/** AdamW's constants: the moment decay rates and the denominator's epsilon. */
export interface AdamWConstants {
  beta1: number;
  beta2: number;
  eps: number;
}

/** torch.optim.AdamW's defaults, which are BERT's: encoders, GLUE fine-tuning, and the benchmark (as its peer). */
export const ADAMW_DEFAULTS: Readonly<AdamWConstants> = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Decoders take β2 = 0.95 (GPT-3, Pythia): decoder pretraining and LM fine-tuning. */
export const ADAMW_DECODER: Readonly<AdamWConstants> = { ...ADAMW_DEFAULTS, beta2: 0.95 };

/** AdamW's constants for pretraining a model family. */
export function adamWConstants(arch: Arch): AdamWConstants {
  return { ...(arch === "decoder" ? ADAMW_DECODER : ADAMW_DEFAULTS) };
}

/** Settings of an {@link OptimizerStep}. */
export interface OptimizerStepOptions extends AdamWConstants {
  weightDecay: number;
  /** True for parameters that get no weight decay (the model kit's rule). */
  noDecay: (name: string) => boolean;
  /** The learning rate of update k (0-based) is learningRate(schedule, k). */
  schedule: LrSchedule;
  /** Global gradient-norm limit; 0 takes the norm without clipping. */
  clip: number;
  /** What is training, for errors: e.g. "pretraining runs/pretrain/x" or "task rte, seed 0". */
  label: string;
}

/** What one step did. */
export interface StepReport {
  /** 1-based number of this update. */
  step: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

/** A non-finite loss, gradient norm or weight: the training diverged at `step`. One line, exit code 2 from a CLI. */
export class TrainingDiverged extends InputError {
  constructor(label: string, readonly step: number, what: string, lr: number) {
    super(
      `${label}: step ${step}: ${what} (learning rate ${lr}): training diverged; nothing was saved from this step. ` +
        `Lower the learning rate (or lengthen the warmup) and start again`,
    );
    this.name = "TrainingDiverged";
  }
}

/** AdamW with its schedule and clipping over a fixed set of named variables. */
export class OptimizerStep {
  readonly adam: AdamW;

  constructor(readonly params: Map<string, tf.Variable>, readonly options: OptimizerStepOptions) {
    const { beta1, beta2, eps, weightDecay, noDecay } = options;
    this.adam = new AdamW(params, { beta1, beta2, eps, weightDecay, noDecay });
  }

  /** Updates applied so far (restored with the AdamW state on resume). */
  get updates(): number {
    return this.adam.step;
  }

  /**
   * Applies one update from `grads` (by parameter name; consumed: every tensor is disposed) for a step
   * whose loss was `loss`, at learning rate `lr` (default: the schedule's for this update). Throws
   * {@link TrainingDiverged} on a non-finite loss, gradient norm or weight.
   */
  apply(
    grads: Map<string, tf.Tensor>,
    loss: number,
    lr = learningRate(this.options.schedule, this.adam.step),
  ): StepReport {
    const step = this.adam.step + 1;
    const fail = (what: string) => new TrainingDiverged(this.options.label, step, what, lr);
    let owned = grads;
    let gradNorm: number;
    try {
      if (!Number.isFinite(loss)) throw fail(`the loss is ${loss}`);
      const clipped = clipByGlobalNorm(owned, this.options.clip);
      owned = clipped.grads;
      gradNorm = clipped.norm;
      if (!Number.isFinite(gradNorm)) throw fail(`the gradient norm is ${gradNorm}`);
      this.adam.apply(owned, lr);
    } finally {
      for (const g of owned.values()) g.dispose();
    }
    const bad = firstNonFinite(this.params);
    if (bad) throw fail(`parameter ${bad} holds a non-finite value after the update`);
    return { step, lr, gradNorm };
  }

  /** Frees the optimizer's moment buffers (not the parameters). */
  dispose(): void {
    this.adam.dispose();
  }
}

/**
 * The name of the first variable holding a NaN or ±Infinity, or null. x·0 is 0 for every finite x and
 * NaN otherwise, so each sum is 0 or NaN and never overflows; one read back for all variables.
 */
export function firstNonFinite(params: Map<string, tf.Variable>): string | null {
  if (params.size === 0) return null;
  const names = [...params.keys()];
  const sums = tf.tidy(() => tf.stack([...params.values()].map((p) => p.mul(0).sum())));
  const values = sums.dataSync();
  sums.dispose();
  const i = values.findIndex((v) => !Number.isFinite(v));
  return i < 0 ? null : names[i];
}
