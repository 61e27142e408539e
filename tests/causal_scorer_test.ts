/**
 * The model-backed CausalScorer (evals/causal_scorer.ts): its log-probabilities equal a direct
 * log-softmax of the model's logits on each input alone, even when batched with longer inputs (right
 * padding never reaches earlier positions of a causal model); LAMBADA scored through it sums exactly
 * those log-probabilities; bad calls fail clearly.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { ModelScorer } from "../evals/causal_scorer.ts";
import { argmax, scoreLambada } from "../evals/lambada.ts";
import { initBackend } from "../backends/mod.ts";
import { CALL_OVERHEAD_TOKENS, lengthGrouping } from "../evals/length_groups.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { createModel, type Model } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";

await initBackend("wasm");

const DECODER: ModelConfig = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });

/** log-softmax rows of the model's logits for one unpadded input, computed directly. */
function directLogProbs(model: Model, input: number[]): number[][] {
  return tf.tidy(() => {
    const h = model.hidden(Int32Array.from(input), 1, input.length);
    return tf.logSoftmax(model.logits(h)).arraySync() as number[][];
  });
}

const model = createModel(DECODER, 7);
// Larger weights than the init's 0.02 so that log-probabilities differ clearly between positions.
for (const [name, p] of model.params) if (name.endsWith(".w")) p.assign(tf.tidy(() => tf.mul(p, 20)));

for (const overhead of [CALL_OVERHEAD_TOKENS, 0]) {
  Deno.test(`log-probs equal a direct log-softmax of the model's logits, batched and padded (group overhead ${overhead})`, async () => {
    lengthGrouping.overheadTokens = overhead; // 0: every length its own group, in another order than the inputs
    try {
      await checkAgainstDirect();
    } finally {
      lengthGrouping.overheadTokens = CALL_OVERHEAD_TOKENS;
    }
  });
}

async function checkAgainstDirect() {
  const scorer = new ModelScorer(model);
  assertEquals(scorer.window, 16);
  const inputs = [[5, 9, 12], [7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [20], [6, 7], [30, 31, 32]];
  const positions = [[0, 2], [3, 9], [0], [], [1]];
  const rows = await scorer.logProbsAt(inputs.map((x) => Int32Array.from(x)), positions);
  assertEquals(rows.map((r) => r.length), [2, 2, 1, 0, 1]);
  let spread = 0;
  inputs.forEach((input, b) => {
    const direct = directLogProbs(model, input);
    positions[b].forEach((p, k) => {
      assertEquals(rows[b][k].length, DECODER.vocabSize);
      direct[p].forEach((x, v) => assertAlmostEquals(rows[b][k][v], x, 1e-4));
      spread = Math.max(spread, Math.max(...direct[p]) - Math.min(...direct[p]));
    });
  });
  assert(spread > 1, `log-probs should vary across the vocabulary (spread ${spread})`);
  const sumProb = rows[0][0].reduce((a, x) => a + Math.exp(x), 0);
  assertAlmostEquals(sumProb, 1, 1e-4);
}

Deno.test("LAMBADA through the scorer: the summed log-probs and greedy flag of the last word", async () => {
  // Words are token ids; each word is one token, so the target " w" is the token w.
  const tokenizer = { encode: (s: string) => s.split(" ").filter(Boolean).map(Number), eotId: 4 };
  const passages = ["5 9 12 30", "7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 40"];
  const result = await scoreLambada(new ModelScorer(model), tokenizer, passages, { batchSize: 2 });
  assertEquals(result.n, 2);
  // Passage 1: context 5 9 12, target 30 predicted at position 2.
  const p1 = directLogProbs(model, [5, 9, 12])[2];
  assertAlmostEquals(result.examples[0].logLikelihood, p1[30], 1e-4);
  assertEquals(result.examples[0].isGreedy, argmax(p1) === 30);
  // Passage 2 (19 tokens) is cut from the left to the window: the last 17 tokens, 16 fed to the model.
  const fed = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  const p2 = directLogProbs(model, fed)[15];
  assertAlmostEquals(result.examples[1].logLikelihood, p2[40], 1e-4);
  const expectedPpl = Math.exp(-(p1[30] + p2[40]) / 2);
  assertAlmostEquals(result.perplexity / expectedPpl, 1, 1e-4);
});

Deno.test("bad calls: an input over the window, a position outside its input, an encoder, a headless decoder", async () => {
  const scorer = new ModelScorer(model, { window: 8 });
  await assertRejects(
    () => scorer.logProbsAt([new Int32Array(9).fill(5)], [[0]]),
    InputError,
    "input 0 has 9 tokens; expected 1 to 8",
  );
  await assertRejects(
    () => scorer.logProbsAt([Int32Array.from([5, 6])], [[2]]),
    InputError,
    "position 2 of input 0 is outside its 2 tokens",
  );
  assertEquals(await scorer.logProbsAt([], []), []);
  assertThrows(() => new ModelScorer(model, { window: 17 }), InputError, "window 17 must be an integer in [1, 16]");
  const encoder = createModel({ ...DECODER, arch: "encoder" }, 0);
  assertThrows(() => new ModelScorer(encoder), InputError, "needs a decoder, but model tiny-dec is an encoder");
  encoder.dispose();
  const headless = createModel(DECODER, 0, { head: false });
  assertThrows(() => new ModelScorer(headless), InputError, "has no LM head");
  headless.dispose();
});
