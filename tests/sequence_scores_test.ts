/**
 * Gathered log-probabilities and summed sequence scores (evals/token_logprobs.ts, evals/sequence_scores.ts):
 * a decoder whose every position predicts one known distribution gives hand-computed sums; a trained-looking
 * tiny decoder and encoder agree with a direct log-softmax of each row alone, however the rows are batched;
 * a headless encoder is scored against Eᵀ; pseudo-log-likelihood masks one inner token per copy.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { causalLogLikelihoods, lengthBatches, pseudoLogLikelihoods } from "../evals/sequence_scores.ts";
import { targetLogProbs } from "../evals/token_logprobs.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { createModel, type Model } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";

await initBackend("wasm");

const DECODER: ModelConfig = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });
const ENCODER: ModelConfig = { ...DECODER, name: "tiny-enc", arch: "encoder", tieHead: true };

/** Weights ×20 so that log-probabilities differ clearly between positions and contexts. */
function sharpened(config: ModelConfig, seed: number, head = true): Model {
  const model = createModel(config, seed, { head });
  for (const [name, p] of model.params) if (name.endsWith(".w")) p.assign(tf.tidy(() => tf.mul(p, 20)));
  return model;
}

/** ln softmax rows of one unpadded row of tokens, with the model's head or Eᵀ. */
function directLogProbs(model: Model, tokens: number[]): number[][] {
  return tf.tidy(() => {
    const h = model.hidden(Int32Array.from(tokens), 1, tokens.length);
    const logits = model.hasHead() ? model.logits(h) : tf.matMul(h, model.embedding, false, true);
    return tf.logSoftmax(logits).arraySync() as number[][];
  });
}

Deno.test("a decoder that always predicts one distribution: sums worked by hand", () => {
  // All weights 0: every hidden state is ln_f.b; ln_f.b = e0 and head row 0 = z make every position's
  // logits z, with z[5] = ln 4, z[6] = ln 2 and 0 elsewhere: p(5) = 4/52, p(6) = 2/52, p(other) = 1/52.
  const model = createModel(DECODER, 0);
  for (const p of model.params.values()) p.assign(tf.zerosLike(p));
  const e0 = new Float32Array(DECODER.dModel);
  e0[0] = 1;
  model.params.get("ln_f.b")!.assign(tf.tensor1d(e0));
  const w = new Float32Array(DECODER.dModel * DECODER.vocabSize);
  w[5] = Math.log(4);
  w[6] = Math.log(2);
  model.params.get("head.w")!.assign(tf.tensor2d(w, [DECODER.dModel, DECODER.vocabSize]));
  const sums = causalLogLikelihoods(model, [
    { input: Int32Array.from([4, 5, 6]), targets: Int32Array.from([5, 6, 7]) },
    { input: Int32Array.from([4, 9, 9, 9]), targets: Int32Array.from([5]) },
    { input: Int32Array.from([4]), targets: Int32Array.from([]) },
  ]);
  assertAlmostEquals(sums[0], Math.log(4 / 52) + Math.log(2 / 52) + Math.log(1 / 52), 1e-5);
  assertAlmostEquals(sums[1], Math.log(4 / 52), 1e-5);
  assertEquals(sums[2], 0);
  model.dispose();
});

Deno.test("causal sums equal direct log-softmax of each sequence alone, however batched", () => {
  const model = sharpened(DECODER, 7);
  const seqs = [
    { input: [4, 10, 11, 12], targets: [10, 11, 12, 13] },
    { input: [4, 20], targets: [20, 21] },
    { input: [7, 8, 9, 10, 11, 12], targets: [13] },
    { input: [4, 30, 31, 32], targets: [31, 32, 33] },
    { input: [4, 40], targets: [40, 41] },
  ];
  const expected = seqs.map(({ input, targets }) => {
    const rows = directLogProbs(model, input);
    return targets.reduce((a, t, j) => a + rows[input.length - targets.length + j][t], 0);
  });
  const asTyped = seqs.map((s) => ({ input: Int32Array.from(s.input), targets: Int32Array.from(s.targets) }));
  for (const maxTokens of [1, 4, 8, 4096]) {
    const got = causalLogLikelihoods(model, asTyped, { maxTokens });
    got.forEach((v, i) => assertAlmostEquals(v, expected[i], 1e-4, `sequence ${i}, maxTokens ${maxTokens}`));
  }
  // The contexts matter: the same target after another context scores differently.
  assert(Math.abs(expected[0] - expected[3]) > 0.1);
  assertThrows(
    () => causalLogLikelihoods(model, [{ input: new Int32Array(17), targets: new Int32Array(1) }]),
    InputError,
    "expected 1 to 16 inputs",
  );
  model.dispose();
});

Deno.test("lengthBatches: one length per batch, at most maxTokens tokens (at least one row), longest first", () => {
  const batches = lengthBatches([3, 5, 3, 3, 5, 9], 6);
  assertEquals(batches, [[5], [1], [4], [0, 2], [3]]);
  assertThrows(() => lengthBatches([1], 0), InputError, "maxTokens is 0");
});

Deno.test("targetLogProbs: a model without a head is scored against Eᵀ", () => {
  const model = sharpened(ENCODER, 3, false);
  assertEquals(model.hasHead(), false);
  const row = [1, 9, 3, 12, 2];
  const direct = directLogProbs(model, row);
  const got = targetLogProbs(model, {
    tokens: Int32Array.from(row),
    batch: 1,
    seqLen: row.length,
    positions: Int32Array.from([2, 3]),
    targets: Int32Array.from([14, 12]),
  });
  assertAlmostEquals(got[0], direct[2][14], 1e-4);
  assertAlmostEquals(got[1], direct[3][12], 1e-4);
  model.dispose();
});

/** A stand-in encoder: logits at column c favour token 5 + c (ln 3 against 0, 16 ids); records its inputs. */
function columnModel(): { model: Model; seen: number[][] } {
  const V = 16;
  const seen: number[][] = [];
  const config: ModelConfig = { ...ENCODER, name: "column", vocabSize: V, dModel: V, context: 8 };
  const model = {
    config,
    params: new Map(),
    embedding: undefined as unknown as tf.Variable,
    hidden(tokens: Int32Array, batch: number, seqLen: number) {
      for (let r = 0; r < batch; r++) seen.push(Array.from(tokens.subarray(r * seqLen, (r + 1) * seqLen)));
      const z = new Float32Array(batch * seqLen * V);
      for (let i = 0; i < batch * seqLen; i++) if (5 + (i % seqLen) < V) z[i * V + 5 + (i % seqLen)] = Math.log(3);
      return tf.tensor2d(z, [batch * seqLen, V]);
    },
    logits: (h: tf.Tensor2D) => h,
    hasHead: () => true,
    targetEmbedding: () => undefined as unknown as tf.Variable,
    dispose() {},
  };
  return { model, seen };
}

Deno.test("pseudo-log-likelihood masks one inner token at a time and sums their log-probabilities", () => {
  const { model, seen } = columnModel();
  const MASK = 3;
  // [CLS] 5 7 7 [SEP]: column 1 favours 6 (5 gets 1/18), column 2 favours 7 (3/18), column 3 favours 8 (1/18).
  const rows = [Int32Array.from([1, 5, 7, 7, 2]), Int32Array.from([1, 6, 2])];
  const sums = pseudoLogLikelihoods(model, rows, MASK, { maxTokens: 10 });
  assertAlmostEquals(sums[0], Math.log(1 / 18) + Math.log(3 / 18) + Math.log(1 / 18), 1e-5);
  assertAlmostEquals(sums[1], Math.log(3 / 18), 1e-5);
  assertEquals(
    seen.map((r) => r.join(" ")).sort(),
    ["1 3 7 7 2", "1 5 3 7 2", "1 5 7 3 2", "1 3 2"].sort(),
  );
  assertThrows(() => pseudoLogLikelihoods(model, [Int32Array.from([1, 2])], MASK), InputError, "has 2 tokens");
});

Deno.test("pseudo-log-likelihood of a real encoder equals scoring each masked copy alone", () => {
  const model = sharpened(ENCODER, 5);
  const MASK = 3;
  const rows = [[1, 10, 11, 12, 2], [1, 20, 2], [1, 30, 31, 32, 2]];
  const expected = rows.map((row) => {
    let sum = 0;
    for (let at = 1; at < row.length - 1; at++) {
      const masked = row.slice();
      masked[at] = MASK;
      sum += directLogProbs(model, masked)[at][row[at]];
    }
    return sum;
  });
  for (const maxTokens of [5, 7, 4096]) {
    const got = pseudoLogLikelihoods(model, rows.map((r) => Int32Array.from(r)), MASK, { maxTokens });
    got.forEach((v, i) => assertAlmostEquals(v, expected[i], 1e-4, `row ${i}, maxTokens ${maxTokens}`));
  }
  model.dispose();
});
