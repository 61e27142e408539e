import { assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  type CausalScorer,
  encodePair,
  lambadaRequest,
  loglikelihoods,
  scoreLambada,
  type Tokenizer,
  windowInput,
} from "../evals/lambada.ts";
import { paperResults } from "../reports/paper_results.ts";
import { InputError } from "../util/errors.ts";

// A toy BPE-like tokenizer: greedy longest match over these strings (id = index; 0 is <eot>, never
// matched). Like GPT-2's, a word's leading space belongs to the word's token.
const VOCAB = ["<eot>", "the", " the", " cat", " sat", " on", " mat", " dog", " ran", " ", "s", " mats"];
const toyTokenizer: Tokenizer = {
  eotId: 0,
  encode(text: string): number[] {
    const ids: number[] = [];
    for (let at = 0; at < text.length;) {
      let best = -1;
      for (let id = 1; id < VOCAB.length; id++) {
        if (text.startsWith(VOCAB[id], at) && (best < 0 || VOCAB[id].length > VOCAB[best].length)) best = id;
      }
      if (best < 0) throw new Error(`toy tokenizer: cannot encode ${JSON.stringify(text.slice(at))}`);
      ids.push(best);
      at += VOCAB[best].length;
    }
    return ids;
  },
};

// A bigram model: P(next | previous token). Rows not listed are uniform over the 12 ids.
const V = VOCAB.length;
const BIGRAMS: Record<number, Record<number, number>> = {
  1: { 3: 1 / 2, 7: 1 / 4, 6: 1 / 4 }, // "the"  -> " cat" .5, " dog" .25, " mat" .25
  2: { 3: 1 / 2, 6: 1 / 4, 7: 1 / 4 }, // " the" -> " cat" .5, " mat" .25, " dog" .25
  3: { 10: 1 / 2, 4: 1 / 4, 8: 1 / 4 }, // " cat" -> "s" .5, " sat" .25, " ran" .25
  4: { 5: 3 / 4, 3: 1 / 4 }, // " sat" -> " on" .75, " cat" .25
  5: { 2: 1 }, // " on" -> " the"
  6: { 9: 3 / 4, 10: 1 / 4 }, // " mat" -> " " .75, "s" .25
  7: { 4: 1 / 2, 8: 1 / 4, 5: 1 / 4 }, // " dog" -> " sat" .5, " ran" .25, " on" .25
};
const ROWS: Float32Array[] = VOCAB.map((_, prev) =>
  Float32Array.from({ length: V }, (_, next) => Math.log(BIGRAMS[prev] ? BIGRAMS[prev][next] ?? 0 : 1 / V))
);

/** The bigram model behind the CausalScorer interface; it records every call. */
class BigramScorer implements CausalScorer {
  calls: { inputs: number[][]; positions: number[][] }[] = [];
  constructor(readonly window: number) {}
  logProbsAt(inputs: Int32Array[], positions: number[][]): Promise<Float32Array[][]> {
    this.calls.push({ inputs: inputs.map((x) => Array.from(x)), positions });
    return Promise.resolve(inputs.map((input, b) => {
      if (input.length > this.window) throw new Error(`input of ${input.length} tokens > window ${this.window}`);
      return positions[b].map((p) => ROWS[input[p]]);
    }));
  }
}

// Three passages worked by hand (ids from VOCAB):
// 1. "the cat sat on the mat": context "the cat sat on the" = [1 3 4 5 2], target " mat" = [6].
//    ll = ln P(mat | the) = ln 1/4; argmax after " the" is " cat" -> not greedy.
// 2. "the dog sat": context [1 7], target " sat" = [4]. ll = ln 1/2; argmax after " dog" is " sat".
// 3. "the dog sat on the cats": context [1 7 4 5 2], target " cats" = [3 10] (two tokens).
//    ll = ln P(cat | the) + ln P(s | cat) = ln 1/2 + ln 1/2 = ln 1/4; both argmax -> greedy.
// acc = 2/3; ppl = exp(−(ln 1/4 + ln 1/2 + ln 1/4)/3) = exp(ln 32 / 3) = 32^(1/3) = 3.1748.
const PASSAGES = ["the cat sat on the mat", "the dog sat", "the dog sat on the cats"];

Deno.test("lambadaRequest: text up to the last space, and ' ' + last word", () => {
  assertEquals(lambadaRequest("the cat sat on the mat"), { context: "the cat sat on the", continuation: " mat" });
  assertEquals(lambadaRequest("one"), { context: "", continuation: " one" });
  // split(' ') splits on single spaces only, like Python's str.split(' ').
  assertEquals(lambadaRequest("a  b"), { context: "a ", continuation: " b" });
});

Deno.test("encodePair: whole-string encoding, trailing whitespace moved to the continuation", () => {
  assertEquals(encodePair(toyTokenizer, "the cat sat on the", " cats"), {
    context: [1, 3, 4, 5, 2],
    continuation: [3, 10],
  });
  // "the cat " + "sat": the space moves, so the continuation is " sat" = [4] (encode("sat") alone
  // would fail: the toy vocabulary has no "sat" without its space).
  assertEquals(encodePair(toyTokenizer, "the cat ", "sat"), { context: [1, 3], continuation: [4] });
  // An empty context becomes [eot].
  assertEquals(encodePair(toyTokenizer, "", " cat"), { context: [0], continuation: [3] });
  assertThrows(() => encodePair({ encode: toyTokenizer.encode }, "", " cat"), InputError, "eotId");
  // Continuation tokens are whole[len(context):]: "the mat" + "s" encodes as [the, " mats"], so the
  // continuation gets no token of its own (the harness asserts on this; we give an InputError).
  const merged = encodePair(toyTokenizer, "the mat", "s");
  assertEquals(merged, { context: [1, 6], continuation: [] });
  assertThrows(() => windowInput(merged, 8), InputError, "continuation has no tokens");
});

Deno.test("encodePair: trailing whitespace is Python's str.rstrip set, not JavaScript's \\s", () => {
  const chars: Tokenizer = { encode: (s) => [...s].map((c) => c.codePointAt(0)!) };
  // U+001C counts as whitespace for Python (moved to the continuation); U+FEFF does not (kept).
  assertEquals(encodePair(chars, "Q\x1c\n", "b"), { context: [0x51], continuation: [0x1c, 0x0a, 0x62] });
  assertEquals(encodePair(chars, "Q\ufeff", "b"), { context: [0x51, 0xfeff], continuation: [0x62] });
});

Deno.test("scoreLambada: three passages, hand-computed log-likelihoods, acc and ppl", async () => {
  const scorer = new BigramScorer(16);
  const result = await scoreLambada(scorer, toyTokenizer, PASSAGES, { batchSize: 2 });
  assertEquals(result.n, 3);
  const expected = [Math.log(1 / 4), Math.log(1 / 2), Math.log(1 / 4)];
  result.examples.forEach((r, i) => assertAlmostEquals(r.logLikelihood, expected[i], 1e-6));
  assertEquals(result.examples.map((r) => r.isGreedy), [false, true, true]);
  assertAlmostEquals(result.examples[2].tokenLogProbs[0], Math.log(1 / 2), 1e-6);
  assertAlmostEquals(result.acc, 2 / 3, 1e-15);
  assertAlmostEquals(result.perplexity, Math.cbrt(32), 1e-5);
  // Batches of 2, longest input first: passage 3 (6 tokens), 1 (5), then 2 (2).
  assertEquals(scorer.calls, [
    { inputs: [[1, 7, 4, 5, 2, 3], [1, 3, 4, 5, 2]], positions: [[4, 5], [4]] },
    { inputs: [[1, 7]], positions: [[1]] },
  ]);
});

Deno.test("a context longer than the window is cut from the left: the model sees the last window tokens", async () => {
  // Window 4. Passage 3: context + target = [1 7 4 5 2 3 10]; keep the last 5 = [4 5 2 3 10], feed
  // [4 5 2 3]; the target tokens 3 and 10 are predicted at positions 2 and 3.
  // Passage 1: [1 3 4 5 2 6] -> last 5 [3 4 5 2 6] -> input [3 4 5 2], target predicted at 3.
  const scorer = new BigramScorer(4);
  const result = await scoreLambada(scorer, toyTokenizer, [PASSAGES[2], PASSAGES[0]], { batchSize: 8 });
  assertEquals(scorer.calls, [{ inputs: [[4, 5, 2, 3], [3, 4, 5, 2]], positions: [[2, 3], [3]] }]);
  // A bigram model only looks one token back, so the scores are unchanged.
  assertAlmostEquals(result.examples[0].logLikelihood, Math.log(1 / 4), 1e-6);
  assertAlmostEquals(result.examples[1].logLikelihood, Math.log(1 / 4), 1e-6);
  assertEquals(windowInput({ context: [1, 3, 4], continuation: [5] }, 1), {
    input: Int32Array.from([4]),
    positions: [0],
  });
});

Deno.test("a continuation longer than the window is an error", async () => {
  await assertRejects(
    () => scoreLambada(new BigramScorer(1), toyTokenizer, [PASSAGES[2]]),
    InputError,
    "continuation has 2 tokens; expected at most the window, 1",
  );
  await assertRejects(() => scoreLambada(new BigramScorer(8), toyTokenizer, []), InputError, "no passages");
});

Deno.test("loglikelihoods: argmax ties go to the first index, as torch", async () => {
  // A row with two equal maxima at ids 3 and 7: the greedy token is 3.
  const tie = Float32Array.from({ length: V }, (_, i) => (i === 3 || i === 7 ? Math.log(0.5) : -Infinity));
  const scorer: CausalScorer = {
    window: 8,
    logProbsAt: (inputs, positions) => Promise.resolve(inputs.map((_, b) => positions[b].map(() => tie))),
  };
  const [first, second] = await loglikelihoods(scorer, [
    { context: [1], continuation: [3] },
    { context: [1], continuation: [7] },
  ]);
  assertEquals([first.isGreedy, second.isGreedy], [true, false]);
  assertAlmostEquals(second.logLikelihood, Math.log(0.5), 1e-6);
});

Deno.test("paper Table 3 transcribed from /work/shared/notes/paper.md", () => {
  assertEquals(paperResults().lambada.rows.map((r) => [r.perplexity, r.accuracy]), [[170.23, 19.52], [524.44, 18.26], [
    153.5,
    22.2,
  ]]);
});
