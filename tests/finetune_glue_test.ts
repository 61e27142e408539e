/**
 * Encoder fine-tuning (evals/finetune_glue.ts) at tiny scale: a random-init 2-layer encoder learns a
 * synthetic classification task and a synthetic regression task; the attention mask keeps padding
 * from changing the first token's state; pair encoding, length bucketing, subsampling, several dev
 * sets, and the errors for bad input.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import type { Example, TaskSpec } from "../data/task_spec.ts";
import {
  createHead,
  devScores,
  encodeExample,
  finetuneParams,
  finetuneTask,
  firstTokenStates,
  headOutputsByLength,
  lengthBucketedBatches,
  meanStd,
  padBatch,
  subsample,
  summarizeSeeds,
} from "../evals/finetune_glue.ts";
import { initBackend } from "../backends/mod.ts";
import { balancedCrossEntropy } from "../evals/balanced_ce.ts";
import { CALL_OVERHEAD_TOKENS, lengthGrouping } from "../evals/length_groups.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { createModel } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";
import { compareArrays } from "../util/compare.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const ENCODER: ModelConfig = loadModelConfig("tiny", { name: "tiny-enc", arch: "encoder", tieHead: true });

/** Texts are space-separated token ids. */
const ids = { encode: (text: string) => text.split(" ").filter(Boolean).map(Number) };

function spec(labels: TaskSpec["labels"], metrics: string[], pair = false): TaskSpec {
  return {
    name: "toy",
    format: "tsv",
    splits: {},
    header: true,
    textA: "a",
    ...(pair ? { textB: "b" } : {}),
    label: "label",
    labels,
    metrics,
    skipBrokenRows: false,
  };
}
const BINARY = spec({ type: "classes", classes: ["0", "1"] }, ["accuracy", "mcc"]);

/** Random ids 10..47 with one marker token (5 for class 0, 6 for class 1) at a random place. */
function markerExamples(n: number, rng: Rng): Example[] {
  return Array.from({ length: n }, () => {
    const label = rng.int(2);
    const len = 3 + rng.int(8);
    const row = Array.from({ length: len }, () => 10 + rng.int(38));
    row[rng.int(len)] = 5 + label;
    return { textA: row.join(" "), label };
  });
}

Deno.test("a tiny encoder fine-tuned on a separable task reaches high dev accuracy; best and last epochs", () => {
  const rng = new Rng(1);
  const model = createModel(ENCODER, 0);
  const seen: number[] = [];
  const result = finetuneTask(model, ids, BINARY, {
    train: markerExamples(256, rng),
    dev: { validation: markerExamples(64, rng) },
  }, {
    loss: "balanced",
    lr: 2e-3,
    batch: 16,
    epochs: 6,
    seed: 0,
    onEpoch: (e) => seen.push(e.epoch),
  });
  model.dispose();
  assertEquals(seen, [1, 2, 3, 4, 5, 6]);
  assertEquals(result.selectBy, "accuracy");
  assertEquals(result.steps, 6 * 16);
  const accuracies = result.epochs.map((e) => e.scores.accuracy);
  assertEquals(result.best.scores.accuracy, Math.max(...accuracies));
  assertEquals(result.best.epoch, accuracies.indexOf(Math.max(...accuracies)) + 1);
  assertEquals(result.last.epoch, 6);
  assert(
    result.best.scores.accuracy >= 0.9,
    `best dev accuracy ${result.best.scores.accuracy}, expected >= 0.9 (epochs: ${accuracies})`,
  );
  assert(result.epochs[0].trainLoss > result.last.trainLoss, "training loss should fall");
  assert(result.flops > 0);
});

Deno.test("regression (MSE head) learns to count a token in a sentence pair", () => {
  const rng = new Rng(1);
  const make = (n: number) =>
    Array.from({ length: n }, () => {
      const row = Array.from({ length: 4 + rng.int(6) }, () => 10 + rng.int(38));
      const k = rng.int(4);
      for (let i = 0; i < k; i++) row[i] = 5;
      return { textA: rng.shuffle(row).join(" "), textB: "7 8", label: k + 0.5 * rng.next() };
    });
  const regression = spec({ type: "regression", range: [0, 5] }, ["pearson", "spearman"], true);
  const model = createModel(ENCODER, 0);
  const result = finetuneTask(model, ids, regression, { train: make(256), dev: { validation: make(64) } }, {
    loss: "plain",
    lr: 3e-3,
    batch: 16,
    epochs: 6,
    seed: 0,
  });
  model.dispose();
  assertEquals(result.loss, "mse");
  assertEquals(Object.keys(result.best.scores), ["pearson", "spearman"]);
  assert(result.best.scores.pearson > 0.9, `best Pearson ${result.best.scores.pearson}, expected > 0.9`);
});

Deno.test("padding does not change the first token's final state (the mask works), and would without it", () => {
  const model = createModel(ENCODER, 3);
  const rows = [[1, 9, 10, 11, 2], [1, 12, 2], [1, 13, 14, 15, 16, 17, 18, 2]].map((r) => Int32Array.from(r));
  const batched = padBatch(rows, [0, 1, 2]);
  assertEquals(batched.seqLen, 8);
  assertEquals(Array.from(batched.padMask.subarray(8, 16)), [1, 1, 1, 0, 0, 0, 0, 0]);
  const together = firstTokenStates(model, batched).arraySync();
  rows.forEach((_, i) => {
    const alone = firstTokenStates(model, padBatch(rows, [i])).arraySync()[0];
    alone.forEach((x, k) => assertAlmostEquals(together[i][k], x, 1e-5));
  });
  const unmasked = firstTokenStates(model, { ...batched, padMask: new Uint8Array(batched.padMask.length).fill(1) })
    .arraySync();
  const alone1 = firstTokenStates(model, padBatch(rows, [1])).arraySync()[0];
  const diff = Math.max(...alone1.map((x, k) => Math.abs(x - unmasked[1][k])));
  assert(diff > 1e-3, `attending to padding should change the state (max diff ${diff})`);
  model.dispose();
});

Deno.test("pair encoding: [CLS] a [SEP] b [SEP], cut longest-first (b on a tie)", () => {
  const CLS = 1, SEP = 2;
  assertEquals(Array.from(encodeExample(ids, "7 8 9 10", "11 12", 7)), [CLS, 7, 8, SEP, 11, 12, SEP]);
  assertEquals(Array.from(encodeExample(ids, "7 8 9", "11 12 13", 7)), [CLS, 7, 8, SEP, 11, 12, SEP]);
  assertEquals(Array.from(encodeExample(ids, "7 8 9", "11 12 13", 20)), [CLS, 7, 8, 9, SEP, 11, 12, 13, SEP]);
  assertEquals(Array.from(encodeExample(ids, "7 8 9", undefined, 4)), [CLS, 7, 8, SEP]);
  assertEquals(Array.from(encodeExample(ids, "7 8 9 10 11", "12", 5)), [CLS, 7, SEP, 12, SEP]);
  assertThrows(() => encodeExample(ids, "7", "8", 2), InputError, "no room for the 3 special tokens");
});

Deno.test("length-bucketed batches: every example once, seeded, and less padding than random batches", () => {
  const rng = new Rng(5);
  const lengths = Array.from({ length: 1000 }, () => 3 + rng.int(120));
  const batches = lengthBucketedBatches(lengths, 32, new Rng(9));
  assertEquals(batches.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
  assert(batches.every((b) => b.length >= 1 && b.length <= 32));
  assertEquals(lengthBucketedBatches(lengths, 32, new Rng(9)), batches);
  assertNotEquals(lengthBucketedBatches(lengths, 32, new Rng(10)), batches);
  const padding = (bs: number[][]) =>
    bs.reduce((n, b) => n + b.length * Math.max(...b.map((i) => lengths[i])), 0) - lengths.reduce((a, b) => a + b, 0);
  const shuffled = new Rng(9).shuffle(lengths.map((_, i) => i));
  const random = Array.from({ length: Math.ceil(1000 / 32) }, (_, k) => shuffled.slice(k * 32, (k + 1) * 32));
  assert(padding(batches) < padding(random) / 5, `bucketed padding ${padding(batches)} vs random ${padding(random)}`);
});

Deno.test("training subsample: seeded, capped, in order; dev sets stay whole", () => {
  const xs = Array.from({ length: 100 }, (_, i) => i);
  const a = subsample(xs, 40, new Rng(1));
  assertEquals(a.length, 40);
  assertEquals(a, [...a].sort((p, q) => p - q));
  assertEquals(subsample(xs, 40, new Rng(1)), a);
  assertNotEquals(subsample(xs, 40, new Rng(2)), a);
  assertEquals(subsample(xs, 200, new Rng(1)), xs);

  const rng = new Rng(2);
  const tensorsBefore = tf.memory().numTensors;
  const model = createModel(ENCODER, 0);
  const result = finetuneTask(model, ids, BINARY, {
    train: markerExamples(100, rng),
    dev: { validation: markerExamples(30, rng) },
  }, {
    loss: "plain",
    lr: 1e-3,
    batch: 8,
    epochs: 1,
    seed: 4,
    maxTrain: 20,
  });
  model.dispose();
  assertEquals(tf.memory().numTensors, tensorsBefore, "fine-tuning should free every tensor it made");
  assertEquals([result.trainExamples, result.trainAvailable, result.steps], [20, 100, 3]);
  assertEquals(result.devExamples, { validation: 30 });
});

Deno.test("several dev sets: scores per set and pooled (MNLI's matched / mismatched)", () => {
  const rng = new Rng(3);
  const model = createModel(ENCODER, 0);
  const three = spec({ type: "classes", classes: ["e", "n", "c"] }, ["accuracy"]);
  const make = (n: number) => markerExamples(n, rng).map((e, i) => ({ ...e, label: i % 3 }));
  const result = finetuneTask(
    model,
    ids,
    three,
    { train: make(24), dev: { matched: make(30), mismatched: make(10) } },
    {
      loss: "balanced",
      lr: 1e-3,
      batch: 8,
      epochs: 1,
      seed: 0,
    },
  );
  model.dispose();
  const s = result.last.scores;
  assertEquals(Object.keys(s), ["accuracy_matched", "accuracy_mismatched", "accuracy_pooled"]);
  assertEquals(result.selectBy, "accuracy_pooled");
  assertAlmostEquals(s.accuracy_pooled, (30 * s.accuracy_matched + 10 * s.accuracy_mismatched) / 40, 1e-12);
  // The per-example predictions returned recompute the epoch's scores (what examples.csv carries).
  const { labels, last } = result.predictions;
  assertEquals([labels.matched.length, last.matched.length, last.mismatched.length], [30, 30, 10]);
  assertEquals(
    devScores(three, {
      matched: { predictions: last.matched, labels: labels.matched },
      mismatched: { predictions: last.mismatched, labels: labels.mismatched },
    }),
    s,
  );
  assertEquals(result.predictions.best, last, "one epoch: best is last");
});

Deno.test("bad input: labels outside the spec, empty dev set, a decoder, a tokenizer that is not the model's", () => {
  const rng = new Rng(4);
  const model = createModel(ENCODER, 0);
  const train = markerExamples(8, rng);
  const dev = { validation: markerExamples(4, rng) };
  const options = { loss: "balanced" as const, lr: 1e-3, batch: 4, epochs: 1, seed: 0 };
  const badTrain = train.map((e, i) => (i === 3 ? { ...e, label: 2 } : e));
  assertThrows(
    () => finetuneTask(model, ids, BINARY, { train: badTrain, dev }, options),
    InputError,
    "train example 3: label 2 is not a class index in [0, 2)",
  );
  const regression = spec({ type: "regression", range: [0, 5] }, ["pearson"]);
  const badDev = { validation: dev.validation.map((e, i) => (i === 1 ? { ...e, label: 7 } : e)) };
  assertThrows(
    () => finetuneTask(model, ids, regression, { train, dev: badDev }, options),
    InputError,
    `dev "validation" example 1: label 7 is not a score in [0, 5]`,
  );
  assertThrows(
    () => finetuneTask(model, ids, BINARY, { train, dev: { validation: [] } }, options),
    InputError,
    `dev set "validation" has no examples`,
  );
  assertThrows(
    () => finetuneTask(model, ids, BINARY, { train: [], dev }, options),
    InputError,
    "training set has no examples",
  );
  const wide = { encode: (t: string) => ids.encode(t).map((x) => x + 40) };
  assertThrows(
    () => finetuneTask(model, wide, BINARY, { train, dev }, options),
    InputError,
    "the tokenizer does not match the checkpoint",
  );
  model.dispose();
  const decoder = createModel({ ...ENCODER, arch: "decoder", tieHead: false }, 0);
  assertThrows(
    () => finetuneTask(decoder, ids, BINARY, { train, dev }, options),
    InputError,
    "needs an encoder, but model tiny-enc is a decoder",
  );
  decoder.dispose();
});

Deno.test("mean and sample std over seeds", () => {
  const s = meanStd([1, 2, 3, 4]);
  assertEquals(s.mean, 2.5);
  assertAlmostEquals(s.std, Math.sqrt(5 / 3), 1e-12);
  assertEquals(meanStd([7]), { mean: 7, std: 0, n: 1 });
  const fake = (seed: number, best: number, last: number) => ({
    best: { scores: { accuracy: best } },
    last: { scores: { accuracy: last } },
    seed,
  });
  // deno-lint-ignore no-explicit-any
  const summary = summarizeSeeds([fake(0, 0.8, 0.7), fake(1, 0.9, 0.6)] as any, "best");
  assertAlmostEquals(summary.accuracy.mean, 0.85, 1e-12);
  assertAlmostEquals(summary.accuracy.std, Math.sqrt(0.005), 1e-12);
});

Deno.test("dropout while fine-tuning: a seeded run replays, differs from no dropout, and still learns", () => {
  const data = () => {
    const rng = new Rng(7);
    return { train: markerExamples(128, rng), dev: { validation: markerExamples(64, rng) } };
  };
  const run = (dropout: number | undefined, epochs = 1) => {
    const model = createModel(ENCODER, 0);
    const options = { loss: "balanced" as const, lr: 2e-3, batch: 16, epochs, seed: 3, dropout };
    const r = finetuneTask(model, ids, BINARY, data(), options);
    model.dispose();
    return r;
  };
  const [a, b, none, zero] = [run(0.1), run(0.1), run(undefined), run(0)];
  assertEquals(a.epochs.map((e) => e.trainLoss), b.epochs.map((e) => e.trainLoss), "the same seed, the same masks");
  assertNotEquals(a.epochs[0].trainLoss, none.epochs[0].trainLoss);
  assertEquals(zero.epochs.map((e) => e.trainLoss), none.epochs.map((e) => e.trainLoss), "rate 0 is no dropout");
  const learnt = run(0.1, 4);
  assert(learnt.best.scores.accuracy > 0.85, `accuracy ${learnt.best.scores.accuracy} with dropout 0.1`);
  const model = createModel(ENCODER, 0);
  assertThrows(
    () =>
      finetuneTask(model, ids, BINARY, data(), {
        loss: "balanced",
        lr: 1e-3,
        batch: 8,
        epochs: 1,
        seed: 0,
        dropout: 1,
      }),
    InputError,
    "dropout must be in [0, 1)",
  );
  model.dispose();
});

Deno.test("a batch run in length groups gives the padded batch's outputs, loss and every gradient", () => {
  const model = createModel(ENCODER, 3);
  const head = createHead(ENCODER.dModel, 2, 0);
  const params = finetuneParams(model, head);
  const rng = new Rng(4);
  const rows = [3, 9, 3, 16, 9, 5, 16, 3].map((n) => Int32Array.from({ length: n }, () => 10 + rng.int(38)));
  const labels = [0, 1, 1, 0, 1, 0, 0, 1];
  const indices = [3, 0, 5, 1, 7, 6, 2, 4]; // not sorted by length: the groups reorder them
  const run = (grouped: boolean) => {
    lengthGrouping.overheadTokens = 0;
    try {
      let groups = 0;
      const { value, grads } = tf.variableGrads(() => {
        if (!grouped) {
          const states = firstTokenStates(model, padBatch(rows, indices));
          const logits = tf.add(tf.matMul(states, head.w), head.b) as tf.Tensor2D;
          return balancedCrossEntropy(logits, indices.map((i) => labels[i]));
        }
        const out = headOutputsByLength(model, head, rows, indices);
        groups = out.batches.length;
        assertEquals([...out.order].sort(), [...indices].sort());
        return balancedCrossEntropy(out.outputs, out.order.map((i) => labels[i]));
      }, [...params.values()]);
      return {
        loss: value.dataSync()[0],
        grads: new Map(Object.entries(grads).map(([k, g]) => [k, g.dataSync()])),
        groups,
      };
    } finally {
      lengthGrouping.overheadTokens = CALL_OVERHEAD_TOKENS;
    }
  };
  const [padded, grouped] = [run(false), run(true)];
  assertEquals(grouped.groups, 4); // lengths 3, 5, 9 and 16: no padding at all
  assertAlmostEquals(grouped.loss, padded.loss, 1e-6);
  assertEquals([...grouped.grads.keys()].sort(), [...padded.grads.keys()].sort());
  for (const [name, g] of padded.grads) {
    const d = compareArrays(grouped.grads.get(name)!, g, { tolerance: 1e-5, relative: true });
    assertEquals(d.differing, 0, `${name}: ${d.differing} values differ, largest by ${d.maxAbsDiff}`);
  }
  params.get("classifier.w")?.dispose();
  params.get("classifier.b")?.dispose();
  model.dispose();
});
