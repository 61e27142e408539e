/**
 * The names rows use: one metric vocabulary (`accuracy`, never `acc`) and the objectives of the reference
 * rows (contracts 3).
 */

/** Objectives of the reference rows: no pretraining, the majority class, a unigram LM. */
export const REFERENCE_OBJECTIVES = ["random-init", "majority", "unigram"] as const;

/** True for a reference row's objective. */
export function isReference(objective: string): boolean {
  return (REFERENCE_OBJECTIVES as readonly string[]).includes(objective);
}

/** Metric names as other tools spell them -> the one name rows use. */
const METRIC_ALIASES: Readonly<Record<string, string>> = {
  acc: "accuracy",
  acc_norm: "accuracy_norm",
  ppl: "perplexity",
  bpb: "bits_per_byte",
};

/** The vocabulary's name of a metric: `acc` -> `accuracy`, `acc_norm` -> `accuracy_norm`, others unchanged. */
export function canonicalMetric(name: string): string {
  return METRIC_ALIASES[name] ?? name;
}

/** Metrics where lower is better (perplexity, bits per byte, losses); every other metric is higher-is-better. */
const LOWER_IS_BETTER = /^(perplexity|bits_per_byte|loss)/;

/** True unless the metric is a perplexity, bits per byte or a loss. */
export function higherIsBetter(metric: string): boolean {
  return !LOWER_IS_BETTER.test(canonicalMetric(metric));
}
