/**
 * Classification and regression metrics used by GLUE, as a table name -> function(predictions, labels).
 * Conventions follow scikit-learn / scipy, which the GLUE tooling uses:
 * - `f1`: binary F1 of the positive class 1 (any other value is a negative); 0 when there is no
 *   positive prediction nor positive label (sklearn's zero_division default).
 * - `mcc`: Matthews correlation in its multiclass form (Gorodkin's R_K, as sklearn's
 *   matthews_corrcoef), which equals the binary (TP·TN − FP·FN)/√… formula for two classes; 0 when
 *   the denominator is 0 (a constant predictor or constant labels).
 * - `pearson`: NaN when either side is constant (scipy returns nan there too).
 * - `spearman`: Pearson correlation of the ranks, ties given their average rank (scipy's spearmanr).
 */
import { InputError } from "../util/errors.ts";

/** A list of numbers (a plain array or a typed array). */
export type Numbers = ArrayLike<number>;

/** A metric: predictions and gold labels (or scores) of the same length -> one number. */
export type MetricFn = (predictions: Numbers, labels: Numbers) => number;

/** Names of the metrics in {@link METRICS}. */
export type MetricName = "accuracy" | "f1" | "mcc" | "pearson" | "spearman";

function checkPair(metric: string, predictions: Numbers, labels: Numbers): void {
  if (predictions.length !== labels.length) {
    throw new InputError(
      `${metric}: ${predictions.length} predictions but ${labels.length} labels; expected as many of each`,
    );
  }
  if (predictions.length === 0) throw new InputError(`${metric}: no predictions; expected at least one`);
  for (let i = 0; i < predictions.length; i++) {
    if (!Number.isFinite(predictions[i]) || !Number.isFinite(labels[i])) {
      throw new InputError(
        `${metric}: example ${i} has prediction ${predictions[i]} and label ${labels[i]}; expected finite numbers`,
      );
    }
  }
}

/** Fraction of predictions equal to their label. */
export function accuracy(predictions: Numbers, labels: Numbers): number {
  checkPair("accuracy", predictions, labels);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** Binary F1 of the positive class 1: 2·TP / (2·TP + FP + FN). */
export function f1(predictions: Numbers, labels: Numbers): number {
  checkPair("f1", predictions, labels);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = predictions[i] === 1, l = labels[i] === 1;
    if (p && l) tp++;
    else if (p) fp++;
    else if (l) fn++;
  }
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

/**
 * Matthews correlation coefficient, multiclass form:
 * (c·s − Σ_k p_k·t_k) / √((s² − Σ_k p_k²)(s² − Σ_k t_k²)), with s examples, c correct, p_k / t_k the
 * number of predictions / labels of class k.
 */
export function mcc(predictions: Numbers, labels: Numbers): number {
  checkPair("mcc", predictions, labels);
  const predicted = new Map<number, number>(), actual = new Map<number, number>();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    predicted.set(predictions[i], (predicted.get(predictions[i]) ?? 0) + 1);
    actual.set(labels[i], (actual.get(labels[i]) ?? 0) + 1);
    if (predictions[i] === labels[i]) correct++;
  }
  const s = labels.length;
  let pt = 0, pp = 0, tt = 0;
  for (const [k, p] of predicted) pt += p * (actual.get(k) ?? 0);
  for (const p of predicted.values()) pp += p * p;
  for (const t of actual.values()) tt += t * t;
  const denominator = Math.sqrt((s * s - pp) * (s * s - tt));
  return denominator === 0 ? 0 : (correct * s - pt) / denominator;
}

/** Pearson correlation (two-pass, centred sums). NaN when either side is constant. */
export function pearson(predictions: Numbers, labels: Numbers): number {
  checkPair("pearson", predictions, labels);
  return pearsonUnchecked(predictions, labels);
}

function pearsonUnchecked(x: Numbers, y: Numbers): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** 1-based ranks of `values`; tied values all get the average of the ranks they span (scipy "average"). */
export function averageRanks(values: Numbers): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of the 1-based ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson correlation of the average ranks. */
export function spearman(predictions: Numbers, labels: Numbers): number {
  checkPair("spearman", predictions, labels);
  return pearsonUnchecked(averageRanks(predictions), averageRanks(labels));
}

/** Every metric by name. */
export const METRICS: Readonly<Record<MetricName, MetricFn>> = { accuracy, f1, mcc, pearson, spearman };
