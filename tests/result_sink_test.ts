/** evals/result_sink.ts and evals/majority.ts: what an evaluation stage writes (results, timings, examples) and the majority-class reference. */
import { assertEquals, assertThrows } from "@std/assert";
import { join } from "node:path";
import { MAJORITY, majorityClass, majorityPredictions } from "../evals/majority.ts";
import { ResultSink } from "../evals/result_sink.ts";
import { readExamples } from "../results/examples.ts";
import { readResults } from "../results/rows.ts";
import { readTimings } from "../results/timings.ts";
import { InputError } from "../util/errors.ts";

const checkpoint = {
  model: "enc-small",
  arch: "encoder",
  objective: "cwt",
  design: "",
  pretrain_seed: 1,
  fraction: 0.5,
  flops: 4e12,
  tokens: 5e7,
  backend: "wasm",
  pretrain_seconds: 12.25,
  checkpoint: "pretrain:abc/ckpt/frac-0.5",
};

Deno.test("ResultSink: flat rows split into results (tidy, one vocabulary), timings and details; examples written", async () => {
  const dir = await Deno.makeTempDir();
  const sink = new ResultSink(dir);
  for (const [metric, value] of [["acc", 0.75], ["perplexity", 12.5]] as const) {
    sink.push({
      ...checkpoint,
      seed: 1,
      task: "lambada_openai",
      split: "test",
      examples: 4,
      metric,
      value,
      eval_seconds: 3.21,
    });
  }
  sink.push({
    ...checkpoint,
    seed: 1,
    task: "rte",
    split: "dev",
    metric: "accuracy",
    value: NaN,
    policy: "best-epoch",
  });
  sink.addExamples(
    { task: "lambada_openai", seed: 1, split: "test" },
    [1, 1, 0, 1].map((prediction, i) => ({ prediction, label: 1, loglik: -i, count: 1 })),
  );
  await sink.flush();
  const rows = await readResults(join(dir, "results.csv"));
  assertEquals(rows.map((r) => [r.task, r.split, r.examples, r.metric, r.value, r.pretrain_seed, r.details]), [
    ["lambada_openai", "test", 4, "accuracy", 0.75, 1, undefined],
    ["lambada_openai", "test", 4, "perplexity", 12.5, 1, undefined],
  ]);
  assertEquals(sink.notes, ["rte accuracy seed 1 is NaN; not written (results.csv holds finite values only)"]);
  // No wall-clock and no artifact key in results.csv: they are in timings.csv, once per measurement.
  const text = await Deno.readTextFile(join(dir, "results.csv"));
  assertEquals([text.includes("12.25"), text.includes("pretrain:abc")], [false, false]);
  const timings = await readTimings(join(dir, "timings.csv"));
  assertEquals(timings.map((t) => [t.task, t.pretrain_seconds, t.eval_seconds, t.checkpoint]), [
    ["lambada_openai", 12.25, 3.21, "pretrain:abc/ckpt/frac-0.5"],
  ]);
  const examples = await readExamples(join(dir, "examples.csv"));
  assertEquals(examples.map((e) => [e.example, e.prediction, e.loglik, e.split]), [
    ["0", 1, 0, "test"],
    ["1", 1, -1, "test"],
    ["2", 0, -2, "test"],
    ["3", 1, -3, "test"],
  ]);
  assertThrows(() => sink.push({ ...checkpoint, seed: 1, metric: "accuracy", value: 1 }), Error, "no task");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("majority class: the most frequent training label (the smallest on a tie), predicted for every example", () => {
  assertEquals(majorityClass([2, 0, 2, 1, 0]), 0);
  assertEquals(majorityClass([1, 1, 0]), 1);
  const predictions = majorityPredictions([1, 1, 0], { matched: [0, 1, 0], mismatched: [1] });
  assertEquals(
    Object.fromEntries(Object.entries(predictions).map(([k, v]) => [k, [...v]])),
    { matched: [1, 1, 1], mismatched: [1] },
  );
  assertEquals(MAJORITY, "majority");
  assertThrows(() => majorityClass([]), InputError, "no training labels");
});
