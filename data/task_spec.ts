/**
 * A sentence or sentence-pair classification/regression task described as data (like the task-to-keys
 * table of Hugging Face's run_glue.py): which file holds each split, which columns hold text A, text B
 * and the label, what the labels are, and which metrics score it. The GLUE tasks are such specs
 * (data/glue.ts); a custom task is the same spec read from a small JSON file.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { excerpt, InputError, oneLine } from "../util/errors.ts";
import { jsonErrorLine, lineOfPath } from "../util/json_lines.ts";
import { exists } from "../util/fs.ts";
import { requireCached } from "./cache.ts";
import { columnIndex, decodeUtf8, readBytes, readTsv, splitLines } from "./tsv.ts";

/** A column: a header name, or a 0-based index in a file without a header; a key in a JSONL file. */
export type ColumnRef = string | number;

/** Labels: class strings as written in the file (index = position), or a score in a closed range. */
export type LabelSpec =
  | { type: "classes"; classes: string[] }
  | { type: "regression"; range: [number, number] };

/** What one split's file does differently from the rest of the spec (XNLI's translate-train file). */
export interface SplitOverride {
  header?: boolean;
  columns?: number;
  textA?: ColumnRef;
  textB?: ColumnRef;
  label?: ColumnRef;
  labels?: LabelSpec;
  /** The languages that have this split (a subset of the spec's). */
  languages?: string[];
}

/**
 * A task. Split files are relative: to the data cache for the registry's tasks (evals/tasks/), to the
 * spec's folder for a custom spec file (loadTaskSpec makes them absolute). A file may hold a `{lang}`
 * placeholder when the spec lists `languages` (see {@link splitSpec}).
 */
export interface TaskSpec {
  /** The task's name in result rows and on the command line. */
  name: string;
  /** Display name in tables ("SST-2"); defaults to the name. */
  title?: string;
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
  /** Dev sets scored each epoch: result name -> split. Default: every split but train and test, under its own name. */
  devSets?: Record<string, string>;
  /** The score that picks the best epoch (GLUE: the one the paper reports). Default: see {@link selectByOf}. */
  selectBy?: string;
  /** Languages a `{lang}` placeholder in the split files takes. */
  languages?: string[];
  /** split -> the name result rows and tables give it, where the file is not what its split name says (MRPC's dev file is the MSR test set). */
  splitLabels?: Record<string, string>;
  /** split -> what its file does differently. */
  splitOverrides?: Record<string, SplitOverride>;
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

/** Options of the spec readers. */
export interface SpecOptions {
  /** The file's text, for the line of a bad key in error messages. */
  text?: string;
  /** Allow split files outside the spec's folder (absolute paths, ".." segments): `--allow-outside`. */
  allowOutside?: boolean;
}

const SPEC_KEYS = [
  "header",
  "columns",
  "textA",
  "textB",
  "label",
  "labels",
  "metrics",
  "skipBrokenRows",
  "devSets",
  "selectBy",
  "languages",
  "splitLabels",
  "splitOverrides",
];
const OVERRIDE_KEYS = ["header", "columns", "textA", "textB", "label", "labels", "languages"];

/** The placeholder a split file names its language by. */
export const LANG_PLACEHOLDER = "{lang}";

/** Throws the InputError for a bad `key` of a spec file: file, the key's line when the text is known, message. */
export type SpecFail = (key: string, message: string) => never;

/** A {@link SpecFail} for `file` (its text, when given, locates the key's line). */
export function specFail(file: string, text?: string, prefix = "task spec"): SpecFail {
  return (key, message) => {
    throw new InputError(`${prefix}: ${message}`, file, text === undefined ? undefined : lineOfPath(text, key) ?? 1);
  };
}

/**
 * Checks that a split file stays inside the spec's folder (the data cache for the registry's tasks): an
 * absolute path or a ".." segment is refused, naming the key, unless `allowOutside`.
 */
export function checkSplitPath(path: string, key: string, fail: SpecFail, allowOutside = false): void {
  if (allowOutside) return;
  const absolute = isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith("\\");
  if (absolute || path.split(/[\\/]/).includes("..")) {
    fail(
      key,
      `"${key}" is ${excerpt(path)}: ${absolute ? "an absolute path" : 'a path with ".."'}; a task spec may only ` +
        "name files inside its own folder (pass --allow-outside to allow others)",
    );
  }
}

/** The keys every kind of task file has. */
export const COMMON_KEYS = ["kind", "name", "title", "description", "format", "splits"] as const;

/**
 * Checks what every kind of task file shares: only `keys` (plus {@link COMMON_KEYS}), `kind` (if given)
 * equal to `kind`, a name, optional title and description, and splits naming files inside the folder.
 */
export function checkTaskHead(
  value: unknown,
  kind: string,
  keys: readonly string[],
  fail: SpecFail,
  options: SpecOptions = {},
): asserts value is Record<string, unknown> {
  if (!isRecord(value)) return fail("", "expected a JSON object");
  const allowed = [...COMMON_KEYS, ...keys];
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(key, `unknown key ${excerpt(key)} (allowed: ${allowed.join(", ")})`);
  }
  const { name, title, description, splits } = value;
  if (value.kind !== undefined && value.kind !== kind) {
    fail("kind", `"kind" is ${excerpt(String(value.kind))}; expected ${JSON.stringify(kind)} here`);
  }
  if (typeof name !== "string" || name === "") fail("name", `"name" must be a non-empty string`);
  if (title !== undefined && (typeof title !== "string" || title === "")) {
    fail("title", `"title" must be a non-empty string`);
  }
  if (description !== undefined && typeof description !== "string") {
    fail("description", `"description" must be a string`);
  }
  if (!isRecord(splits) || Object.keys(splits).length === 0) fail("splits", `"splits" must map split names to files`);
  for (const [split, path] of Object.entries(splits as Record<string, unknown>)) {
    const key = `splits.${split}`;
    if (typeof path !== "string" || path === "") fail(key, `"${key}" must be a file path`);
    checkSplitPath(path as string, key, fail, options.allowOutside);
  }
}

/** Checks a parsed JSON value is a TaskSpec; any problem is an InputError naming `file`, the key and its line. */
export function validateTaskSpec(value: unknown, file: string, options: SpecOptions = {}): TaskSpec {
  const fail = specFail(file, options.text);
  checkTaskHead(value, "finetune", SPEC_KEYS, fail, options);
  const { name, title, description, splits, metrics, devSets, selectBy, languages, splitLabels, splitOverrides } =
    value;
  const format = value.format ?? "tsv";
  const skipBrokenRows = value.skipBrokenRows ?? false;
  if (format !== "tsv" && format !== "jsonl") {
    fail("format", `"format" must be "tsv" or "jsonl", got ${excerpt(String(format))}`);
  }
  if (languages !== undefined) checkLanguages(languages, "languages", fail);
  for (const [split, path] of Object.entries(splits as Record<string, string>)) {
    if (path.includes(LANG_PLACEHOLDER) && languages === undefined) {
      fail(`splits.${split}`, `"splits.${split}" names ${LANG_PLACEHOLDER} but the spec lists no "languages"`);
    }
  }
  if (typeof skipBrokenRows !== "boolean") fail("skipBrokenRows", `"skipBrokenRows" must be true or false`);
  checkReading(value, format as "tsv" | "jsonl", "", fail);

  if (!Array.isArray(metrics) || metrics.length === 0) fail("metrics", `"metrics" must list at least one metric`);
  for (const metric of metrics as unknown[]) {
    if (!KNOWN_METRICS.includes(metric as typeof KNOWN_METRICS[number])) {
      fail("metrics", `unknown metric ${excerpt(String(metric))} (known: ${KNOWN_METRICS.join(", ")})`);
    }
  }

  if (devSets !== undefined) {
    if (!isRecord(devSets) || Object.keys(devSets).length === 0) fail("devSets", `"devSets" must map names to splits`);
    for (const [devName, split] of Object.entries(devSets as Record<string, unknown>)) {
      if (typeof split !== "string" || !Object.hasOwn(splits as object, split)) {
        fail(
          `devSets.${devName}`,
          `"devSets.${devName}" must name one of the splits (${Object.keys(splits!).join(", ")})`,
        );
      }
    }
  }

  if (splitLabels !== undefined) {
    if (!isRecord(splitLabels)) fail("splitLabels", `"splitLabels" must map splits to names`);
    for (const [split, label] of Object.entries(splitLabels as Record<string, unknown>)) {
      const key = `splitLabels.${split}`;
      if (!Object.hasOwn(splits as object, split)) fail(key, `"${key}": no split ${excerpt(split)} in "splits"`);
      if (typeof label !== "string" || label.trim() === "") fail(key, `"${key}" must be a non-empty name`);
    }
  }

  if (splitOverrides !== undefined) {
    if (!isRecord(splitOverrides)) fail("splitOverrides", `"splitOverrides" must map splits to changed keys`);
    for (const [split, override] of Object.entries(splitOverrides as Record<string, unknown>)) {
      const key = `splitOverrides.${split}`;
      if (!Object.hasOwn(splits as object, split)) fail(key, `"${key}": no split ${excerpt(split)} in "splits"`);
      if (!isRecord(override)) return fail(key, `"${key}" must be an object`);
      for (const k of Object.keys(override)) {
        if (!OVERRIDE_KEYS.includes(k)) {
          fail(`${key}.${k}`, `unknown key "${key}.${excerpt(k).slice(1, -1)}" (allowed: ${OVERRIDE_KEYS.join(", ")})`);
        }
      }
      if (override.languages !== undefined) {
        checkLanguages(override.languages, `${key}.languages`, fail);
        const outside = (override.languages as string[]).filter((l) =>
          !(languages as string[] | undefined)?.includes(l)
        );
        if (outside.length) {
          fail(`${key}.languages`, `"${key}.languages" names languages not in "languages": ${outside.join(", ")}`);
        }
      }
      checkReading({ ...value, ...override }, format as "tsv" | "jsonl", `${key}.`, fail);
    }
  }

  const spec: TaskSpec = {
    name: name as string,
    ...(title !== undefined ? { title: title as string } : {}),
    ...(description !== undefined ? { description: description as string } : {}),
    format: format as "tsv" | "jsonl",
    splits: { ...(splits as Record<string, string>) },
    header: format === "tsv" ? value.header as boolean : false,
    ...(value.columns !== undefined ? { columns: value.columns as number } : {}),
    textA: value.textA as ColumnRef,
    ...(value.textB !== undefined ? { textB: value.textB as ColumnRef } : {}),
    label: value.label as ColumnRef,
    labels: value.labels as LabelSpec,
    metrics: [...metrics as string[]],
    skipBrokenRows: skipBrokenRows as boolean,
    ...(devSets !== undefined ? { devSets: { ...(devSets as Record<string, string>) } } : {}),
    ...(selectBy !== undefined ? { selectBy: selectBy as string } : {}),
    ...(languages !== undefined ? { languages: [...languages as string[]] } : {}),
    ...(splitLabels !== undefined ? { splitLabels: { ...(splitLabels as Record<string, string>) } } : {}),
    ...(splitOverrides !== undefined
      ? { splitOverrides: structuredClone(splitOverrides as Record<string, SplitOverride>) }
      : {}),
  };
  if (selectBy !== undefined) {
    const keys = scoreKeys(spec, true);
    if (typeof selectBy !== "string" || !keys.includes(selectBy)) {
      fail("selectBy", `"selectBy" must be one of the task's scores (${keys.join(", ")})`);
    }
  }
  return spec;
}

/** Checks a language list. */
function checkLanguages(value: unknown, key: string, fail: SpecFail): void {
  if (
    !Array.isArray(value) || value.length === 0 || !value.every((l) => typeof l === "string" && /^[a-z]{2,3}$/.test(l))
  ) {
    fail(key, `"${key}" must list language codes (e.g. ["en", "de"])`);
  }
}

/** Checks how a file is read: header and columns, the three column references, the labels. `at` prefixes keys. */
function checkReading(value: Record<string, unknown>, format: "tsv" | "jsonl", at: string, fail: SpecFail): void {
  const { header, columns, textA, textB, label, labels } = value;
  if (format === "tsv" && typeof header !== "boolean") {
    fail(`${at}header`, `"header" must be true or false for a TSV task`);
  }
  if (format === "jsonl" && (header !== undefined || columns !== undefined)) {
    fail(`${at}header`, `"header" and "columns" apply to TSV tasks only`);
  }
  if (columns !== undefined && !(Number.isInteger(columns) && (columns as number) > 0)) {
    fail(`${at}columns`, `"columns" must be a positive integer`);
  }
  if (format === "tsv" && header === false && columns === undefined) {
    fail(`${at}header`, `"columns" is required without a header`);
  }

  const byIndex = format === "tsv" && header === false;
  const checkColumn = (key: string, ref: unknown, optional: boolean) => {
    if (ref === undefined && optional) return;
    if (byIndex) {
      if (!(Number.isInteger(ref) && (ref as number) >= 0 && (ref as number) < (columns as number))) {
        fail(`${at}${key}`, `"${key}" must be a column index in [0, ${columns}) for a file without a header`);
      }
    } else if (typeof ref !== "string" || ref === "") {
      fail(`${at}${key}`, `"${key}" must be a ${format === "tsv" ? "header column name" : "JSON key"}`);
    }
  };
  checkColumn("textA", textA, false);
  checkColumn("textB", textB, true);
  checkColumn("label", label, false);

  const lfail = (key: string, message: string) => fail(`${at}labels.${key}`, message);
  if (!isRecord(labels)) {
    return fail(`${at}labels`, `"labels" must be {"type": "classes", ...} or {"type": "regression", ...}`);
  }
  if (labels.type === "classes") {
    for (const key of Object.keys(labels)) {
      if (key !== "type" && key !== "classes") lfail(key, `unknown key "labels.${excerpt(key).slice(1, -1)}"`);
    }
    const classes = labels.classes;
    if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === "string")) {
      lfail("classes", `"labels.classes" must list at least two label strings`);
    }
    if (new Set(classes as string[]).size !== (classes as string[]).length) {
      lfail("classes", `"labels.classes" repeats a class`);
    }
  } else if (labels.type === "regression") {
    for (const key of Object.keys(labels)) {
      if (key !== "type" && key !== "range") lfail(key, `unknown key "labels.${excerpt(key).slice(1, -1)}"`);
    }
    const range = labels.range;
    if (
      !Array.isArray(range) || range.length !== 2 || !range.every((x) => Number.isFinite(x)) ||
      !(range[0] < range[1])
    ) {
      lfail("range", `"labels.range" must be [low, high] with low < high`);
    }
  } else {
    lfail("type", `"labels.type" must be "classes" or "regression", got ${excerpt(String(labels.type))}`);
  }
}

/** The dev sets a task is scored on each epoch: result name -> split (see {@link TaskSpec.devSets}). */
export function devSetsOf(spec: TaskSpec): Record<string, string> {
  if (spec.devSets) return { ...spec.devSets };
  const names = Object.keys(spec.splits).filter((s) => s !== "train" && s !== "test");
  return Object.fromEntries(names.map((s) => [s, s]));
}

/**
 * The score keys a task produces: `metric` with one dev set; with several, `metric_<dev set>` and
 * `metric_pooled` (pooled left out unless `pooled`: GLUE reports the dev sets, not their pool).
 */
export function scoreKeys(spec: TaskSpec, pooled = false): string[] {
  const dev = Object.keys(devSetsOf(spec));
  if (dev.length <= 1) return [...spec.metrics];
  return spec.metrics.flatMap((m) => [...dev.map((d) => `${m}_${d}`), ...(pooled ? [`${m}_pooled`] : [])]);
}

/** The name rows and tables give `split` of `spec`: its `splitLabels` entry, else the split's own name. */
export function splitLabel(spec: TaskSpec, split: string): string {
  return spec.splitLabels?.[split] ?? split;
}

/** The score that picks the best epoch: the spec's `selectBy`, else the first metric (pooled over several dev sets). */
export function selectByOf(spec: TaskSpec): string {
  if (spec.selectBy) return spec.selectBy;
  return Object.keys(devSetsOf(spec)).length <= 1 ? spec.metrics[0] : `${spec.metrics[0]}_pooled`;
}

/**
 * The spec of one split alone: its file with `{lang}` filled in, its overrides applied. A language the
 * split does not have is an InputError listing those it has.
 */
export function splitSpec(spec: TaskSpec, split: string, lang?: string): TaskSpec {
  const file = spec.splits[split];
  if (file === undefined) {
    throw new InputError(
      `task ${spec.title ?? spec.name} has no split "${split}" (splits: ${Object.keys(spec.splits).join(", ")})`,
    );
  }
  const { languages: splitLanguages, ...override } = spec.splitOverrides?.[split] ?? {};
  const { splitOverrides: _o, languages, devSets: _d, selectBy: _s, splitLabels: _l, ...rest } = spec;
  const out: TaskSpec = { ...structuredClone(rest), ...structuredClone(override), splits: { [split]: file } };
  if (!file.includes(LANG_PLACEHOLDER)) return out;
  const known = splitLanguages ?? languages ?? [];
  if (lang === undefined || !known.includes(lang)) {
    throw new InputError(
      `task ${spec.title ?? spec.name}: ${
        lang === undefined ? "no language given" : `no ${split} file for ${excerpt(lang)}`
      } (${split} languages: ${known.join(", ")})`,
    );
  }
  out.splits[split] = file.replaceAll(LANG_PLACEHOLDER, lang);
  return out;
}

/**
 * Reads a custom task spec from a JSON file. Relative split paths are taken relative to the spec
 * file's folder and returned absolute; paths leaving that folder are refused unless `allowOutside`.
 */
export async function loadTaskSpec(path: string, options: { allowOutside?: boolean } = {}): Promise<TaskSpec> {
  const text = decodeUtf8(await readBytes(path), path);
  const spec = validateTaskSpec(parseSpecJson(text, path), path, { text, allowOutside: options.allowOutside });
  const folder = dirname(resolve(path));
  for (const [split, file] of Object.entries(spec.splits)) spec.splits[split] = resolve(folder, file);
  return spec;
}

/** JSON.parse of a spec file's text; invalid JSON is an InputError naming the file and the line. */
export function parseSpecJson(text: string, file: string, prefix = "task spec"): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    throw new InputError(`${prefix} is not valid JSON: ${oneLine(message)}`, file, jsonErrorLine(text, message));
  }
}

/**
 * Loads one split of a task (`lang` fills a `{lang}` placeholder; the split's overrides apply): relative
 * files are looked up in the data cache (a missing one says how to fetch it), absolute ones as they are.
 * A label outside the spec is an InputError naming file and line.
 */
export async function loadExamples(
  spec: TaskSpec,
  split: string,
  cacheDir: string,
  lang?: string,
): Promise<LoadedExamples> {
  const one = splitSpec(spec, split, lang);
  const file = one.splits[split];
  let path = file;
  if (!isAbsolute(file)) path = await requireCached(cacheDir, file);
  else if (!(await exists(file))) {
    throw new InputError(`file not found (split "${split}" of task ${spec.title ?? spec.name})`, file);
  }
  return one.format === "jsonl" ? await loadJsonl(one, path) : await loadTsv(one, path);
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
        throw new InputError(`label ${excerpt(raw)} is not one of ${labels.classes.join(", ")}`, file, line);
      }
      return i;
    };
  }
  const [low, high] = labels.range;
  return (raw, line) => {
    const x = raw.trim() === "" ? NaN : Number(raw);
    if (!(x >= low && x <= high)) {
      throw new InputError(`label ${excerpt(raw)} is not a number in [${low}, ${high}]`, file, line);
    }
    return x;
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
