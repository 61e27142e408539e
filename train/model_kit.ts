/**
 * What the training loop needs from a model package, as types only. models/ provides the real kit;
 * train/testing.ts a toy one for fast tests. Keeping the loop behind this interface means it knows
 * nothing about layers, only about named parameters, a loss and a FLOP count.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Arch } from "../models/config.ts";
import type { LmBatch } from "../models/batches.ts";
import type { HeadMode, Objective } from "../models/objective_names.ts";
import type { Rng } from "../util/rng.ts";

// The batch, objective and family types are the models/ package's own, so the two cannot drift apart.
export type { Arch, HeadMode, LmBatch, Objective };

/** The fields of a model config the loop reads (the rest travels along into run.json). */
export interface ModelConfigLike {
  name: string;
  arch: Arch;
  vocabSize: number;
  context: number;
}

/** A model as the optimizer sees it. */
export interface TrainableModel {
  params: Map<string, tf.Variable>;
  /** Frees the variables (the loop falls back to disposing `params`). */
  dispose?(): void;
}

/** The model-side functions the loop calls. */
export interface ModelKit<C extends ModelConfigLike = ModelConfigLike, M extends TrainableModel = TrainableModel> {
  /** A model with deterministic initial weights; `objective` lets a headless run skip the softmax head. */
  createModel(config: C, seed: number, objective: Objective): M;
  /** True for parameters excluded from weight decay (norms, biases). */
  noDecay(name: string): boolean;
  /** The batch's loss; `head` says where a softmax head computes logits (a kit may ignore it). */
  lmLoss(model: M, objective: Objective, batch: LmBatch, head?: HeadMode): tf.Scalar;
  stepFlops(
    config: C,
    objective: Objective,
    shape: { batch: number; seqLen: number; scored: number },
    head?: HeadMode,
  ): { total: number };
  makeEncoderBatch(rows: Int32Array[], rng: Rng, vocabSize: number): LmBatch;
  makeDecoderBatch(windows: Int32Array[]): LmBatch;
}
