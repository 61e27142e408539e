/**
 * The one row format every number of the benchmark is kept in (`results.csv`): tidy, one measured value a
 * row, and nothing in it that changes from one identical run to the next (wall-clock lives in timings.csv,
 * results/timings.ts), so a plain `git diff` of two reports shows only rows whose values changed.
 *
 * A row is `value` of `metric` on `task` (its `setup`, `lang` and `split`, scored on `examples` examples)
 * for the checkpoint of model `model` (architecture `arch`) pretrained with `objective` under comparison
 * design `design`, pretraining seed `pretrain_seed`, at budget `fraction`, which had used `flops`
 * pretraining FLOPs and `tokens` pretraining tokens, on `backend`. `seed` is the seed of the last random
 * step behind the value (the fine-tuning seed for GLUE, XNLI and LM fine-tuning; the pretraining seed for a
 * zero-shot score). `policy` says how the value was picked when a fine-tuning ran several epochs
 * ("best-epoch", "last-epoch"), or is empty. References (contracts 3) are rows too: objective
 * "random-init", "majority" or "unigram", fraction 0, flops 0.
 *
 * Values are kept as the scorers return them (fractions for accuracy, MCC, correlations, F1; plain numbers
 * for perplexity and bits per byte): tables scale them for display, rows never are. Metric names come from
 * one vocabulary ({@link canonicalMetric}: `accuracy`, never `acc`). Columns after the standard ones are
 * details (epoch, fine-tuning steps, ...), kept as text.
 *
 * results.csv files of the old layout (wall_seconds in every row, XNLI setup and language in the task name,
 * `acc`) are still read: results/legacy.ts converts them.
 */
import { InputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import {
  columnIndex,
  type CsvRecord,
  type FieldKind,
  formatCsv,
  parseCsvTable,
  parseField,
  readTableText,
} from "./csv.ts";
import { isLegacyHeader, legacyRows } from "./legacy.ts";
import type { TimingRow } from "./timings.ts";
import { canonicalMetric } from "./vocabulary.ts";

/** Columns of results.csv, in the order they are written. */
export const RESULT_COLUMNS = [
  "model",
  "arch",
  "objective",
  "design",
  "pretrain_seed",
  "seed",
  "fraction",
  "flops",
  "tokens",
  "task",
  "setup",
  "lang",
  "split",
  "examples",
  "metric",
  "value",
  "policy",
  "backend",
] as const;

/** One measured value (see the module comment). */
export interface ResultRow {
  model: string;
  arch: string;
  objective: string;
  /** The comparison design the pretraining ran under ("" for the default design). */
  design: string;
  pretrain_seed: number;
  seed: number;
  fraction: number;
  flops: number;
  tokens: number;
  task: string;
  /** How the task was run when it has several ways (XNLI: "en" or "target"); else "". */
  setup: string;
  /** The language scored (XNLI); else "". */
  lang: string;
  /** The split scored, named for what it is (MRPC: "test (MSR)"); several pooled: "a+b". */
  split: string;
  /** Examples scored; null when not recorded. */
  examples: number | null;
  metric: string;
  value: number;
  policy: string;
  backend: string;
  /** Detail columns (epoch, fine-tuning steps, ...), by column name. */
  details?: Record<string, string>;
}

/** How each column of results.csv is parsed. */
export const RESULT_COLUMN_KINDS: Readonly<Record<(typeof RESULT_COLUMNS)[number], FieldKind>> = {
  model: "text",
  arch: "name",
  objective: "name",
  design: "text",
  pretrain_seed: "seed",
  seed: "seed",
  fraction: "nonnegative",
  flops: "nonnegative",
  tokens: "nonnegative",
  task: "name",
  setup: "text",
  lang: "text",
  split: "text",
  examples: "seed",
  metric: "name",
  value: "finite",
  policy: "text",
  backend: "text",
};

/** Columns of results.csv outside a measurement's name: compute, examples scored, metric, value, backend. */
const MEASURED_COLUMNS = ["flops", "tokens", "examples", "metric", "value", "backend"] as const;

/** A column that names a measurement. */
type MeasurementColumn = Exclude<(typeof RESULT_COLUMNS)[number], (typeof MEASURED_COLUMNS)[number]>;

/** The columns that name a measurement (all the others), in results.csv's order. */
export const MEASUREMENT_COLUMNS: readonly MeasurementColumn[] = RESULT_COLUMNS.filter((c): c is MeasurementColumn =>
  !(MEASURED_COLUMNS as readonly string[]).includes(c)
);

/** The fields that name a measurement (MEASUREMENT_COLUMNS). */
export type MeasurementFields = Pick<ResultRow, MeasurementColumn>;

/** One measurement (a checkpoint scored on a task split, one seed and policy): the key of timings and examples. */
export function measurementKey(r: MeasurementFields): string {
  return MEASUREMENT_COLUMNS.map((c) => r[c]).join("\u0000");
}

/** The key that must be unique in a results file: one value per measurement and metric. */
export function rowIdentity(r: MeasurementFields & Pick<ResultRow, "metric">): string {
  return `${measurementKey(r)}\u0000${r.metric}`;
}

/** A row's replicate: "pretrain_seed/seed" (a zero-shot score's seed is its pretraining seed: "1/1"). */
export function replicateLabel(r: Pick<ResultRow, "seed" | "pretrain_seed">): string {
  return `${r.pretrain_seed}/${r.seed}`;
}

/** Sorts replicate labels numerically ("2" before "10", "0/1" before "1/0"). */
export function compareReplicates(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** A row as one line for messages: "encoder cwt seed 0/1 fraction 1 xnli en ar dev accuracy best-epoch". */
export function describeRow(r: ResultRow): string {
  return [
    r.model || r.arch,
    r.objective,
    r.design,
    `seed ${replicateLabel(r)}`,
    `fraction ${r.fraction}`,
    r.task,
    r.setup,
    r.lang,
    r.split,
    r.metric,
    r.policy ? `policy ${r.policy}` : "",
  ].filter((s) => s !== "").join(" ");
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The order rows are written in, so that two runs of the same plan write their rows in the same order:
 * arch, model, design, objective, task, setup, lang, split, metric, policy, fraction, seeds.
 */
export function compareRows(a: ResultRow, b: ResultRow): number {
  return compareText(a.arch, b.arch) || compareText(a.model, b.model) || compareText(a.design, b.design) ||
    compareText(a.objective, b.objective) || compareText(a.task, b.task) || compareText(a.setup, b.setup) ||
    compareText(a.lang, b.lang) || compareText(a.split, b.split) || compareText(a.metric, b.metric) ||
    compareText(a.policy, b.policy) || a.fraction - b.fraction || a.pretrain_seed - b.pretrain_seed ||
    a.seed - b.seed;
}

/** A parsed results file: its rows, the wall-clock an old-layout file carried, and whether it was one. */
export interface ParsedResults {
  rows: ResultRow[];
  /** Timings an old-layout file held in its rows (wall_seconds); none for the current layout. */
  timings: TimingRow[];
  legacy: boolean;
}

/** One parsed row and the line it came from. */
interface LineRow {
  row: ResultRow;
  line: number;
}

function currentRows(header: string[], records: CsvRecord[], file: string): LineRow[] {
  const index = columnIndex(header, RESULT_COLUMNS, file, "results");
  const known = new Set<string>(RESULT_COLUMNS);
  const detailColumns = header.map((h, i) => [h, i] as const).filter(([h]) => !known.has(h));
  return records.map(({ line, fields }) => {
    const row: Record<string, unknown> = {};
    for (const c of RESULT_COLUMNS) {
      const raw = fields[index.get(c)!] ?? "";
      row[c] = c === "examples" && raw.trim() === "" ? null : parseField(raw, RESULT_COLUMN_KINDS[c], c, file, line);
    }
    row.metric = canonicalMetric(row.metric as string);
    const details = Object.fromEntries(detailColumns.map(([h, i]) => [h, fields[i] ?? ""]).filter(([, v]) => v !== ""));
    if (Object.keys(details).length) row.details = details;
    return { row: row as unknown as ResultRow, line };
  });
}

function parseLines(text: string, file: string): { lines: LineRow[]; timings: TimingRow[]; legacy: boolean } {
  const { header, records } = parseCsvTable(text, file);
  if (isLegacyHeader(header)) return { ...legacyRows(header, records, file), legacy: true };
  return { lines: currentRows(header, records, file), timings: [], legacy: false };
}

/**
 * Parses results.csv text of either layout (see the module comment). Every standard column must be in
 * the header (in any order); others are details. Every field is validated, and a second row of the same
 * measurement and metric is an error naming both lines.
 */
export function parseResults(text: string, file: string): ParsedResults {
  const { lines, timings, legacy } = parseLines(text, file);
  const seen = new Map<string, number>();
  for (const { row, line } of lines) {
    const id = rowIdentity(row);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new InputError(
        `duplicate of line ${first} (${describeRow(row)}); expected one value per measurement and metric`,
        file,
        line,
      );
    }
    seen.set(id, line);
  }
  return { rows: lines.map((l) => l.row), timings, legacy };
}

/** The rows of results.csv text (see {@link parseResults}). */
export function parseResultsCsv(text: string, file: string): ResultRow[] {
  return parseResults(text, file).rows;
}

/**
 * Parses several results files' texts into one list. The same row in two files with the same value is
 * kept once (a reference row, e.g. the majority class, is written by every stage of a task); with a
 * different value it is an error naming both places.
 */
export function mergeResults(parts: readonly { file: string; text: string }[]): ParsedResults {
  const seen = new Map<string, { place: string; value: number }>();
  const rows: ResultRow[] = [];
  const timings: TimingRow[] = [];
  let legacy = false;
  for (const { file, text } of parts) {
    const parsed = parseLines(text, file);
    legacy ||= parsed.legacy;
    timings.push(...parsed.timings);
    for (const { row, line } of parsed.lines) {
      const id = rowIdentity(row);
      const first = seen.get(id);
      if (first === undefined) {
        seen.set(id, { place: `${file}:${line}`, value: row.value });
        rows.push(row);
      } else if (first.value !== row.value) {
        throw new InputError(
          `the same result as ${first.place} (${
            describeRow(row)
          }) with another value (${row.value} vs ${first.value}); ` +
            `expected each result once`,
          file,
          line,
        );
      }
    }
  }
  return { rows, timings, legacy };
}

/** The rows of several results files (see {@link mergeResults}). */
export function mergeResultsCsv(parts: readonly { file: string; text: string }[]): ResultRow[] {
  return mergeResults(parts).rows;
}

/** Reads and validates a results.csv file of either layout. */
export async function readResultsFile(path: string): Promise<ParsedResults> {
  return parseResults(await readTableText(path, "results"), path);
}

/** Reads and validates a results.csv file; its rows. */
export async function readResults(path: string): Promise<ResultRow[]> {
  return (await readResultsFile(path)).rows;
}

/**
 * results.csv text for `rows`, sorted by {@link compareRows}: the standard columns, then every detail
 * column some row has, in order of first appearance; numbers in shortest round-trip form.
 */
export function formatResultsCsv(rows: readonly ResultRow[]): string {
  const sorted = [...rows].sort(compareRows);
  const details = [...new Set(sorted.flatMap((r) => Object.keys(r.details ?? {})))];
  return formatCsv(
    [...RESULT_COLUMNS, ...details],
    sorted.map((r) => ({ ...r.details, ...r, details: undefined })),
  );
}

/** Writes results.csv atomically (sorted, see {@link formatResultsCsv}). */
export function writeResults(path: string, rows: readonly ResultRow[]): Promise<void> {
  return writeFileAtomic(path, formatResultsCsv(rows));
}
