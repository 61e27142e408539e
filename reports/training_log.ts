/**
 * Training logs (`train_log.csv`, written by train/log.ts) as the loss-curve plots read them, and which run
 * each belongs to.
 */
import { dirname, join } from "node:path";
import { readRecord, RECORD_FILE } from "../artifacts/record.ts";
import { columnIndex, parseCsvTable, parseField, readTableText } from "../results/csv.ts";
import { InputError } from "../util/errors.ts";

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
  const rows = parseTrainingLogCsv(await readTableText(path, "training log"), path);
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
