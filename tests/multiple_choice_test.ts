import { assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import type { CausalScorer, Tokenizer } from "../evals/lambada.ts";
import {
  fitToWindow,
  loadMultipleChoiceJsonl,
  type MultipleChoiceItem,
  parseMultipleChoiceJsonl,
  scoreMultipleChoice,
  truncationLine,
} from "../evals/multiple_choice.ts";
import { InputError } from "../util/errors.ts";

// Character tokens (id = char code) and a model that ignores the context: every next character has
// P(' ') = 1/2, P('a') = 1/4, P('b') = P('c') = 1/8, anything else 0.
const charTokenizer: Tokenizer = { eotId: 0, encode: (s) => [...s].map((c) => c.codePointAt(0)!) };
const P: Record<string, number> = { " ": 1 / 2, a: 1 / 4, b: 1 / 8, c: 1 / 8 };
const ROW = Float32Array.from({ length: 128 }, (_, id) => Math.log(P[String.fromCharCode(id)] ?? 0));
function unigramScorer(calls: number[]): CausalScorer {
  return {
    window: 64,
    logProbsAt(inputs, positions) {
      calls.push(inputs.length);
      return Promise.resolve(inputs.map((_, b) => positions[b].map(() => ROW)));
    },
  };
}

// Worked by hand (delimiter " " goes before each option; ln 2 = 0.6931):
// item 1, options "b", "abbb", gold 1:
//   ll(" b")    = ln(1/2 · 1/8)             = −2.7726, per character of "b" (1)    = −2.7726
//   ll(" abbb") = ln(1/2 · 1/4 · (1/8)³)    = −8.3178, per character of "abbb" (4) = −2.0794
//   acc picks "b" (wrong), acc_norm picks "abbb" (right). Counting the delimiter (2 and 5 characters)
//   would give −1.3863 vs −1.6636 and pick "b": the length is the option's own, as in the harness.
// item 2, options "a", "b", "c", gold 0: ll −2.0794, −2.7726, −2.7726: both pick "a" (right).
// item 3, options "b", "c", gold 1: equal ll, the first wins (numpy argmax): both wrong.
// acc = 1/3, acc_norm = 2/3.
const ITEMS: MultipleChoiceItem[] = [
  { context: "Q:", options: ["b", "abbb"], gold: 1 },
  { context: "R", options: ["a", "b", "c"], gold: 0 },
  { context: "S", options: ["b", "c"], gold: 1 },
];

Deno.test("scoreMultipleChoice: hand-worked acc and acc_norm", async () => {
  const calls: number[] = [];
  const result = await scoreMultipleChoice(unigramScorer(calls), charTokenizer, ITEMS, { batchSize: 4 });
  const ln = Math.log;
  assertAlmostEquals(result.examples[0].options[0].logLikelihood, ln(1 / 16), 1e-5);
  assertAlmostEquals(result.examples[0].options[1].logLikelihood, ln(1 / 2) + ln(1 / 4) + 3 * ln(1 / 8), 1e-5);
  assertEquals(result.examples.map((e) => [e.pred, e.predNorm]), [[0, 1], [0, 0], [0, 0]]);
  assertAlmostEquals(result.acc, 1 / 3, 1e-15);
  assertAlmostEquals(result.accNorm, 2 / 3, 1e-15);
  assertEquals(result.n, 3);
  assertEquals(calls, [4, 3]); // 7 option requests, batches of 4, one scoring path
});

Deno.test("scoreMultipleChoice: the delimiter is configurable", async () => {
  // With no delimiter, "b" scores ln(1/8) and "abbb" ln(1/4 · 1/8³): per character −2.0794 vs −1.9062.
  const result = await scoreMultipleChoice(unigramScorer([]), charTokenizer, [ITEMS[0]], { delimiter: "" });
  assertAlmostEquals(result.examples[0].options[0].logLikelihood, Math.log(1 / 8), 1e-5);
  assertEquals([result.examples[0].pred, result.examples[0].predNorm], [0, 1]);
});

Deno.test("parseMultipleChoiceJsonl: items, blank lines skipped", () => {
  const text =
    `{"context": "Q:", "options": ["b", "abbb"], "gold": 1}\n\n{"context": "", "options": ["x", "y"], "gold": 0}\n`;
  assertEquals(parseMultipleChoiceJsonl(text, "t.jsonl"), [
    { context: "Q:", options: ["b", "abbb"], gold: 1 },
    { context: "", options: ["x", "y"], gold: 0 },
  ]);
});

Deno.test("parseMultipleChoiceJsonl: bad rows name file, line and what was expected", () => {
  const ok = `{"context": "c", "options": ["a", "b"], "gold": 0}`;
  const cases: [string, string][] = [
    [`${ok}\n{"context": "c", "options": ["a", "b"], "gold": 0`, "t.jsonl:2: not valid JSON"],
    [`${ok}\n\n[1, 2]`, "t.jsonl:3: expected a JSON object"],
    [`{"options": ["a", "b"], "gold": 0}`, `t.jsonl:1: "context" is undefined; expected a string`],
    [`{"context": "c", "options": ["a"], "gold": 0}`, 't.jsonl:1: "options" is ["a"]; expected an array of at least 2'],
    [`{"context": "c", "options": ["a", ""], "gold": 0}`, `t.jsonl:1: "options"[1] is ""; expected a non-empty string`],
    [
      `{"context": "c", "options": ["a", "b"], "gold": 2}`,
      `t.jsonl:1: "gold" is 2; expected an integer index from 0 to 1`,
    ],
    [`{"context": "c", "options": ["a", "b"], "gold": "0"}`, `t.jsonl:1: "gold" is "0"`],
    ["\n\n", "t.jsonl: no items"],
  ];
  for (const [text, message] of cases) {
    assertThrows(() => parseMultipleChoiceJsonl(text, "t.jsonl"), InputError, message);
  }
});

Deno.test("loadMultipleChoiceJsonl: reads a file; a missing file is an InputError naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "task.jsonl");
    await Deno.writeTextFile(path, ITEMS.map((item) => JSON.stringify(item)).join("\n") + "\n");
    assertEquals(await loadMultipleChoiceJsonl(path), ITEMS);
    await Deno.writeTextFile(path, JSON.stringify(ITEMS[0]) + "\n" + `{"context": 3}` + "\n");
    await assertRejects(() => loadMultipleChoiceJsonl(path), InputError, `${path}:2: "context" is 3`);
    const missing = join(dir, "nope.jsonl");
    await assertRejects(() => loadMultipleChoiceJsonl(missing), InputError, `${missing}: file not found`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fitToWindow: cut from the left to window + 1 tokens; an over-long continuation keeps its last window tokens", () => {
  // 5 tokens, window 3: one context token goes; the continuation fits, the scorer cuts the context itself.
  const fits = { context: [1, 2, 3], continuation: [4, 5] };
  assertEquals(fitToWindow(fits, 3), { pair: fits, dropped: 1, unscored: 0 });
  assertEquals(fitToWindow(fits, 4), { pair: fits, dropped: 0, unscored: 0 });
  // 7 tokens, window 3: the last 4 stay, [4] as context for [5, 6, 7]; 3 dropped, 2 of them the continuation's.
  assertEquals(fitToWindow({ context: [1, 2], continuation: [3, 4, 5, 6, 7] }, 3), {
    pair: { context: [4], continuation: [5, 6, 7] },
    dropped: 3,
    unscored: 2,
  });
});

Deno.test("scoreMultipleChoice: items longer than the window are cut from the left and counted, not an error", async () => {
  const window = 4;
  const seen: Int32Array[] = [];
  const scorer: CausalScorer = {
    window,
    logProbsAt(inputs, positions) {
      inputs.forEach((input, b) => {
        if (input.length > window) throw new Error(`input of ${input.length} tokens > window ${window}`);
        seen.push(input);
        for (const p of positions[b]) if (p < 0 || p >= input.length) throw new Error(`position ${p} outside input`);
      });
      return Promise.resolve(inputs.map((_, b) => positions[b].map(() => ROW)));
    },
  };
  const items: MultipleChoiceItem[] = [
    // " aaaaaab" is 8 tokens, twice the window: "Q: aaaaaab" keeps its last 5 tokens "aaaab", so "aaab" is
    // scored after "a": 3 ln(1/4) + ln(1/8). " b" after "Q:" fits: ln(1/2) + ln(1/8).
    { context: "Q:", options: ["b", "aaaaaab"], gold: 1 },
    // "abcabc a" is 8 tokens: the model reads "abc " (the last 5 tokens less the last), " a" is scored
    // whole: ln(1/2) + ln(1/4).
    { context: "abcabc", options: ["a", "c"], gold: 0 },
    { context: "R", options: ["a", "b"], gold: 0 },
  ];
  const result = await scoreMultipleChoice(scorer, charTokenizer, items);
  const ln = Math.log;
  assertAlmostEquals(result.examples[0].options[1].logLikelihood, 3 * ln(1 / 4) + ln(1 / 8), 1e-5);
  assertEquals(result.examples[0].options[1].tokenLogProbs.length, window);
  assertAlmostEquals(result.examples[0].options[0].logLikelihood, ln(1 / 2) + ln(1 / 8), 1e-5);
  assertAlmostEquals(result.examples[1].options[0].logLikelihood, ln(1 / 2) + ln(1 / 4), 1e-5);
  assertEquals(
    seen.map((input) => String.fromCharCode(...input)).sort(),
    ["Q: ", "R ", "R ", "aaaa", "abc ", "abc "].sort(),
  );
  assertEquals(result.examples.map((e) => [e.truncated, e.partlyScored]), [[true, true], [true, false], [
    false,
    false,
  ]]);
  assertEquals([result.n, result.truncated, result.partlyScored], [3, 2, 1]);
  assertEquals(
    truncationLine(result, window),
    "2 of 3 items cut from the left to the window of 4 tokens; 1 of them have an option longer than the window, " +
      "scored on its last 4 tokens only",
  );
  assertEquals(
    truncationLine({ n: 3, truncated: 1, partlyScored: 0 }, 4),
    "1 of 3 items cut from the left to the window of 4 tokens",
  );
});

Deno.test("scoreMultipleChoice: a whitespace-only context is an InputError naming the item", async () => {
  const items: MultipleChoiceItem[] = [ITEMS[0], { context: "   ", options: ["a", "b"], gold: 0 }];
  await assertRejects(
    () => scoreMultipleChoice(unigramScorer([]), charTokenizer, items),
    InputError,
    'multiple choice item 1: context "   " has no tokens once trailing whitespace moves to the options',
  );
});

Deno.test("loadMultipleChoiceJsonl: a folder given as the task file is one InputError line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => loadMultipleChoiceJsonl(dir), InputError, `${dir}: cannot read (`);
  } finally {
    await Deno.remove(dir);
  }
});
