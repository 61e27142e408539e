/**
 * CSV reading and writing shared by every table the benchmark keeps (results, examples, timings, training
 * logs, summaries): one parser that names the file and line of a bad record, typed field checks, and an
 * atomic writer with a fixed column order.
 */
// @ts-types="../reports/csv_sync.d.ts"
import { parse } from "csv-parse/sync";
// @ts-types="../reports/csv_sync.d.ts"
import { stringify } from "csv-stringify/sync";
import { InputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** A CSV record and the 1-based line it ends on. */
export interface CsvRecord {
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
export function columnIndex(
  header: string[],
  required: readonly string[],
  file: string,
  what: string,
): Map<string, number> {
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

/** What a field must hold: a non-empty name, any text, an integer >= 0, a number > 0, >= 0, or any finite number. */
export type FieldKind = "name" | "text" | "seed" | "positive" | "nonnegative" | "finite";

const KIND_EXPECTED: Record<FieldKind, string> = {
  name: "a non-empty name",
  text: "text",
  seed: "a non-negative integer",
  positive: "a number > 0",
  nonnegative: "a number >= 0",
  finite: "a finite number",
};

/** Checks one field; a bad one is an InputError naming file, line, column and what was expected. */
export function parseField(raw: string, kind: FieldKind, column: string, file: string, line: number): string | number {
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

/** A cell's text: "" for undefined, null and NaN; numbers in shortest round-trip form. */
export function csvCell(v: unknown): string {
  return v === undefined || v === null || (typeof v === "number" && Number.isNaN(v)) ? "" : String(v);
}

/** CSV text of plain records; `columns` fixes the order. */
export function formatCsv(columns: readonly string[], records: readonly Record<string, unknown>[]): string {
  return stringify(records.map((r) => columns.map((c) => csvCell(r[c]))), { header: true, columns: [...columns] });
}

/** Writes a table of plain records as CSV, atomically; `columns` fixes the order; NaN and undefined become "". */
export function writeCsvAtomic(
  path: string,
  columns: readonly string[],
  records: readonly Record<string, unknown>[],
): Promise<void> {
  return writeFileAtomic(path, formatCsv(columns, records));
}

/** Reads a text file for a table, or an InputError naming it and what was expected. */
export async function readTableText(path: string, expected: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`cannot read ${expected} (${(e as Error).message}); expected a ${expected} file`, path);
  }
}
