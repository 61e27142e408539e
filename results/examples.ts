/**
 * examples.csv (contracts 2): one line per scored example and per (task, seed, policy), written by every
 * evaluation stage beside its results.csv, so that a metric can be recomputed from a resample of examples
 * (stats/). Columns: `task, seed, policy, example, prediction, label, loglik, count` as the contract names
 * them, then optional ones a stage writes when its rows need them to be told apart: `setup`, `lang`,
 * `split` (as in results.csv), `objective` (empty: the stage's checkpoint; "majority" for the majority-class
 * reference) and `metric` (empty: every metric of the row; set where two metrics score an example
 * differently, as accuracy and accuracy_norm of multiple choice).
 *
 * - classification: `prediction` and `label` are class ids; regression: predicted and gold scores;
 * - zero-shot pairs and choices: `prediction` 1 if right else 0, `label` 1;
 * - likelihoods: `loglik` the summed natural-log likelihood of the scored tokens, `count` the unit the
 *   metric divides by (words for LAMBADA's per-word perplexity, UTF-8 bytes for bits per byte).
 * `example` is the example's stable id within its task split (its index), the same for every model, which
 * is what pairs two arms of a comparison.
 */
import { writeFileAtomic } from "../util/fs.ts";
import { columnIndex, formatCsv, parseCsvTable, parseField, readTableText } from "./csv.ts";
import type { ResultRow } from "./rows.ts";
import { isReference } from "./vocabulary.ts";

/** The contract's columns, in order. */
export const EXAMPLE_COLUMNS = ["task", "seed", "policy", "example", "prediction", "label", "loglik", "count"] as const;

/** Optional columns, read when present and always written. */
export const OPTIONAL_EXAMPLE_COLUMNS = ["setup", "lang", "split", "objective", "metric"] as const;

/** One scored example. */
export interface ExampleRow {
  task: string;
  seed: number;
  policy: string;
  example: string;
  prediction: number | null;
  label: number | null;
  loglik: number | null;
  count: number | null;
  setup: string;
  lang: string;
  split: string;
  objective: string;
  metric: string;
}

const NUMERIC = ["prediction", "label", "loglik", "count"] as const;

/** Parses examples.csv text; the optional columns default to "". */
export function parseExamplesCsv(text: string, file: string): ExampleRow[] {
  const { header, records } = parseCsvTable(text, file);
  const index = columnIndex(header, EXAMPLE_COLUMNS, file, "examples");
  return records.map(({ line, fields }) => {
    const raw = (c: string) => (index.has(c) ? fields[index.get(c)!] ?? "" : "");
    const row: Record<string, unknown> = {
      task: parseField(raw("task"), "name", "task", file, line),
      seed: parseField(raw("seed"), "seed", "seed", file, line),
      policy: raw("policy"),
      example: parseField(raw("example"), "name", "example", file, line),
    };
    for (const c of NUMERIC) row[c] = raw(c).trim() === "" ? null : parseField(raw(c), "finite", c, file, line);
    for (const c of OPTIONAL_EXAMPLE_COLUMNS) row[c] = raw(c).trim();
    return row as unknown as ExampleRow;
  });
}

/** Reads an examples.csv file. */
export async function readExamples(path: string): Promise<ExampleRow[]> {
  return parseExamplesCsv(await readTableText(path, "examples"), path);
}

/** examples.csv text: the contract's columns, then the optional ones. */
export function formatExamplesCsv(rows: readonly ExampleRow[]): string {
  return formatCsv(
    [...EXAMPLE_COLUMNS, ...OPTIONAL_EXAMPLE_COLUMNS],
    rows as unknown as Record<string, unknown>[],
  );
}

/** Writes examples.csv atomically. */
export function writeExamples(path: string, rows: readonly ExampleRow[]): Promise<void> {
  return writeFileAtomic(path, formatExamplesCsv(rows));
}

const linkKey = (r: Pick<ExampleRow, "task" | "setup" | "lang" | "seed" | "policy" | "objective">) =>
  [r.task, r.setup, r.lang, r.seed, r.policy, r.objective].join("\u0000");

/**
 * The examples behind each row of one stage's results (rows and examples from the same folder): those of
 * the row's task, setup, language, seed and policy, of a split the row's split names (several when it pools
 * them, "a+b"), of its metric or of every metric, and of its objective (an example with no objective is the
 * stage's checkpoint's: the objective of its rows that are not references, or "random-init" when the
 * checkpoint is the random-init reference). Keyed by `key(row)`; rows with
 * no examples are absent.
 */
export function linkExamples(
  rows: readonly ResultRow[],
  examples: readonly ExampleRow[],
  key: (r: ResultRow) => string,
): Map<string, ExampleRow[]> {
  // A random-init checkpoint is a reference that a stage scores as its own checkpoint.
  const own = (rows.find((r) => !isReference(r.objective)) ?? rows.find((r) => r.objective === "random-init"))
    ?.objective ?? "";
  const byKey = new Map<string, ExampleRow[]>();
  for (const e of examples) {
    const k = linkKey({ ...e, objective: e.objective || own });
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k)!.push(e);
  }
  const linked = new Map<string, ExampleRow[]>();
  for (const r of rows) {
    const splits = new Set(r.split.split("+"));
    const mine = (byKey.get(linkKey(r)) ?? []).filter((e) =>
      (e.split === "" || splits.has(e.split)) && (e.metric === "" || e.metric === r.metric)
    );
    if (mine.length) linked.set(key(r), mine);
  }
  return linked;
}
