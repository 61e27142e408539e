/**
 * A CausalScorer (evals/lambada.ts) over a decoder Model and its softmax head: the inputs of one call
 * run in groups of equal or near-equal length (evals/length_groups.ts), each right-padded with [PAD] to
 * its longest (causal attention keeps padding from reaching earlier positions), so padding is almost
 * never computed; only the rows at the asked positions go through the head and one log-softmax.
 */
import * as tf from "@tensorflow/tfjs";
import { embed } from "../models/ops.ts";
import type { Model } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";
import type { CausalScorer } from "./lambada.ts";
import { groupByLength } from "./length_groups.ts";

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
      }
    });
    const groups = groupByLength(inputs.map((x) => x.length))
      .map((g) => g.filter((b) => positions[b].length > 0))
      .filter((g) => g.length > 0);
    if (groups.length === 0) return positions.map(() => []);
    const logProbs = tf.tidy(() => {
      const rows = groups.map((g) => {
        const seqLen = Math.max(...g.map((b) => inputs[b].length));
        const tokens = new Int32Array(g.length * seqLen); // [PAD] = 0 after each input
        g.forEach((b, r) => tokens.set(inputs[b], r * seqLen));
        const flat = g.flatMap((b, r) => positions[b].map((p) => r * seqLen + p));
        return embed(Int32Array.from(flat), this.model.hidden(tokens, g.length, seqLen));
      });
      return tf.logSoftmax(this.model.logits(rows.length === 1 ? rows[0] : tf.concat(rows, 0) as tf.Tensor2D));
    });
    const data = logProbs.dataSync() as Float32Array;
    logProbs.dispose();
    const V = this.model.config.vocabSize;
    const result: Float32Array[][] = positions.map(() => []);
    let row = 0;
    for (const b of groups.flat()) result[b] = positions[b].map(() => data.slice(row * V, ++row * V));
    return result;
  }
}
