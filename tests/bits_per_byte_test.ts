/**
 * Bits per byte (evals/bits_per_byte.ts): rolling windows as lm-evaluation-harness cuts a document
 * (every token predicted once, each from the tokens just before it); a token stream split into its
 * documents; bits per byte of a fixed-distribution decoder and of the unigram reference worked by hand;
 * a decoder's document score equals the sum over its windows scored by the LAMBADA path.
 */
import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  bitsPerByte,
  causalDocumentScorer,
  rollingWindows,
  splitDocuments,
  unigramDocumentScorer,
} from "../evals/bits_per_byte.ts";
import { ModelScorer } from "../evals/causal_scorer.ts";
import { loglikelihoods } from "../evals/lambada.ts";
import { unigramLogProbs } from "../evals/unigram.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { createModel } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";

await initBackend("wasm");

const arrays = (ws: { input: Int32Array; targets: Int32Array }[]) =>
  ws.map((w) => [Array.from(w.input), Array.from(w.targets)]);

Deno.test("rolling windows: the harness' get_rolling_token_windows with context_len 1, made disjoint", () => {
  const P = 4;
  // 9 tokens, window 4: [P 10 11 12] -> 10..13; [13..16] -> 14..17; the last reaches back: [14..17] -> 18.
  assertEquals(arrays(rollingWindows([10, 11, 12, 13, 14, 15, 16, 17, 18], P, 4)), [
    [[P, 10, 11, 12], [10, 11, 12, 13]],
    [[13, 14, 15, 16], [14, 15, 16, 17]],
    [[14, 15, 16, 17], [18]],
  ]);
  assertEquals(arrays(rollingWindows([10, 11], P, 4)), [[[P, 10], [10, 11]]]);
  assertEquals(rollingWindows([], P, 4), []);
  // Every token predicted once, by the input position just before it.
  const doc = Array.from({ length: 23 }, (_, i) => 100 + i);
  const seen: number[] = [];
  for (const { input, targets } of rollingWindows(doc, P, 5)) {
    targets.forEach((t, j) => {
      const before = input[input.length - targets.length + j];
      assertEquals(before, t === 100 ? P : t - 1);
      seen.push(t);
    });
    assertEquals(input.length <= 5, true);
  }
  assertEquals(seen, doc);
});

Deno.test("splitDocuments: each document ends with the end-of-text id; a cut last document is an error", () => {
  const docs = splitDocuments(Int32Array.from([7, 8, 4, 4, 9, 4]), 4);
  assertEquals(docs.map((d) => Array.from(d)), [[7, 8], [], [9]]);
  assertThrows(() => splitDocuments(Int32Array.from([7, 4, 8]), 4), InputError, "last document is cut");
});

Deno.test("bits per byte worked by hand: a fixed-distribution decoder and the unigram reference", () => {
  // Every position of this decoder predicts p(5) = 4/52, p(6) = 2/52, p(other) = 1/52 (see sequence_scores_test).
  const config: ModelConfig = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });
  const model = createModel(config, 0);
  for (const p of model.params.values()) p.assign(tf.zerosLike(p));
  const e0 = new Float32Array(config.dModel);
  e0[0] = 1;
  model.params.get("ln_f.b")!.assign(tf.tensor1d(e0));
  const w = new Float32Array(config.dModel * config.vocabSize);
  w[5] = Math.log(4);
  w[6] = Math.log(2);
  model.params.get("head.w")!.assign(tf.tensor2d(w, [config.dModel, config.vocabSize]));
  // A 40-token document (longer than the window of 16: three windows) and a 2-token one.
  const long = Int32Array.from({ length: 40 }, (_, i) => [5, 6, 7, 8][i % 4]);
  const docs = [long, Int32Array.from([6, 6])];
  const ll = causalDocumentScorer(model, 4).score(docs, { maxTokens: 32 });
  assertAlmostEquals(ll[0], 10 * Math.log((4 / 52) * (2 / 52) * (1 / 52) * (1 / 52)), 1e-4);
  assertAlmostEquals(ll[1], 2 * Math.log(2 / 52), 1e-5);
  // Say the texts were 100 and 3 bytes: bits per byte = -Σ ln p / (ln 2 · 103).
  const expected = -(10 * Math.log(8 / 52 ** 4) + 2 * Math.log(2 / 52)) / (Math.LN2 * 103);
  assertAlmostEquals(bitsPerByte(ll[0] + ll[1], 103), expected, 1e-6);
  assertAlmostEquals(bitsPerByte(-Math.LN2 * 8 * 10, 10), 8, 1e-12);
  assertThrows(() => bitsPerByte(-1, 0), InputError, "expected at least one byte");
  model.dispose();

  // Unigram over train tokens [5 5 5 6] with vocabulary 8: add-one counts 4, 2 and 1 elsewhere, total 12.
  const unigram = unigramDocumentScorer(unigramLogProbs([5, 5, 5, 6], 8));
  const [u] = unigram.score([Int32Array.from([5, 6, 7])]);
  assertAlmostEquals(u, Math.log((4 / 12) * (2 / 12) * (1 / 12)), 1e-12);
});

Deno.test("a decoder's document score is the sum over its rolling windows scored by the LAMBADA path", async () => {
  const config: ModelConfig = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });
  const model = createModel(config, 9);
  for (const [name, p] of model.params) if (name.endsWith(".w")) p.assign(tf.tidy(() => tf.mul(p, 20)));
  const docs = [Int32Array.from({ length: 37 }, (_, i) => 5 + ((i * 7) % 40)), Int32Array.from([9, 10, 11])];
  const got = causalDocumentScorer(model, 4).score(docs);
  for (const [i, doc] of docs.entries()) {
    const windows = rollingWindows(doc, 4, config.context);
    const reference = await loglikelihoods(
      new ModelScorer(model),
      windows.map((w) => ({
        context: Array.from(w.input.subarray(0, w.input.length - w.targets.length + 1)),
        continuation: Array.from(w.targets),
      })),
    );
    assertAlmostEquals(got[i], reference.reduce((a, r) => a + r.logLikelihood, 0), 1e-3, `document ${i}`);
  }
  model.dispose();
});
