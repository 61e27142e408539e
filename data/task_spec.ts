/**
 * A sentence or sentence-pair classification/regression task described as data (like the task-to-keys
 * table of Hugging Face's run_glue.py): which file holds each split, which columns hold text A, text B
 * and the label, what the labels are, and which metrics score it. The GLUE tasks are such specs
 * (data/glue.ts); a custom task is the same spec read from a small JSON file.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { requireCached } from "./cache.ts";
import { columnIndex, decodeUtf8, readBytes, readTsv, splitLines } from "./tsv.ts";

/** A column: a header name, or a 0-based index in a file without a header; a key in a JSONL file. */
export type ColumnRef = string | number;

/** Labels: class strings as written in the file (index = position), or a score in a closed range. */
export type LabelSpec =
  | { type: "classes"; classes: string[] }
  | { type: "regression"; range: [number, number] };

/** A task. Split files are relative to the data cache, or absolute. */
export interface TaskSpec {
  name: string;
  description?: string;
  format: "tsv" | "jsonl";
  /** split name -> file */
  splits: Record<string, string>;
  /** TSV only: whether the first line is a header. */
  header: boolean;
  /** TSV only: the column count rows must have (defaults to the header's width). */
  columns?: number;
  textA: ColumnRef;
  textB?: ColumnRef;
  label: ColumnRef;
  labels: LabelSpec;
  metrics: string[];
  /** Skip (and count) rows with a wrong column count: for official files known to hold broken rows (QQP). */
  skipBrokenRows: boolean;
}

/** One example: label is the class index, or the score for regression. */
export interface Example {
  textA: string;
  textB?: string;
  label: number;
}

/** What loadExamples returns: the examples and how many broken rows were skipped. */
export interface LoadedExamples {
  examples: Example[];
  skipped: number;
}

/** Metric names a spec may ask for. */
export const KNOWN_METRICS = ["accuracy", "f1", "mcc", "pearson", "spearman"] as const;

const SPEC_KEYS = [
  "name",
  "description",
  "format",
  "splits",
  "header",
  "columns",
  "textA",
  "textB",
  "label",
  "labels",
  "metrics",
  "skipBrokenRows",
];

/** Checks a parsed JSON value is a TaskSpec; any problem is an InputError naming `file` and the key. */
export function validateTaskSpec(value: unknown, file: string): TaskSpec {
  const fail: (message: string) => never = (message) => {
    throw new InputError(`task spec: ${message}`, file);
  };
  if (!isRecord(value)) return fail("expected a JSON object");
  for (const key of Object.keys(value)) {
    if (!SPEC_KEYS.includes(key)) fail(`unknown key "${key}" (allowed: ${SPEC_KEYS.join(", ")})`);
  }
  const { name, description, splits, header, columns, textA, textB, label, labels, metrics } = value;
  const format = value.format ?? "tsv";
  const skipBrokenRows = value.skipBrokenRows ?? false;

  if (typeof name !== "string" || name === "") fail(`"name" must be a non-empty string`);
  if (description !== undefined && typeof description !== "string") fail(`"description" must be a string`);
  if (format !== "tsv" && format !== "jsonl") fail(`"format" must be "tsv" or "jsonl", got ${JSON.stringify(format)}`);
  if (!isRecord(splits) || Object.keys(splits).length === 0) fail(`"splits" must map split names to files`);
  for (const [split, path] of Object.entries(splits as Record<string, unknown>)) {
    if (typeof path !== "string" || path === "") fail(`"splits.${split}" must be a file path`);
  }
  if (format === "tsv" && typeof header !== "boolean") fail(`"header" must be true or false for a TSV task`);
  if (format === "jsonl" && (header !== undefined || columns !== undefined)) {
    fail(`"header" and "columns" apply to TSV tasks only`);
  }
  if (columns !== undefined && !(Number.isInteger(columns) && (columns as number) > 0)) {
    fail(`"columns" must be a positive integer`);
  }
  if (format === "tsv" && header === false && columns === undefined) fail(`"columns" is required without a header`);
  if (typeof skipBrokenRows !== "boolean") fail(`"skipBrokenRows" must be true or false`);

  const byIndex = format === "tsv" && header === false;
  const checkColumn = (key: string, ref: unknown, optional: boolean) => {
    if (ref === undefined && optional) return;
    if (byIndex) {
      if (!(Number.isInteger(ref) && (ref as number) >= 0 && (ref as number) < (columns as number))) {
        fail(`"${key}" must be a column index in [0, ${columns}) for a file without a header`);
      }
    } else if (typeof ref !== "string" || ref === "") {
      fail(`"${key}" must be a ${format === "tsv" ? "header column name" : "JSON key"}`);
    }
  };
  checkColumn("textA", textA, false);
  checkColumn("textB", textB, true);
  checkColumn("label", label, false);

  if (!isRecord(labels)) return fail(`"labels" must be {"type": "classes", ...} or {"type": "regression", ...}`);
  if (labels.type === "classes") {
    for (const key of Object.keys(labels)) if (key !== "type" && key !== "classes") fail(`unknown key "labels.${key}"`);
    const classes = labels.classes;
    if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === "string")) {
      fail(`"labels.classes" must list at least two label strings`);
    }
    if (new Set(classes as string[]).size !== (classes as string[]).length) fail(`"labels.classes" repeats a class`);
  } else if (labels.type === "regression") {
    for (const key of Object.keys(labels)) if (key !== "type" && key !== "range") fail(`unknown key "labels.${key}"`);
    const range = labels.range;
    if (
      !Array.isArray(range) || range.length !== 2 || !range.every((x) => Number.isFinite(x)) ||
      !(range[0] < range[1])
    ) {
      fail(`"labels.range" must be [low, high] with low < high`);
    }
  } else {
    fail(`"labels.type" must be "classes" or "regression", got ${JSON.stringify(labels.type)}`);
  }

  if (!Array.isArray(metrics) || metrics.length === 0) fail(`"metrics" must list at least one metric`);
  for (const metric of metrics as unknown[]) {
    if (!KNOWN_METRICS.includes(metric as typeof KNOWN_METRICS[number])) {
      fail(`unknown metric ${JSON.stringify(metric)} (known: ${KNOWN_METRICS.join(", ")})`);
    }
  }

  return {
    name: name as string,
    ...(description !== undefined ? { description: description as string } : {}),
    format: format as "tsv" | "jsonl",
    splits: { ...(splits as Record<string, string>) },
    header: format === "tsv" ? header as boolean : false,
    ...(columns !== undefined ? { columns: columns as number } : {}),
    textA: textA as ColumnRef,
    ...(textB !== undefined ? { textB: textB as ColumnRef } : {}),
    label: label as ColumnRef,
    labels: labels as LabelSpec,
    metrics: [...metrics as string[]],
    skipBrokenRows: skipBrokenRows as boolean,
  };
}

/**
 * Reads a custom task spec from a JSON file. Relative split paths are taken relative to the spec
 * file's folder and returned absolute.
 */
export async function loadTaskSpec(path: string): Promise<TaskSpec> {
  const text = decodeUtf8(await readBytes(path), path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`task spec is not valid JSON: ${(e as Error).message}`, path);
  }
  const spec = validateTaskSpec(value, path);
  const folder = dirname(resolve(path));
  for (const [split, file] of Object.entries(spec.splits)) spec.splits[split] = resolve(folder, file);
  return spec;
}

/**
 * Loads one split of a task: relative files are looked up in the data cache (a missing one says how
 * to fetch it), absolute ones as they are. A label outside the spec is an InputError naming file and line.
 */
export async function loadExamples(spec: TaskSpec, split: string, cacheDir: string): Promise<LoadedExamples> {
  const file = spec.splits[split];
  if (file === undefined) {
    throw new InputError(`task ${spec.name} has no split "${split}" (splits: ${Object.keys(spec.splits).join(", ")})`);
  }
  let path = file;
  if (!isAbsolute(file)) path = await requireCached(cacheDir, file);
  else if (!(await exists(file))) throw new InputError(`file not found (split "${split}" of task ${spec.name})`, file);
  return spec.format === "jsonl" ? await loadJsonl(spec, path) : await loadTsv(spec, path);
}

async function loadTsv(spec: TaskSpec, path: string): Promise<LoadedExamples> {
  const table = await readTsv(path, {
    header: spec.header,
    columns: spec.columns,
    skipBrokenRows: spec.skipBrokenRows,
  });
  const a = columnIndex(table, spec.textA);
  const b = spec.textB === undefined ? undefined : columnIndex(table, spec.textB);
  const l = columnIndex(table, spec.label);
  const parse = labelParser(spec.labels, path);
  const examples = table.rows.map(({ line, fields }): Example => {
    const label = parse(fields[l], line);
    return b === undefined ? { textA: fields[a], label } : { textA: fields[a], textB: fields[b], label };
  });
  return { examples, skipped: table.skipped.length };
}

async function loadJsonl(spec: TaskSpec, path: string): Promise<LoadedExamples> {
  const lines = splitLines(decodeUtf8(await readBytes(path), path));
  const parse = labelParser(spec.labels, path);
  const examples: Example[] = [];
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === "") throw new InputError("blank line, expected a JSON object", path, line);
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, path, line);
    }
    if (!isRecord(row)) throw new InputError("expected a JSON object", path, line);
    const field = (key: ColumnRef, what: string): string => {
      const value = row[key as string];
      if (typeof value !== "string") throw new InputError(`expected ${what} as a string under "${key}"`, path, line);
      return value;
    };
    const rawLabel = row[spec.label as string];
    if (typeof rawLabel !== "string" && typeof rawLabel !== "number") {
      throw new InputError(`expected the label as a string or number under "${spec.label}"`, path, line);
    }
    const example: Example = { textA: field(spec.textA, "text A"), label: parse(String(rawLabel), line) };
    if (spec.textB !== undefined) example.textB = field(spec.textB, "text B");
    examples.push(example);
  });
  return { examples, skipped: 0 };
}

/** A function turning a label as written into a class index or score, or an InputError naming file and line. */
export function labelParser(labels: LabelSpec, file: string): (raw: string, line: number) => number {
  if (labels.type === "classes") {
    const index = new Map(labels.classes.map((c, i) => [c, i]));
    return (raw, line) => {
      const i = index.get(raw);
      if (i === undefined) {
        throw new InputError(`label ${JSON.stringify(raw)} is not one of ${labels.classes.join(", ")}`, file, line);
      }
      return i;
    };
  }
  const [low, high] = labels.range;
  return (raw, line) => {
    const x = raw.trim() === "" ? NaN : Number(raw);
    if (!(x >= low && x <= high)) {
      throw new InputError(`label ${JSON.stringify(raw)} is not a number in [${low}, ${high}]`, file, line);
    }
    return x;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
