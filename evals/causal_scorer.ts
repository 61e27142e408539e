/**
 * A CausalScorer (evals/lambada.ts) over a decoder Model and its softmax head: the inputs of one call
 * are right-padded with [PAD] into one batch (causal attention keeps padding from reaching earlier
 * positions), the final hidden states are computed once, and only the rows at the asked positions go
 * through the head and a log-softmax.
 */
import * as tf from "@tensorflow/tfjs";
import { embed } from "../models/ops.ts";
import type { Model } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";
import type { CausalScorer } from "./lambada.ts";

/** Options of {@link ModelScorer}. */
export interface ModelScorerOptions {
  /** Most tokens read at once (default and maximum: the model's context). */
  window?: number;
}

/** Scores next-token log-probabilities with a decoder and its LM head. */
export class ModelScorer implements CausalScorer {
  readonly window: number;

  constructor(readonly model: Model, options: ModelScorerOptions = {}) {
    const c = model.config;
    if (c.arch !== "decoder") {
      throw new InputError(`a causal scorer needs a decoder, but model ${c.name} is an ${c.arch}`);
    }
    if (!model.hasHead()) {
      throw new InputError(
        `model ${c.name} has no LM head (a headless checkpoint): give it one first (evals/lm_finetune.ts addLmHeadFromEmbedding)`,
      );
    }
    this.window = options.window ?? c.context;
    if (!(Number.isInteger(this.window) && this.window >= 1 && this.window <= c.context)) {
      throw new InputError(
        `scorer window ${this.window} must be an integer in [1, ${c.context}] (the model's context)`,
      );
    }
  }

  logProbsAt(inputs: Int32Array[], positions: number[][]): Promise<Float32Array[][]> {
    if (inputs.length !== positions.length) {
      return Promise.reject(new Error(`logProbsAt: ${inputs.length} inputs but ${positions.length} position lists`));
    }
    if (inputs.length === 0) return Promise.resolve([]);
    return Promise.resolve(this.score(inputs, positions));
  }

  private score(inputs: Int32Array[], positions: number[][]): Float32Array[][] {
    const seqLen = Math.max(...inputs.map((x) => x.length));
    const flat: number[] = [];
    inputs.forEach((input, b) => {
      if (input.length < 1 || input.length > this.window) {
        throw new InputError(
          `input ${b} has ${input.length} tokens; expected 1 to ${this.window} (the scorer's window)`,
        );
      }
      for (const p of positions[b]) {
        if (!(Number.isInteger(p) && p >= 0 && p < input.length)) {
          throw new InputError(`position ${p} of input ${b} is outside its ${input.length} tokens`);
        }
        flat.push(b * seqLen + p);
      }
    });
    if (flat.length === 0) return positions.map(() => []);
    const tokens = new Int32Array(inputs.length * seqLen); // [PAD] = 0 after each input
    inputs.forEach((input, b) => tokens.set(input, b * seqLen));
    const logProbs = tf.tidy(() => {
      const h = this.model.hidden(tokens, inputs.length, seqLen);
      return tf.logSoftmax(this.model.logits(embed(Int32Array.from(flat), h)));
    });
    const data = logProbs.dataSync() as Float32Array;
    logProbs.dispose();
    const V = this.model.config.vocabSize;
    let row = 0;
    return positions.map((ps) => ps.map(() => data.slice(row * V, ++row * V)));
  }
}
