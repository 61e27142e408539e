/**
 * Between fine-tuning score keys and result rows. evals/finetune_glue.ts names a task's scores `metric` (one
 * dev set), `metric_<dev set>` and `metric_pooled` (several, MNLI's matched and mismatched); a result row
 * says the same as a metric and a split, the split named for what its file is (data/task_spec.ts
 * splitLabel: MRPC's dev file is "test (MSR)"), several pooled as "a+b".
 */
import { devSetsOf, splitLabel, type TaskSpec } from "../data/task_spec.ts";
import { InputError } from "../util/errors.ts";

/** The split a row names for dev set `devName` of `spec`. */
export function devSetSplit(spec: TaskSpec, devName: string): string {
  const split = devSetsOf(spec)[devName];
  if (split === undefined) throw new InputError(`task ${spec.name} has no dev set "${devName}"`);
  return splitLabel(spec, split);
}

/** The split a row names for all dev sets of `spec` pooled: their splits joined by "+". */
export function pooledSplit(spec: TaskSpec): string {
  return Object.keys(devSetsOf(spec)).map((d) => devSetSplit(spec, d)).join("+");
}

/** A score key of `spec` as a row's metric and split. */
export function scoreKeyParts(spec: TaskSpec, key: string): { metric: string; split: string } {
  const names = Object.keys(devSetsOf(spec));
  if (names.length <= 1) return { metric: key, split: names.length ? devSetSplit(spec, names[0]) : "" };
  if (key.endsWith("_pooled")) return { metric: key.slice(0, -"_pooled".length), split: pooledSplit(spec) };
  for (const name of names) {
    if (key.endsWith(`_${name}`)) return { metric: key.slice(0, -(name.length + 1)), split: devSetSplit(spec, name) };
  }
  throw new InputError(`task ${spec.name}: score "${key}" names none of its dev sets (${names.join(", ")})`);
}

/** The score key of a row's metric and split for `spec`, or undefined when the split is none of its dev sets. */
export function scoreKeyOf(spec: TaskSpec, metric: string, split: string): string | undefined {
  const names = Object.keys(devSetsOf(spec));
  if (names.length <= 1) return names.length === 0 || devSetSplit(spec, names[0]) === split ? metric : undefined;
  if (split === pooledSplit(spec)) return `${metric}_pooled`;
  const name = names.find((n) => devSetSplit(spec, n) === split);
  return name === undefined ? undefined : `${metric}_${name}`;
}
