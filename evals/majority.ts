/**
 * The majority-class reference (contracts 3): the most frequent training label predicted for every example
 * of a classification task, scored like a model's predictions.
 */
import { InputError } from "../util/errors.ts";

/** Objective name of the majority-class reference rows. */
export const MAJORITY = "majority";

/** The most frequent label of a training set; the smallest class id on a tie. */
export function majorityClass(labels: readonly number[]): number {
  if (labels.length === 0) throw new InputError("majority class: no training labels; expected at least one");
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let best = Infinity, most = 0;
  for (const [label, n] of counts) {
    if (n > most || (n === most && label < best)) [best, most] = [label, n];
  }
  return best;
}

/** The majority class of `trainLabels` predicted for every example of each dev set. */
export function majorityPredictions(
  trainLabels: readonly number[],
  dev: Record<string, readonly number[]>,
): Record<string, Float64Array> {
  const label = majorityClass(trainLabels);
  return Object.fromEntries(
    Object.entries(dev).map(([name, labels]) => [name, new Float64Array(labels.length).fill(label)]),
  );
}
