import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { accuracy, averageRanks, f1, mcc, METRICS, pearson, spearman } from "../evals/metrics.ts";
import { glueAverage, type GlueResults, scoreGlueTask } from "../evals/glue_score.ts";
import { GLUE_TASK_NAMES } from "../data/glue.ts";
import { paperResults, paperRowAsResults } from "../reports/paper_results.ts";
import { InputError } from "../util/errors.ts";

// One binary example used by several metrics:
//   predictions 1 0 1 1 0
//   labels      1 1 1 0 0
// TP = 2 (items 0, 2), FN = 1 (item 1), FP = 1 (item 3), TN = 1 (item 4).
const PRED = [1, 0, 1, 1, 0];
const GOLD = [1, 1, 1, 0, 0];

Deno.test("accuracy: 3 of 5 right = 0.6", () => {
  assertEquals(accuracy(PRED, GOLD), 0.6);
});

Deno.test("f1: 2TP / (2TP + FP + FN) = 4 / 6", () => {
  assertAlmostEquals(f1(PRED, GOLD), 4 / 6, 1e-15);
  // No positive prediction and no positive label: sklearn's zero_division gives 0.
  assertEquals(f1([0, 0], [0, 0]), 0);
  // Class 1 is the positive class, whatever else appears.
  assertEquals(f1([1, 2, 2], [1, 1, 2]), 2 / 3); // TP 1, FN 1, FP 0 -> 2/3
});

Deno.test("mcc: binary (TP·TN − FP·FN)/√((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (2−1)/√(3·3·2·2) = 1/6", () => {
  assertAlmostEquals(mcc(PRED, GOLD), 1 / 6, 1e-15);
  assertEquals(mcc([1, 0, 1, 0], [1, 0, 1, 0]), 1);
  assertEquals(mcc([0, 1, 0, 1], [1, 0, 1, 0]), -1);
});

Deno.test("mcc: a constant predictor (or constant labels) scores 0, not NaN", () => {
  assertEquals(mcc([1, 1, 1, 1], [1, 0, 1, 0]), 0);
  assertEquals(mcc([0, 0, 0], [1, 0, 1]), 0);
  assertEquals(mcc([1, 0, 1], [1, 1, 1]), 0);
});

Deno.test("mcc: multiclass form (sklearn) on 3 classes", () => {
  // labels 0 1 2 0, predictions 0 2 2 0: s = 4, c = 3 correct; label counts t = (2,1,1), prediction
  // counts p = (2,0,2); Σ p·t = 4+0+2 = 6; num = 3·4 − 6 = 6; den = √((16 − 8)(16 − 6)) = √80.
  assertAlmostEquals(mcc([0, 2, 2, 0], [0, 1, 2, 0]), 6 / Math.sqrt(80), 1e-15);
});

Deno.test("pearson: x 1 2 3 4, y 2 4 5 9 -> 11/√130", () => {
  // means 2.5 and 5; dx = −1.5 −.5 .5 1.5; dy = −3 −1 0 4; Σdxdy = 4.5+.5+0+6 = 11;
  // Σdx² = 5, Σdy² = 26 -> 11/√130 = 0.96476...
  assertAlmostEquals(pearson([1, 2, 3, 4], [2, 4, 5, 9]), 11 / Math.sqrt(130), 1e-14);
  assert(Number.isNaN(pearson([3, 3, 3], [1, 2, 3])), "constant predictions give NaN, as scipy");
});

Deno.test("averageRanks: ties share the mean of the ranks they span", () => {
  assertEquals(Array.from(averageRanks([10, 20, 20, 30])), [1, 2.5, 2.5, 4]);
  assertEquals(Array.from(averageRanks([5, 1, 5, 5])), [3, 1, 3, 3]); // ranks 2,3,4 -> 3
});

Deno.test("spearman with ties: Pearson of average ranks (scipy), not the no-ties d² formula", () => {
  // x = 1 2 2 3 -> ranks 1 2.5 2.5 4; y = 1 3 2 4 -> ranks 1 3 2 4; both mean 2.5.
  // dx = −1.5 0 0 1.5, dy = −1.5 .5 −.5 1.5; Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 -> 4.5/√22.5 = 0.948683.
  const rho = spearman([1, 2, 2, 3], [1, 3, 2, 4]);
  assertAlmostEquals(rho, 4.5 / Math.sqrt(22.5), 1e-14);
  // The no-ties shortcut 1 − 6Σd²/(n(n²−1)) with d = 0 −.5 .5 0 would give 1 − 3/60 = 0.95.
  assertNotEquals(Math.round(rho * 1e6), Math.round(0.95 * 1e6));
  assertAlmostEquals(spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1, 1e-15); // monotone, not linear
});

Deno.test("metrics table and bad input", () => {
  assertEquals(Object.keys(METRICS).sort(), ["accuracy", "f1", "mcc", "pearson", "spearman"]);
  assertThrows(() => accuracy([1, 0], [1]), InputError, "2 predictions but 1 labels");
  assertThrows(() => mcc([], []), InputError, "no predictions");
  assertThrows(() => pearson([1, NaN], [1, 2]), InputError, "example 1");
});

// ---- GLUE scores -------------------------------------------------------------------------------

Deno.test("scoreGlueTask: MNLI gets matched, mismatched and pooled accuracy", () => {
  // matched: 3 of 4 right; mismatched: 3 of 6 right; pooled: 6 of 10 (not the mean 0.625).
  const scores = scoreGlueTask("mnli", {
    matched: { predictions: [0, 1, 2, 0], labels: [0, 1, 2, 1] },
    mismatched: { predictions: [0, 0, 0, 1, 1, 1], labels: [0, 1, 0, 1, 2, 2] },
  });
  assertEquals(scores, { accuracy_matched: 0.75, accuracy_mismatched: 0.5, accuracy_pooled: 0.6 });
  assertThrows(
    () => scoreGlueTask("mnli", { validation: { predictions: [0], labels: [0] } }),
    InputError,
    "expected exactly [matched, mismatched]",
  );
});

Deno.test("scoreGlueTask: MRPC reports F1 and accuracy, STS-B Pearson and Spearman", () => {
  const mrpc = scoreGlueTask("mrpc", { validation: { predictions: PRED, labels: GOLD } });
  assertEquals(Object.keys(mrpc), ["accuracy", "f1"]); // the order of the task file's metrics
  assertAlmostEquals(mrpc.f1, 4 / 6, 1e-15);
  assertEquals(mrpc.accuracy, 0.6);
  const stsb = scoreGlueTask("stsb", { validation: { predictions: [1, 2, 3, 4], labels: [2, 4, 5, 9] } });
  assertAlmostEquals(stsb.pearson, 11 / Math.sqrt(130), 1e-14);
  assertEquals(stsb.spearman, 1);
});

// A hand-made table (percent). Task scores for the leaderboard are the means of the reported metrics.
const TABLE: GlueResults = {
  cola: { mcc: 50 },
  sst2: { accuracy: 90 },
  mrpc: { f1: 88, accuracy: 84 }, // leaderboard task score 86
  qqp: { f1: 70, accuracy: 88 }, // 79
  stsb: { pearson: 86, spearman: 85 }, // 85.5
  mnli: { accuracy_matched: 80, accuracy_mismatched: 82, accuracy_pooled: 81.2 }, // 81
  qnli: { accuracy: 87 },
  rte: { accuracy: 66 },
  wnli: { accuracy: 56 },
};

Deno.test("paper average: 7 tasks, MCC / Spearman / accuracy, MNLI pooled, RTE and WNLI out", () => {
  // MRPC acc 84 + CoLA 50 + STS-B Spearman 85 + SST-2 90 + QNLI 87 + QQP acc 88 + MNLI pooled 81.2
  // = 565.2; / 7 = 80.742857...
  const avg = glueAverage(TABLE, "paper");
  assertAlmostEquals(avg.value, 565.2 / 7, 1e-12);
  assertEquals(avg.tasks, ["mrpc", "cola", "stsb", "sst2", "qnli", "qqp", "mnli"]);
  assertEquals(avg.missing, []);
  assertEquals(avg.taskScores.mnli, 81.2);
});

Deno.test("leaderboard average: mean of 9 task scores, each the mean of its reported metrics", () => {
  // 50 + 90 + 86 + 85.5 + 79 + 81 + 87 + 66 + 56 = 680.5; / 9 = 75.6111...
  const avg = glueAverage(TABLE, "leaderboard");
  assertAlmostEquals(avg.value, 680.5 / 9, 1e-12);
  assertEquals(avg.taskScores, {
    cola: 50,
    sst2: 90,
    mrpc: 86,
    stsb: 85.5,
    qqp: 79,
    mnli: 81,
    qnli: 87,
    rte: 66,
    wnli: 56,
  });
});

Deno.test("averages over the tasks present, and say which", () => {
  const { qqp: _q, rte: _r, wnli: _w, ...partial } = TABLE;
  const paper = glueAverage(partial, "paper");
  assertAlmostEquals(paper.value, (565.2 - 88) / 6, 1e-12); // 79.5333
  assertEquals(paper.missing, ["qqp"]);
  const board = glueAverage(partial, "leaderboard");
  assertAlmostEquals(board.value, (680.5 - 79 - 66 - 56) / 6, 1e-12); // 479.5 / 6 = 79.9167
  assertEquals(board.tasks, ["cola", "sst2", "mrpc", "stsb", "mnli", "qnli"]);
  assertEquals(board.missing, ["qqp", "rte", "wnli"]);
  const none = glueAverage({ rte: { accuracy: 60 } }, "paper");
  assert(Number.isNaN(none.value));
  assertEquals(none.tasks, []);
});

Deno.test("averages reject a missing metric or an unknown task, naming it", () => {
  assertThrows(() => glueAverage({ mnli: { accuracy_matched: 80 } }, "paper"), InputError, `no "accuracy_pooled"`);
  assertThrows(
    () => glueAverage({ mnli: { accuracy_matched: 80 } }, "leaderboard"),
    InputError,
    `"accuracy_mismatched"`,
  );
  assertThrows(() => glueAverage({ sst: { accuracy: 1 } } as GlueResults, "paper"), InputError, `unknown task "sst"`);
});

Deno.test("paper Table 1: the paper average of its per-task numbers gives its printed avg", () => {
  // (85.87+54.66+83.70+92.45+88.38+89.57+82.40)/7 = 82.433; 583.08/7 = 83.297 (printed 83.29, the
  // per-task numbers being rounded); 588.58/7 = 84.083.
  for (const row of paperResults().glue.rows) {
    const avg = glueAverage(paperRowAsResults(row), "paper");
    assertEquals(avg.missing, []);
    assertAlmostEquals(avg.value, row.avg, 0.01);
  }
  assertEquals(GLUE_TASK_NAMES.length, 9);
});
