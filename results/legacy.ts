/**
 * results.csv of the old layout (before the tidy rows of results/rows.ts), as the committed
 * reports/nightly/results.csv and older revisions hold it: columns arch, objective, seed, fraction, flops,
 * tokens, wall_seconds, backend, task, metric, value, policy (+ pretrain_seed), XNLI's setup, language and
 * split packed into the task name (`xnli-en/ar`, `xnli-target/de/test`), MNLI's dev sets in the metric name
 * (`accuracy_matched`), `acc` for accuracy. Converted row by row: the model (never recorded) is left
 * empty, the design is the default one, the split is what the task's registry entry says, and
 * wall_seconds becomes a timing row.
 */
import { glueTask, isGlueTask } from "../data/glue.ts";
import { LAMBADA_TASKS } from "../data/lambada.ts";
import { parseXnliTask } from "../evals/xnli_tasks.ts";
import { columnIndex, type CsvRecord, type FieldKind, parseField } from "./csv.ts";
import type { ResultRow } from "./rows.ts";
import { scoreKeyParts } from "./task_splits.ts";
import type { TimingRow } from "./timings.ts";
import { canonicalMetric } from "./vocabulary.ts";

/** The old layout's columns. */
export const LEGACY_COLUMNS = [
  "arch",
  "objective",
  "seed",
  "fraction",
  "flops",
  "tokens",
  "wall_seconds",
  "backend",
  "task",
  "metric",
  "value",
  "policy",
] as const;

const KINDS: Record<(typeof LEGACY_COLUMNS)[number], FieldKind> = {
  arch: "name",
  objective: "name",
  seed: "seed",
  fraction: "positive",
  flops: "nonnegative",
  tokens: "nonnegative",
  wall_seconds: "nonnegative",
  backend: "text",
  task: "name",
  metric: "name",
  value: "finite",
  policy: "text",
};

/** True for a header of the old layout: wall-clock in the rows and no model column. */
export function isLegacyHeader(header: readonly string[]): boolean {
  return header.includes("wall_seconds") && !header.includes("model");
}

/** The tidy task, setup, language, split and metric of an old row's task and metric. */
export function tidyTask(
  task: string,
  metric: string,
): Pick<ResultRow, "task" | "setup" | "lang" | "split" | "metric"> {
  const xnli = parseXnliTask(task);
  if (xnli) return { task: "xnli", setup: xnli.setup, lang: xnli.lang, split: xnli.split, metric };
  if (isGlueTask(task)) return { task, setup: "", lang: "", ...scoreKeyParts(glueTask(task), metric) };
  if (task === LAMBADA_TASKS.ownHead || task === LAMBADA_TASKS.lmFineTuned) {
    return { task, setup: "", lang: "", split: "test", metric: canonicalMetric(metric) };
  }
  return { task, setup: "", lang: "", split: "", metric: canonicalMetric(metric) };
}

/** Converts the records of an old-layout file (header `header`) to rows, with their line, and timings. */
export function legacyRows(
  header: string[],
  records: CsvRecord[],
  file: string,
): { lines: { row: ResultRow; line: number }[]; timings: TimingRow[] } {
  const index = columnIndex(header, LEGACY_COLUMNS, file, "results (old layout)");
  const timings: TimingRow[] = [];
  const lines = records.map(({ line, fields }) => {
    const get = (c: (typeof LEGACY_COLUMNS)[number]) =>
      parseField(fields[index.get(c)!] ?? "", KINDS[c], c, file, line);
    const pretrainRaw = index.has("pretrain_seed") ? (fields[index.get("pretrain_seed")!] ?? "").trim() : "";
    const seed = get("seed") as number;
    const row: ResultRow = {
      model: "",
      arch: get("arch") as string,
      objective: get("objective") as string,
      design: "",
      pretrain_seed: pretrainRaw === "" ? seed : parseField(pretrainRaw, "seed", "pretrain_seed", file, line) as number,
      seed,
      fraction: get("fraction") as number,
      flops: get("flops") as number,
      tokens: get("tokens") as number,
      ...tidyTask(get("task") as string, get("metric") as string),
      examples: null,
      value: get("value") as number,
      policy: get("policy") as string,
      backend: get("backend") as string,
    };
    timings.push({
      ...row,
      pretrain_seconds: get("wall_seconds") as number,
      eval_seconds: null,
      checkpoint: "",
    });
    return { row, line };
  });
  return { lines, timings };
}
