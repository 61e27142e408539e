/**
 * Tab-separated files as the GLUE, MSR and XNLI releases write them: tab-delimited with **no quote
 * character** (the texts contain quotes, which are kept as they are), an optional header row, UTF-8
 * (a leading byte-order mark, as in the MSR paraphrase files, is dropped; CRLF line ends are accepted).
 */
import { excerpt, EXCERPT_CHARS, InputError } from "../util/errors.ts";

/** One data row and the 1-based line it came from. */
export interface TsvRow {
  line: number;
  fields: string[];
}

/** A parsed file: its header (when it has one), its rows, and the lines of broken rows that were skipped. */
export interface TsvTable {
  file: string;
  header?: string[];
  /** Columns every row must have. */
  width: number;
  rows: TsvRow[];
  /** 1-based lines of rows skipped for a wrong column count (only with `skipBrokenRows`). */
  skipped: number[];
}

/** How to read a file. */
export interface TsvOptions {
  header: boolean;
  /** Expected column count; defaults to the header's width, or without a header to the first row's. */
  columns?: number;
  /** Skip (and count) rows with a wrong column count instead of failing: for files known to hold broken rows. */
  skipBrokenRows?: boolean;
}

/** Decodes UTF-8 strictly; invalid bytes are an InputError naming the file and the line they sit on. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Only on failure: decode line by line to find where (a 0x0A byte never occurs inside a UTF-8 sequence).
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let start = 0;
    for (let line = 1;; line++) {
      const end = bytes.indexOf(0x0a, start);
      const slice = bytes.subarray(start, end === -1 ? bytes.length : end);
      try {
        decoder.decode(slice);
      } catch {
        throw new InputError("not valid UTF-8 (expected UTF-8 text)", file, line);
      }
      if (end === -1) throw new InputError("not valid UTF-8 (expected UTF-8 text)", file);
      start = end + 1;
    }
  }
}

/** Splits text into lines: `\n` or `\r\n` ends a line, the last line needs no terminator, trailing blank lines are dropped. */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  while (lines.length > 0 && (lines.at(-1) === "" || lines.at(-1) === "\r")) lines.pop();
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].endsWith("\r")) lines[i] = lines[i].slice(0, -1);
  }
  return lines;
}

/** Parses TSV text; a row with the wrong column count is an InputError naming file, line and the expected count. */
export function parseTsv(text: string, file: string, options: TsvOptions): TsvTable {
  const lines = splitLines(text);
  let header: string[] | undefined;
  let first = 0;
  if (options.header) {
    if (lines.length === 0) throw new InputError("empty file, expected a header row", file, 1);
    header = lines[0].split("\t");
    const seen = new Set<string>();
    for (const name of header) {
      if (seen.has(name)) throw new InputError(`header names column ${excerpt(name)} twice`, file, 1);
      seen.add(name);
    }
    first = 1;
    if (options.columns !== undefined && header.length !== options.columns) {
      throw new InputError(`header has ${header.length} columns, expected ${options.columns}`, file, 1);
    }
  }
  const width = options.columns ?? header?.length ?? (lines.length > 0 ? lines[0].split("\t").length : 0);
  const rows: TsvRow[] = [];
  const skipped: number[] = [];
  for (let i = first; i < lines.length; i++) {
    const fields = lines[i].split("\t");
    if (fields.length !== width) {
      if (options.skipBrokenRows) {
        skipped.push(i + 1);
        continue;
      }
      const names = header ? ` (${headerList(header)})` : "";
      throw new InputError(`${fields.length} tab-separated columns, expected ${width}${names}`, file, i + 1);
    }
    rows.push({ line: i + 1, fields });
  }
  return { file, header, width, rows, skipped };
}

/** Reads and parses a TSV file; a missing file is an InputError naming it. */
export async function readTsv(path: string, options: TsvOptions): Promise<TsvTable> {
  return parseTsv(decodeUtf8(await readBytes(path), path), path, options);
}

/** Reads a file's bytes; a missing file is an InputError naming it. */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError("file not found", path);
    throw e;
  }
}

/**
 * The index of a column: by header name (files with a header) or by 0-based index (files without);
 * a name not in the header or an index past the width is an InputError naming the file.
 */
export function columnIndex(table: TsvTable, ref: string | number): number {
  if (typeof ref === "number") {
    if (!Number.isInteger(ref) || ref < 0 || ref >= table.width) {
      throw new InputError(`column index ${ref} out of range: rows have ${table.width} columns`, table.file);
    }
    return ref;
  }
  if (!table.header) throw new InputError(`column "${ref}" named, but the file has no header row`, table.file);
  const index = table.header.indexOf(ref);
  if (index === -1) {
    throw new InputError(`no column "${ref}" in the header (columns: ${headerList(table.header)})`, table.file, 1);
  }
  return index;
}

/** A header as error messages list it: as written when short and plain, else an escaped excerpt (it is the file's text). */
function headerList(header: string[]): string {
  const text = header.join(", ");
  return text.length <= EXCERPT_CHARS && /^[^\p{Cc}"\\]*$/u.test(text) ? text : excerpt(text);
}
