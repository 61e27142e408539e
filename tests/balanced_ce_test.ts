import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { balancedCrossEntropy, CLASSIFICATION_LOSSES, crossEntropy } from "../evals/balanced_ce.ts";

// A 4-example batch, 2 classes, labels 0 0 0 1 (class 0 three times, class 1 once):
//   ex 1: logits [0, 0],     label 0: p = 1/2 -> ℓ = ln 2      = 0.693147
//   ex 2: logits [ln 3, 0],  label 0: p = 3/4 -> ℓ = ln (4/3)  = 0.287682
//   ex 3: logits [0, ln 3],  label 0: p = 1/4 -> ℓ = ln 4      = 1.386294
//   ex 4: logits [0, ln 3],  label 1: p = 3/4 -> ℓ = ln (4/3)  = 0.287682
// plain CE    = (ln 2 + ln 4/3 + ln 4 + ln 4/3) / 4 = ln(128/9) / 4 = 0.663703
// balanced CE: weights 1/3 for class 0, 1 for class 1; Σ_i w_i ℓ_i / Σ_i w_i
//   = (ln(32/3)/3 + ln(4/3)) / 2 = (0.789041 + 0.287682) / 2 = 0.538362
const L3 = Math.log(3);
const LOGITS = [[0, 0], [L3, 0], [0, L3], [0, L3]];
const LABELS = [0, 0, 0, 1];

Deno.test("plain cross-entropy of the 4-example batch = ln(128/9)/4", () => {
  const loss = crossEntropy(tf.tensor2d(LOGITS), LABELS);
  assertAlmostEquals(loss.dataSync()[0], Math.log(128 / 9) / 4, 1e-6);
});

Deno.test("balanced cross-entropy of the 4-example batch = (ln(32/3)/3 + ln(4/3))/2", () => {
  const loss = balancedCrossEntropy(tf.tensor2d(LOGITS), tf.tensor1d(LABELS, "int32"));
  assertAlmostEquals(loss.dataSync()[0], (Math.log(32 / 3) / 3 + Math.log(4 / 3)) / 2, 1e-6);
});

Deno.test("balanced CE gradient: softmax − onehot, scaled by w_i / Σw", () => {
  // Σw = 3·(1/3) + 1 = 2, so class-0 examples get 1/6 and the class-1 example 1/2.
  // ex 1: (1/6)·([.5 .5] − [1 0]) = [−1/12, 1/12]; ex 2: (1/6)·([.75 .25] − [1 0]) = [−1/24, 1/24]
  // ex 3: (1/6)·([.25 .75] − [1 0]) = [−1/8, 1/8];  ex 4: (1/2)·([.25 .75] − [0 1]) = [1/8, −1/8]
  const grad = tf.grad((x: tf.Tensor) => balancedCrossEntropy(x as tf.Tensor2D, LABELS))(tf.tensor2d(LOGITS));
  const expected = [-1 / 12, 1 / 12, -1 / 24, 1 / 24, -1 / 8, 1 / 8, 1 / 8, -1 / 8];
  Array.from(grad.dataSync()).forEach((g, i) => assertAlmostEquals(g, expected[i], 1e-6));
});

Deno.test("balanced CE equals plain CE on a balanced batch, and ignores absent classes", () => {
  const logits = tf.tensor2d([[1, 2, 0.5], [0.3, -1, 2], [2, 0, 0], [0, 1, 1]]);
  const balanced = [0, 2, 0, 2]; // two of each present class, class 1 absent
  assertAlmostEquals(
    balancedCrossEntropy(logits, balanced).dataSync()[0],
    crossEntropy(logits, balanced).dataSync()[0],
    1e-6,
  );
  const loss = balancedCrossEntropy(logits, [1, 1, 1, 1]).dataSync()[0];
  assertEquals(Number.isFinite(loss), true);
  assertAlmostEquals(loss, crossEntropy(logits, [1, 1, 1, 1]).dataSync()[0], 1e-6);
});

Deno.test("losses table, and a label count that does not match the batch", () => {
  assertEquals(Object.keys(CLASSIFICATION_LOSSES), ["plain", "balanced"]);
  assertThrows(() => balancedCrossEntropy(tf.tensor2d(LOGITS), [0, 1]), RangeError, "2 labels for a batch of 4");
});
