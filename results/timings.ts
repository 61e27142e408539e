/**
 * timings.csv: what a measurement cost in wall-clock and where it came from, beside results.csv and
 * joined to its rows by measurement (results/rows.ts measurementKey). Kept out of results.csv because it
 * changes from one identical run to the next: `pretrain_seconds` is the checkpoint's pretraining
 * wall-clock (plus the LM fine-tune for an LM-fine-tuned decoder, as its compute columns count it),
 * `eval_seconds` the fine-tuning and scoring behind the value, `checkpoint` the artifact that holds the
 * checkpoint (its key changes with the code version).
 */
import { writeFileAtomic } from "../util/fs.ts";
import { columnIndex, type FieldKind, formatCsv, parseCsvTable, parseField, readTableText } from "./csv.ts";
import { MEASUREMENT_COLUMNS, type MeasurementFields, measurementKey, RESULT_COLUMN_KINDS } from "./rows.ts";

/** Columns of timings.csv. */
export const TIMING_COLUMNS = [...MEASUREMENT_COLUMNS, "pretrain_seconds", "eval_seconds", "checkpoint"] as const;

/** One measurement's wall-clock and checkpoint. */
export interface TimingRow extends MeasurementFields {
  pretrain_seconds: number;
  /** null when not recorded. */
  eval_seconds: number | null;
  checkpoint: string;
}

const KINDS: Record<(typeof TIMING_COLUMNS)[number], FieldKind> = {
  ...RESULT_COLUMN_KINDS,
  pretrain_seconds: "nonnegative",
  eval_seconds: "nonnegative",
  checkpoint: "text",
};

/** Parses timings.csv text. */
export function parseTimingsCsv(text: string, file: string): TimingRow[] {
  const { header, records } = parseCsvTable(text, file);
  const index = columnIndex(header, TIMING_COLUMNS, file, "timings");
  return records.map(({ line, fields }) =>
    Object.fromEntries(TIMING_COLUMNS.map((c) => {
      const raw = fields[index.get(c)!] ?? "";
      return [c, c === "eval_seconds" && raw.trim() === "" ? null : parseField(raw, KINDS[c], c, file, line)];
    })) as unknown as TimingRow
  );
}

/** Reads a timings.csv file. */
export async function readTimings(path: string): Promise<TimingRow[]> {
  return parseTimingsCsv(await readTableText(path, "timings"), path);
}

/** timings.csv text. */
export function formatTimingsCsv(rows: readonly TimingRow[]): string {
  return formatCsv(TIMING_COLUMNS, rows as unknown as Record<string, unknown>[]);
}

/** Writes timings.csv atomically. */
export function writeTimings(path: string, rows: readonly TimingRow[]): Promise<void> {
  return writeFileAtomic(path, formatTimingsCsv(rows));
}

/** Timings by measurement (the first of several rows of one measurement). */
export function timingIndex(rows: readonly TimingRow[]): Map<string, TimingRow> {
  const index = new Map<string, TimingRow>();
  for (const t of rows) {
    const k = measurementKey(t);
    if (!index.has(k)) index.set(k, t);
  }
  return index;
}
