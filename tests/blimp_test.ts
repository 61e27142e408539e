/**
 * BLiMP scoring (evals/blimp.ts): a pair is right only when the good sentence scores strictly higher
 * (a tie is wrong, and counted); pairs are split back into their paradigms; a decoder scores " " +
 * sentence after the end-of-text token exactly as the LAMBADA path (lm-evaluation-harness) scores an empty
 * context; the unigram reference sums token log-probabilities by hand and ties word-order pairs exactly;
 * an encoder's pseudo-log-likelihood frames the sentence as [CLS] … [SEP]. The real files load (skipped
 * without the mirror).
 */
import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { join } from "node:path";
import { blimpTask, loadMinimalPairs } from "../data/blimp.ts";
import { DATA_CACHE_ENV } from "../data/cache.ts";
import {
  causalSentenceScorer,
  judgePairs,
  pseudoSentenceScorer,
  scoreMinimalPairs,
  type SentenceScorer,
  unigramSentenceScorer,
} from "../evals/blimp.ts";
import { ModelScorer } from "../evals/causal_scorer.ts";
import { encodePair, loglikelihoods, type Tokenizer } from "../evals/lambada.ts";
import { pseudoLogLikelihoods } from "../evals/sequence_scores.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { createModel } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { SHARED_DATA_DIR } from "../util/paths.ts";

await initBackend("wasm");

// A character tokenizer: " " and a-z and "." are ids 5..32; 4 is the end of text.
const CHARS = " abcdefghijklmnopqrstuvwxyz.";
const charTokenizer: Tokenizer = {
  eotId: 4,
  encode: (text) =>
    [...text].map((c) => {
      const i = CHARS.indexOf(c);
      if (i < 0) throw new Error(`char tokenizer: no ${c}`);
      return 5 + i;
    }),
};
const id = (c: string) => 5 + CHARS.indexOf(c);

Deno.test("judgePairs: right only when the good sentence scores strictly higher; ties are wrong and counted", () => {
  const r = judgePairs(Float64Array.from([-1, -5, -3, -2]), Float64Array.from([-2, -4, -3, -7]));
  assertEquals([...r.correct], [1, 0, 0, 1]);
  assertEquals(r.acc, 0.5);
  assertEquals(r.ties, 1);
  assertEquals(r.n, 4);
});

Deno.test("scoreMinimalPairs: one scorer call, results split back into their groups in order", () => {
  // A stub that prefers shorter sentences: score = -length.
  const calls: number[] = [];
  const shorter: SentenceScorer = {
    score(sentences) {
      calls.push(sentences.length);
      return Float64Array.from(sentences, (s) => -s.length);
    },
  };
  const results = scoreMinimalPairs(shorter, [
    [{ good: "a cat", bad: "a big cat" }, { good: "cats that run", bad: "cat" }],
    [{ good: "x", bad: "yy" }],
  ]);
  assertEquals(calls, [6]);
  assertEquals(results.map((r) => [...r.correct]), [[1, 0], [1]]);
  assertEquals(results.map((r) => r.acc), [0.5, 1]);
  assertEquals([...results[0].good], [-5, -13]);
  assertEquals([...results[0].bad], [-9, -3]);
});

Deno.test("the unigram reference: Σ ln p(token) of ' ' + sentence, worked by hand; word order ties exactly", () => {
  const logProbs = new Float64Array(48).fill(Math.log(1 / 100));
  logProbs[id(" ")] = Math.log(0.3);
  logProbs[id("a")] = Math.log(0.1);
  logProbs[id("b")] = Math.log(0.05);
  logProbs[id("c")] = Math.log(0.02);
  const scorer = unigramSentenceScorer(logProbs, charTokenizer);
  const [ab, ac, ba, bca] = scorer.score(["ab", "ac", "ba", "b ca"]);
  assertAlmostEquals(ab, Math.log(0.3 * 0.1 * 0.05), 1e-12);
  assertAlmostEquals(ac, Math.log(0.3 * 0.1 * 0.02), 1e-12);
  assertAlmostEquals(bca, Math.log(0.3 * 0.3 * 0.1 * 0.05 * 0.02), 1e-12);
  assertEquals(ab, ba); // the same tokens in another order: an exact tie, not a rounding accident
  const [r] = scoreMinimalPairs(scorer, [[{ good: "ab", bad: "ac" }, { good: "ab", bad: "ba" }]]);
  assertEquals([...r.correct], [1, 0]);
  assertEquals(r.ties, 1);
});

const DECODER: ModelConfig = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });

Deno.test("a decoder scores ' ' + sentence after the end-of-text token, as the LAMBADA (harness) path does", async () => {
  const model = createModel(DECODER, 4);
  for (const [name, p] of model.params) if (name.endsWith(".w")) p.assign(tf.tidy(() => tf.mul(p, 20)));
  const sentences = ["the cat sat.", "cat the sat.", "a dog ran"];
  assertEquals(encodePair(charTokenizer, "", " " + sentences[0]).context, [4]);
  const reference = await loglikelihoods(
    new ModelScorer(model),
    sentences.map((s) => encodePair(charTokenizer, "", " " + s)),
  );
  const got = causalSentenceScorer(model, charTokenizer).score(sentences, { maxTokens: 20 });
  got.forEach((v, i) => assertAlmostEquals(v, reference[i].logLikelihood, 1e-4, sentences[i]));
  assertThrows(
    () => causalSentenceScorer(model, charTokenizer).score(["this sentence is too long"]),
    InputError,
    "more than the model's context 16",
  );
  model.dispose();
});

Deno.test("an encoder scores [CLS] sentence [SEP] by pseudo-log-likelihood", () => {
  const config: ModelConfig = { ...DECODER, name: "tiny-enc", arch: "encoder", tieHead: true };
  const model = createModel(config, 6, { head: false });
  for (const [name, p] of model.params) if (name.endsWith(".w")) p.assign(tf.tidy(() => tf.mul(p, 20)));
  const got = pseudoSentenceScorer(model, charTokenizer).score(["ab c", "ba"]);
  const rows = [[1, id("a"), id("b"), id(" "), id("c"), 2], [1, id("b"), id("a"), 2]].map((r) => Int32Array.from(r));
  const expected = pseudoLogLikelihoods(model, rows, 3);
  assertAlmostEquals(got[0], expected[0], 1e-6);
  assertAlmostEquals(got[1], expected[1], 1e-6);
  assertThrows(
    () => pseudoSentenceScorer(model, charTokenizer).score(["fifteen letters"]),
    InputError,
    "expected 1 to 14",
  );
  model.dispose();
});

/** The data cache of $HEADLESS_BENCH_DATA, else the mirror beside the repository. */
const DATA = Deno.env.get(DATA_CACHE_ENV) || SHARED_DATA_DIR;
const hasBlimp = await exists(join(DATA, "blimp", "adjunct_island.jsonl"));

Deno.test({
  name: `the real BLiMP files: 67 paradigms of 1,000 pairs${
    hasBlimp ? "" : " (ignored: no blimp/ in $HEADLESS_BENCH_DATA or ../shared/data)"
  }`,
  ignore: !hasBlimp,
  async fn() {
    const task = blimpTask();
    const paradigms = Object.keys(task.splits);
    assertEquals(paradigms.length, 67);
    let pairs = 0, sameWords = 0;
    const identical: string[] = [];
    for (const p of paradigms) {
      const loaded = await loadMinimalPairs(DATA, p, task);
      assertEquals(loaded.length, 1000, p);
      for (const { good, bad } of loaded) {
        if (good === bad) identical.push(p);
        const words = (s: string) => s.split(" ").sort().join(" ");
        if (words(good) === words(bad)) sameWords++;
      }
      pairs += loaded.length;
    }
    assertEquals(pairs, 67_000);
    // The authors' files hold 7 pairs whose two sentences are the same: a tie for every scorer, so never right.
    assertEquals(identical, [...Array(2).fill("passive_1"), ...Array(5).fill("principle_A_case_2")]);
    const first = (await loadMinimalPairs(DATA, "adjunct_island", task))[0];
    assertEquals(first, {
      good: "Who should Derek hug after shocking Richard?",
      bad: "Who should Derek hug Richard after shocking?",
    });
    // Word-order pairs exist (the unigram reference ties on them): adjunct_island alone is such a paradigm.
    if (sameWords < 1000) {
      throw new Error(`expected at least adjunct_island's 1,000 word-order pairs, got ${sameWords}`);
    }
  },
});
