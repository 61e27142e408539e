/**
 * reports/findings.ts: which comparisons the Findings make (designs, the LM-fine-tuned headless decoder, GLUE
 * and XNLI averages, bits per byte, references), their hand-computed differences and verdicts, and compute
 * to match judged against the reference.
 */
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { findComparisons, measuresOf } from "../reports/mod.ts";
import { comparisonTitle, findingsTable, formatShare, verdictText } from "../reports/findings_table.ts";
import { rowIdentity } from "../results/rows.ts";
import { evidence, row, seeds } from "./fixtures/result_rows.ts";

const options = { resamples: 400 };

Deno.test("two designs: each compares its own arms; a reference measured once (no design) serves both", () => {
  const rows = [
    ...["equal-tokens+dense", "matched-flops+sparse"].flatMap((design, d) => [
      ...seeds([0.60, 0.62, 0.64], { design, objective: "softmax" }),
      ...seeds([0.66, 0.68, 0.70].map((v) => v + 0.02 * d), { design, objective: "cwt" }),
    ]),
    ...seeds([0.50, 0.51, 0.52], { objective: "random-init", fraction: 0, flops: 0 }),
  ];
  const found = findComparisons(evidence(rows), options);
  assertEquals(found.map((c) => [c.design, c.measure.title, c.candidate.objective]), [
    ["equal-tokens+dense", "RTE accuracy (dev)", "cwt"],
    ["matched-flops+sparse", "RTE accuracy (dev)", "cwt"],
  ]);
  // Means 0.62 vs 0.68 and 0.70: differences 0.06 and 0.08, seeds paired: every resample gives the same
  // difference, so the interval is the point.
  assertAlmostEquals(found[0].difference.estimate, 0.06, 1e-12);
  assertAlmostEquals(found[1].difference.estimate, 0.08, 1e-12);
  assertAlmostEquals(found[1].difference.interval!.low, 0.08, 1e-12);
  assertEquals(found.map((c) => c.difference.verdict), ["better", "better"]);
  assertEquals(found[0].references["random-init"].design, "");
  assertEquals(found[0].clears, { reference: "random-init", baseline: true, candidate: true });
  assertEquals(found[0].computeToMatch.flops, { none: "one checkpoint" });
  const table = findingsTable(found);
  assertEquals(table.rows[0].slice(0, 5), [
    "equal-tokens+dense",
    "encoder enc-small",
    "cwt − softmax: RTE accuracy (dev), best-epoch",
    "+6.00 [+6.00, +6.00]",
    "better",
  ]);
  assertEquals(table.rows[0][5], "random init 51.00 [50.00, 52.00]: both clear it");
});

Deno.test("LAMBADA at chance (accuracy 0 everywhere): not a finding, and compute to match not meaningful", () => {
  const dec = { arch: "decoder", model: "dec-small", task: "lambada_openai", split: "test", policy: "" };
  const rows = [
    row({ ...dec, objective: "softmax", fraction: 0.5, flops: 4e12, value: 0 }),
    row({ ...dec, objective: "softmax", value: 0 }),
    row({ ...dec, objective: "cwt", fraction: 0.5, flops: 4e12, value: 0 }),
    row({ ...dec, objective: "cwt", value: 0 }),
    row({ ...dec, task: "lambada_openai_lmft", objective: "cwt", fraction: 0.5, flops: 5e12, value: 0 }),
    row({ ...dec, task: "lambada_openai_lmft", objective: "cwt", flops: 9e12, value: 0 }),
    row({ ...dec, objective: "random-init", fraction: 0, flops: 0, value: 0 }),
  ];
  const [c] = findComparisons(evidence(rows), options);
  // The headless decoder is compared after its LM fine-tune, as the paper does.
  assertEquals([c.measure.title, c.candidate.fraction], ["lambada_openai accuracy (test)", 1]);
  assertEquals(verdictText(c), "not a finding (both within random init)");
  assertEquals(c.meaningful.ok, false);
  assertEquals(formatShare(c.computeToMatch.flops), "not meaningful");
});

Deno.test("bits per byte: lower is better; the unigram LM is the reference without a random-init run", () => {
  const dec = { arch: "decoder", model: "dec-small", task: "bpb", split: "valid", metric: "bits_per_byte", policy: "" };
  const rows = [
    ...seeds([2.0, 2.1, 2.2], { ...dec, objective: "softmax" }),
    ...seeds([2.3, 2.4, 2.5], { ...dec, objective: "softmax", fraction: 0.5, flops: 4e12 }),
    ...seeds([1.8, 1.9, 2.0], { ...dec, task: "bpb_lmft", objective: "cwt", flops: 8.4e12 }),
    ...seeds([2.2, 2.3, 2.4], { ...dec, task: "bpb_lmft", objective: "cwt", fraction: 0.5, flops: 4.4e12 }),
    row({ ...dec, objective: "unigram", fraction: 0, flops: 0, value: 4.5 }),
  ];
  const [c] = findComparisons(evidence(rows), options);
  assertEquals([c.measure.task, c.measure.metric, c.higherIsBetter], ["bpb", "bits_per_byte", false]);
  // The candidate is the headless decoder after its LM fine-tune (bpb_lmft), and its name says so.
  assertEquals(comparisonTitle(c), "cwt + LM fine-tune − softmax: bpb bits_per_byte (valid)");
  assertAlmostEquals(c.difference.estimate, -0.2, 1e-12);
  assertEquals(c.difference.verdict, "better");
  assertEquals(c.clears, { reference: "unigram", baseline: true, candidate: true });
  // CWT: 2.3 at 4.4e12 and 1.9 at 8.4e12 (seed means); softmax's final 2.1 at 8e12. The line in log10 x reaches
  // 2.1 halfway in log: x = √(4.4e12 · 8.4e12) = 6.08e12, 76% of 8e12.
  const m = c.computeToMatch.flops;
  assert("share" in m);
  assertAlmostEquals(m.share, Math.sqrt(4.4 * 8.4) / 8, 1e-9);
  assertEquals(m.extrapolated, false);
});

Deno.test("the unigram LM as the stage writes it (model unigram, arch decoder) is the reference of every model's BLiMP", () => {
  const blimp = { task: "blimp", split: "test", policy: "" };
  const unigram = row({ ...blimp, model: "unigram", arch: "decoder", objective: "unigram", fraction: 0, flops: 0 });
  const rows = [
    ...seeds([0.60, 0.61, 0.62], { ...blimp, model: "dec-small", arch: "decoder", objective: "softmax" }),
    ...seeds([0.63, 0.64, 0.65], { ...blimp, model: "dec-small", arch: "decoder", objective: "cwt" }),
    ...seeds([0.55, 0.56, 0.57], { ...blimp, objective: "softmax" }),
    ...seeds([0.54, 0.55, 0.56], { ...blimp, objective: "cwt" }),
    { ...unigram, value: 0.58 },
  ];
  const found = findComparisons(evidence(rows), options);
  assertEquals(found.map((c) => [c.measure.task, c.references.unigram?.estimate]), [
    ["blimp", 0.58],
    ["blimp", 0.58],
  ]);
  const decoder = found.find((c) => c.arch === "decoder")!;
  const encoder = found.find((c) => c.arch === "encoder")!;
  assertEquals(decoder.clears, { reference: "unigram", baseline: true, candidate: true });
  assertEquals(encoder.clears, { reference: "unigram", baseline: false, candidate: false });
});

Deno.test("one example and one seed a side: no interval, so the verdict is undetermined", () => {
  const dec = { arch: "decoder", model: "dec-small", task: "bpb", split: "valid", metric: "bits_per_byte", policy: "" };
  const rows = [row({ ...dec, objective: "softmax", value: 2.0 }), row({ ...dec, objective: "cwt", value: 2.1 })];
  const ev = evidence(rows);
  for (const r of rows) {
    ev.examples.set(rowIdentity(r), [{
      task: "bpb",
      seed: 0,
      policy: "",
      example: "0",
      prediction: null,
      label: null,
      loglik: -r.value * Math.LN2 * 100,
      count: 100,
      setup: "",
      lang: "",
      split: "valid",
      objective: "",
      metric: "",
    }]);
  }
  const [c] = findComparisons(ev, options);
  assertEquals(c.difference.verdict, "undetermined");
});

Deno.test("averages: GLUE over the paper's tasks measured, XNLI per setup over its languages", () => {
  const rows = [
    ...["softmax", "cwt"].flatMap((objective, o) => [
      row({ objective, task: "cola", metric: "mcc", value: 0.2 + o / 10 }),
      row({ objective, task: "sst2", value: 0.8 + o / 10 }),
      row({ objective, task: "mrpc", split: "test (MSR)", value: 0.7 }),
      row({ objective, task: "mrpc", split: "test (MSR)", metric: "f1", value: 0.8 }),
      row({ objective, task: "rte", value: 0.55 }),
      ...["ar", "en"].map((lang, l) =>
        row({ objective, task: "xnli", setup: "en", lang, value: 0.4 + l / 10 + o / 20 })
      ),
    ]),
  ];
  const measures = measuresOf(rows);
  assertEquals(measures.map((m) => m.title), [
    "CoLA mcc (dev)",
    "MRPC accuracy (test (MSR))",
    "RTE accuracy (dev)",
    "SST-2 accuracy (dev)",
    "GLUE avg of CoLA MRPC SST-2",
    "XNLI fine-tuned on English, dev, avg of ar en",
  ]);
  const found = findComparisons(evidence(rows), options);
  const byTitle = new Map(found.map((c) => [c.measure.title, c]));
  // GLUE avg: (0.2 + 0.7 + 0.8) / 3 vs (0.3 + 0.7 + 0.9) / 3: +0.0667.
  assertAlmostEquals(byTitle.get("GLUE avg of CoLA MRPC SST-2")!.difference.estimate, 0.2 / 3, 1e-12);
  assertEquals(byTitle.get("GLUE avg of CoLA MRPC SST-2")!.measure.paperShare, 0.25);
  // XNLI: (0.4 + 0.5) / 2 vs (0.45 + 0.55) / 2.
  const xnli = byTitle.get("XNLI fine-tuned on English, dev, avg of ar en")!;
  assertAlmostEquals(xnli.difference.estimate, 0.05, 1e-12);
  assertEquals(xnli.measure.paperShare, 0.22);
  // One seed, no examples: no interval, no verdict, no reference.
  assertEquals([xnli.difference.interval, xnli.difference.verdict, xnli.clears], [null, "undetermined", undefined]);
  assertEquals(formatShare(xnli.computeToMatch.flops), "no reference run");
});
