/**
 * The one row format every number of the benchmark is kept in (`results.csv`), and the training-log rows
 * (`train_log.csv`) the loss curves are drawn from.
 *
 * A result row is one measured value: `value` of `metric` on `task`, for the checkpoint of run
 * (`arch`, `objective`, `seed`) at budget `fraction`, which had used `flops` pretraining FLOPs, `tokens`
 * pretraining tokens and `wall_seconds` of pretraining wall-clock time, on `backend`. `policy` says how
 * the value was picked when a fine-tuning ran several epochs ("best-epoch", "last-epoch"), or is empty.
 * `seed` is the seed of the last random step behind the value (the fine-tuning seed for GLUE and LM
 * fine-tuning, the pretraining seed for a zero-shot score). An optional `pretrain_seed` column names the
 * pretraining run when results of several pretraining seeds are pooled; a row's replicate is then
 * "pretrain_seed/seed" (see {@link replicateLabel}).
 * Values are kept as the scorers return them (fractions for accuracy, MCC, correlations, F1; plain
 * numbers for perplexity): the tables scale them for display, the rows never are.
 */
// @ts-types="./csv_sync.d.ts"
import { parse } from "csv-parse/sync";
// @ts-types="./csv_sync.d.ts"
import { stringify } from "csv-stringify/sync";
import { dirname, join } from "node:path";
import { readRecord, RECORD_FILE } from "../artifacts/record.ts";
import { InputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** Columns of results.csv, in the order they are written. */
export const RESULT_COLUMNS = [
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

/** Optional columns: read when the header has them, written when some row has a value. */
export const OPTIONAL_RESULT_COLUMNS = ["pretrain_seed", "design"] as const;

/** One measured value (see the module comment). */
export interface ResultRow {
  arch: string;
  objective: string;
  seed: number;
  fraction: number;
  flops: number;
  tokens: number;
  wall_seconds: number;
  backend: string;
  task: string;
  metric: string;
  value: number;
  policy: string;
  /** The pretraining seed, where the row says (column `pretrain_seed`, may be empty). */
  pretrain_seed?: number;
  /** The comparison design of the pretraining run (column `design`; empty or absent: the default design). */
  design?: string;
}

/** What each column must hold; "name" = a non-empty string, "text" = any string. */
const COLUMN_KINDS: Record<
  (typeof RESULT_COLUMNS)[number],
  "name" | "text" | "seed" | "positive" | "nonnegative" | "finite"
> = {
  arch: "name",
  objective: "name",
  seed: "seed",
  fraction: "nonnegative",
  flops: "nonnegative",
  tokens: "nonnegative",
  wall_seconds: "nonnegative",
  backend: "text",
  task: "name",
  metric: "name",
  value: "finite",
  policy: "text",
};

const KIND_EXPECTED: Record<string, string> = {
  name: "a non-empty name",
  seed: "a non-negative integer",
  positive: "a number > 0",
  nonnegative: "a number >= 0",
  finite: "a finite number",
};

/** A CSV record and the 1-based line it ends on. */
interface CsvRecord {
  line: number;
  fields: string[];
}

/** Parses CSV text into its header and records, turning csv-parse errors into InputErrors with the line. */
export function parseCsvTable(text: string, file: string): { header: string[]; records: CsvRecord[] } {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, { info: true, skip_empty_lines: true, bom: true }) as unknown as typeof parsed;
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new InputError(`not valid CSV: ${err.message}`, file, err.lines);
  }
  if (parsed.length === 0) throw new InputError("empty file; expected a header line", file, 1);
  const [head, ...rest] = parsed;
  return {
    header: head.record.map((h) => h.trim()),
    records: rest.map((r) => ({ line: r.info.lines, fields: r.record })),
  };
}

/** Index of each required column in `header`, or an InputError naming the ones missing. */
function columnIndex(header: string[], required: readonly string[], file: string, what: string): Map<string, number> {
  const index = new Map(header.map((h, i) => [h, i]));
  const missing = required.filter((c) => !index.has(c));
  if (missing.length) {
    throw new InputError(
      `${what}: missing column(s) ${missing.join(", ")}; expected a header with ${required.join(", ")} (got ${
        header.join(", ")
      })`,
      file,
      1,
    );
  }
  return index;
}

function parseField(raw: string, kind: string, column: string, file: string, line: number): string | number {
  if (kind === "text") return raw;
  if (kind === "name") {
    if (raw.trim() === "") {
      throw new InputError(`column ${column} is empty; expected ${KIND_EXPECTED.name}`, file, line);
    }
    return raw.trim();
  }
  const n = raw.trim() === "" ? NaN : Number(raw);
  const ok = Number.isFinite(n) &&
    (kind === "finite" || (kind === "positive" && n > 0) || (kind === "nonnegative" && n >= 0) ||
      (kind === "seed" && n >= 0 && Number.isInteger(n)));
  if (!ok) {
    throw new InputError(`column ${column} is ${JSON.stringify(raw)}; expected ${KIND_EXPECTED[kind]}`, file, line);
  }
  return n;
}

/** The key that must be unique in a results file: one value per run, checkpoint, task, metric and policy. */
export function rowIdentity(r: ResultRow): string {
  return [r.arch, r.objective, r.design ?? "", r.pretrain_seed ?? "", r.seed, r.fraction, r.task, r.metric, r.policy]
    .join("\u0000");
}

/** A row's replicate: "seed", or "pretrain_seed/seed" when the pretraining seed is given. */
export function replicateLabel(r: Pick<ResultRow, "seed" | "pretrain_seed">): string {
  return r.pretrain_seed === undefined ? String(r.seed) : `${r.pretrain_seed}/${r.seed}`;
}

/** Sorts replicate labels numerically ("2" before "10", "0/1" before "1/0"). */
export function compareReplicates(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/**
 * Parses results.csv text. Every column of {@link RESULT_COLUMNS} must be in the header (in any order);
 * `pretrain_seed` is read when present; other columns are ignored (tasks/evaluate.ts adds detail
 * columns). Every field is validated, and a duplicate row (same run, fraction, task, metric and policy)
 * is an error naming both lines.
 */
export function parseResultsCsv(text: string, file: string): ResultRow[] {
  return parseWithLines(text, file).map((r) => r.row);
}

function parseWithLines(text: string, file: string): { row: ResultRow; line: number }[] {
  const { header, records } = parseCsvTable(text, file);
  const index = columnIndex(header, RESULT_COLUMNS, file, "results");
  const seen = new Map<string, number>();
  return records.map(({ line, fields }) => {
    const row = Object.fromEntries(
      RESULT_COLUMNS.map((c) => [c, parseField(fields[index.get(c)!] ?? "", COLUMN_KINDS[c], c, file, line)]),
    ) as unknown as ResultRow;
    const pretrainSeed = index.has("pretrain_seed") ? (fields[index.get("pretrain_seed")!] ?? "").trim() : "";
    if (pretrainSeed !== "") {
      row.pretrain_seed = parseField(pretrainSeed, "seed", "pretrain_seed", file, line) as number;
    }
    const design = index.has("design") ? (fields[index.get("design")!] ?? "").trim() : "";
    if (design !== "") row.design = design;
    const id = rowIdentity(row);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new InputError(
        `duplicate of line ${first} (${row.arch} ${row.objective} seed ${
          replicateLabel(row)
        } fraction ${row.fraction} ` +
          `${row.task} ${row.metric} policy "${row.policy}"); expected one value per run, fraction, task, metric and policy`,
        file,
        line,
      );
    }
    seen.set(id, line);
    return { row, line };
  });
}

/**
 * Parses several results files' texts into one list; a row repeated in two files (same run, fraction,
 * task, metric and policy) is an error naming both places.
 */
export function mergeResultsCsv(parts: readonly { file: string; text: string }[]): ResultRow[] {
  const seen = new Map<string, string>();
  return parts.flatMap(({ file, text }) =>
    parseWithLines(text, file).map(({ row, line }) => {
      const id = rowIdentity(row);
      const first = seen.get(id);
      if (first !== undefined) {
        throw new InputError(
          `the same result as ${first} (${row.arch} ${row.objective} seed ${
            replicateLabel(row)
          } fraction ${row.fraction} ${row.task} ` +
            `${row.metric} policy "${row.policy}"); expected each result in one file only`,
          file,
          line,
        );
      }
      seen.set(id, `${file}:${line}`);
      return row;
    })
  );
}

/** Reads and validates a results.csv file. */
export async function readResults(path: string): Promise<ResultRow[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`cannot read results (${(e as Error).message}); expected a results.csv file`, path);
  }
  return parseResultsCsv(text, path);
}

/**
 * results.csv text for `rows`: columns in {@link RESULT_COLUMNS} order, then `pretrain_seed` when some row
 * has one; numbers in shortest round-trip form.
 */
export function formatResultsCsv(rows: readonly ResultRow[]): string {
  const columns: (keyof ResultRow)[] = [
    ...RESULT_COLUMNS,
    ...OPTIONAL_RESULT_COLUMNS.filter((c) => rows.some((r) => r[c] !== undefined)),
  ];
  return stringify(rows.map((r) => columns.map((c) => String(r[c] ?? ""))), { header: true, columns });
}

/** Writes results.csv atomically. */
export function writeResults(path: string, rows: readonly ResultRow[]): Promise<void> {
  return writeFileAtomic(path, formatResultsCsv(rows));
}

/** Writes a table of plain records as CSV, atomically; `columns` fixes the order; NaN and undefined become "". */
export function writeCsvAtomic(
  path: string,
  columns: readonly string[],
  records: readonly Record<string, unknown>[],
): Promise<void> {
  const cell = (
    v: unknown,
  ) => (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v)) ? "" : String(v));
  return writeFileAtomic(
    path,
    stringify(records.map((r) => columns.map((c) => cell(r[c]))), { header: true, columns: [...columns] }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Training logs

/** Columns a training log must have (train/log.ts writes more: lr, grad_norm, tokens_per_s). */
export const TRAINING_LOG_COLUMNS = ["step", "tokens", "flops", "seconds", "loss"] as const;

/** One training-log row; columns beyond the required ones are kept as text in `extra`. */
export interface TrainingLogRow {
  step: number;
  tokens: number;
  flops: number;
  seconds: number;
  /** Mean loss since the previous row; NaN where the log says NaN (a diverged run). */
  loss: number;
  extra: Record<string, string>;
}

/** A run's training log and which run it is. */
export interface TrainingLog {
  file: string;
  arch: string;
  objective: string;
  seed: number;
  rows: TrainingLogRow[];
}

/** Parses train_log.csv text; required columns must be numbers (loss may be NaN), extra columns are kept. */
export function parseTrainingLogCsv(text: string, file: string): TrainingLogRow[] {
  const { header, records } = parseCsvTable(text, file);
  const index = columnIndex(header, TRAINING_LOG_COLUMNS, file, "training log");
  const required = new Set<string>(TRAINING_LOG_COLUMNS);
  return records.map(({ line, fields }) => {
    const num = (c: (typeof TRAINING_LOG_COLUMNS)[number]) => {
      const raw = fields[index.get(c)!] ?? "";
      if (c === "loss" && raw.trim() === "NaN") return NaN;
      return parseField(raw, c === "loss" ? "finite" : "nonnegative", c, file, line) as number;
    };
    const extra = Object.fromEntries(header.flatMap((h, i) => (required.has(h) ? [] : [[h, fields[i] ?? ""]])));
    return {
      step: num("step"),
      tokens: num("tokens"),
      flops: num("flops"),
      seconds: num("seconds"),
      loss: num("loss"),
      extra,
    };
  });
}

/**
 * Reads a training log and tells whose it is: from `arch`, `objective` and `seed` columns when the log
 * has them (same value on every row), otherwise from the artifact record of the pretraining run that
 * holds it (artifact.json beside train_log.csv: spec.arch, spec.objective, spec.seed).
 */
export async function readTrainingLog(path: string): Promise<TrainingLog> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`cannot read training log (${(e as Error).message}); expected a train_log.csv file`, path);
  }
  const rows = parseTrainingLogCsv(text, path);
  const fromColumns = ["arch", "objective", "seed"].map((c) => [...new Set(rows.map((r) => r.extra[c]))]);
  if (
    rows.length > 0 &&
    fromColumns.every((values) => values.length === 1 && values[0] !== undefined && values[0].trim() !== "")
  ) {
    const [arch, objective, seed] = fromColumns.map((values) => values[0]!.trim());
    return { file: path, arch, objective, seed: parseField(seed, "seed", "seed", path, 2) as number, rows };
  }
  const recordFile = join(dirname(path), RECORD_FILE);
  const record = await readRecord(dirname(path));
  if (!record) {
    throw new InputError(
      `cannot tell which run this log belongs to: expected arch, objective and seed columns, or a pretraining ` +
        `artifact record beside it (${recordFile})`,
      path,
    );
  }
  const { arch, objective, seed } = (record.spec ?? {}) as { arch?: unknown; objective?: unknown; seed?: unknown };
  if (typeof arch !== "string" || typeof objective !== "string" || !Number.isInteger(seed)) {
    throw new InputError("expected spec.arch, spec.objective (strings) and spec.seed (an integer)", recordFile);
  }
  return { file: path, arch, objective, seed: seed as number, rows };
}
