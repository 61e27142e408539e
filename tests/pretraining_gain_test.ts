/**
 * reports/pretraining_gain.ts: every pretrained arm at every fraction against its random-init reference
 * (the unigram LM where no random-init run scored the measure), hand-computed gains and verdicts, a
 * headless decoder's LM-fine-tuned arm beside its raw head, and the table's text.
 */
import { assertAlmostEquals, assertEquals } from "@std/assert";
import { findPretrainingGains, pretrainingGainTable } from "../reports/pretraining_gain.ts";
import { evidence, row, seeds } from "./fixtures/result_rows.ts";

const options = { resamples: 300 };

Deno.test("each arm at each fraction against random init: the learning curve with its intervals", () => {
  const rows = [
    ...seeds([0.55, 0.56, 0.57], { objective: "softmax", fraction: 0.5, tokens: 1e6 }),
    ...seeds([0.61, 0.62, 0.63], { objective: "softmax" }),
    ...seeds([0.50, 0.51, 0.52], { objective: "cwt" }),
    ...seeds([0.50, 0.51, 0.52], { objective: "random-init", fraction: 0, flops: 0, tokens: 0 }),
  ];
  const gains = findPretrainingGains(evidence(rows), options);
  assertEquals(gains.map((g) => [g.objective, g.fraction, g.reference]), [
    ["softmax", 0.5, "random-init"],
    ["softmax", 1, "random-init"],
    ["cwt", 1, "random-init"],
  ]);
  // Seeds paired: every resample gives the same difference, so each interval is its point.
  const expected = [0.05, 0.11, 0];
  gains.forEach((g, i) => {
    assertAlmostEquals(g.difference.estimate, expected[i], 1e-12);
    assertAlmostEquals(g.difference.interval!.low, expected[i], 1e-12);
  });
  const table = pretrainingGainTable(gains);
  assertEquals(table.rows[0], [
    "default",
    "encoder enc-small",
    "RTE accuracy (dev), best-epoch",
    "softmax",
    "50% (1M)",
    "56.00 [55.00, 57.00]",
    "random init 51.00 [50.00, 52.00]",
    "+5.00 [+5.00, +5.00]",
    "pretraining helps",
  ]);
  assertEquals(table.rows[2].slice(7), ["0.00 [0.00, 0.00]", "no detectable gain"]);
});

Deno.test("bits per byte (lower is better) against the unigram LM, a headless decoder raw and after its LM fine-tune", () => {
  const dec = { arch: "decoder", model: "dec-small", task: "bpb", split: "valid", metric: "bits_per_byte", policy: "" };
  const rows = [
    ...seeds([2.0, 2.1, 2.2], { ...dec, objective: "softmax" }),
    ...seeds([2.6, 2.7, 2.8], { ...dec, objective: "cwt" }),
    ...seeds([2.1, 2.2, 2.3], { ...dec, task: "bpb_lmft", objective: "cwt" }),
    ...seeds([2.5, 2.6, 2.7], { ...dec, arch: "", model: "", objective: "unigram", fraction: 0, tokens: 0 }),
  ];
  const gains = findPretrainingGains(evidence(rows), options);
  assertEquals(gains.map((g) => [g.objective, g.lmFineTuned, g.reference, g.difference.verdict]), [
    ["softmax", false, "unigram", "better"],
    ["cwt", false, "unigram", "worse"],
    ["cwt", true, "unigram", "better"],
  ]);
  assertAlmostEquals(gains[0].difference.estimate, -0.5, 1e-12);
  assertAlmostEquals(gains[2].difference.estimate, -0.4, 1e-12);
  const table = pretrainingGainTable(gains);
  assertEquals(table.rows.map((r) => [r[3], r[6], r[8]]), [
    ["softmax", "unigram LM 2.6 [2.5, 2.7]", "pretraining helps"],
    ["cwt", "unigram LM 2.6 [2.5, 2.7]", "worse than the reference"],
    ["cwt + LM fine-tune", "unigram LM 2.6 [2.5, 2.7]", "pretraining helps"],
  ]);
});

Deno.test("one pretraining seed and one fine-tuning seed: the table says its intervals hold the examples' variation only", () => {
  const three = pretrainingGainTable(findPretrainingGains(
    evidence([
      ...seeds([0.6, 0.62, 0.64], { objective: "softmax" }),
      ...seeds([0.5, 0.51, 0.52], { objective: "random-init", fraction: 0 }),
    ]),
    options,
  ));
  assertEquals(three.notes.length, 3);
  const one = pretrainingGainTable(findPretrainingGains(
    evidence([row({ objective: "softmax", value: 0.6 }), row({ objective: "random-init", fraction: 0 })]),
    options,
  ));
  assertEquals(
    one.notes[3],
    "Every interval here comes from one pretraining seed and one fine-tuning seed: it holds the variation over " +
      "examples only, not over seeds (a second seed of each would show how far a score moves from seed to seed).",
  );
});

Deno.test("no reference run: no line (a gain needs something to be measured against)", () => {
  const rows = seeds([0.6, 0.62, 0.64], { objective: "softmax" });
  assertEquals(findPretrainingGains(evidence(rows), options), []);
});
