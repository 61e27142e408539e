/**
 * A metric recomputed from per-example outputs (results/examples.ts): accuracy, F1, MCC, Pearson and
 * Spearman from predictions and labels (evals/metrics.ts); perplexity = exp(−Σ loglik / Σ count); bits
 * per byte = −Σ loglik / (ln 2 · Σ count).
 */
import { METRICS } from "../evals/metrics.ts";

/** One example's outputs as the metrics read them (NaN where a column is empty). */
export interface ExampleOutputs {
  prediction: Float64Array;
  label: Float64Array;
  loglik: Float64Array;
  count: Float64Array;
}

/** A metric of a set of examples. */
export type ExampleMetric = (o: ExampleOutputs) => number;

const sums = (o: ExampleOutputs) => {
  let ll = 0, n = 0;
  for (let i = 0; i < o.loglik.length; i++) {
    ll += o.loglik[i];
    n += o.count[i];
  }
  return { ll, n };
};

const FROM_EXAMPLES: Readonly<Record<string, ExampleMetric>> = {
  accuracy: (o) => METRICS.accuracy(o.prediction, o.label),
  accuracy_norm: (o) => METRICS.accuracy(o.prediction, o.label),
  f1: (o) => METRICS.f1(o.prediction, o.label),
  mcc: (o) => METRICS.mcc(o.prediction, o.label),
  pearson: (o) => METRICS.pearson(o.prediction, o.label),
  spearman: (o) => METRICS.spearman(o.prediction, o.label),
  perplexity: (o) => {
    const { ll, n } = sums(o);
    return Math.exp(-ll / n);
  },
  bits_per_byte: (o) => {
    const { ll, n } = sums(o);
    return -ll / (Math.LN2 * n);
  },
};

/** The function that recomputes `metric` from examples, or undefined when examples cannot give it. */
export function exampleMetric(metric: string): ExampleMetric | undefined {
  return FROM_EXAMPLES[metric];
}

/** The columns a metric reads: predictions and labels, or log-likelihoods and counts. */
export function metricColumns(metric: string): ("prediction" | "label" | "loglik" | "count")[] {
  return metric === "perplexity" || metric === "bits_per_byte" ? ["loglik", "count"] : ["prediction", "label"];
}
