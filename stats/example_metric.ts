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

/**
 * Metrics that are a function of two sums over examples (accuracy: correct / examples; perplexity and bits
 * per byte: log-likelihood / count): each example's two terms, and the metric of the sums. Summed in the
 * examples' order they give the same bits as {@link exampleMetric}'s functions, without gathering the
 * examples (the bootstrap's fast path). Terms are only valid for finite outputs; callers check that.
 */
export interface SummedMetric {
  terms(prediction: number, label: number, loglik: number, count: number): [number, number];
  finish(top: number, bottom: number): number;
}

const SUMMED: Readonly<Record<string, SummedMetric>> = {
  accuracy: { terms: (p, l) => [p === l ? 1 : 0, 1], finish: (correct, n) => correct / n },
  accuracy_norm: { terms: (p, l) => [p === l ? 1 : 0, 1], finish: (correct, n) => correct / n },
  perplexity: { terms: (_p, _l, ll, n) => [ll, n], finish: (ll, n) => Math.exp(-ll / n) },
  bits_per_byte: { terms: (_p, _l, ll, n) => [ll, n], finish: (ll, n) => -ll / (Math.LN2 * n) },
};

/** `metric` as a function of two sums, or undefined when it is not one (F1, MCC, correlations). */
export function summedMetric(metric: string): SummedMetric | undefined {
  return SUMMED[metric];
}

/** The function that recomputes `metric` from examples, or undefined when examples cannot give it. */
export function exampleMetric(metric: string): ExampleMetric | undefined {
  return FROM_EXAMPLES[metric];
}

/** The columns a metric reads: predictions and labels, or log-likelihoods and counts. */
export function metricColumns(metric: string): ("prediction" | "label" | "loglik" | "count")[] {
  return metric === "perplexity" || metric === "bits_per_byte" ? ["loglik", "count"] : ["prediction", "label"];
}
