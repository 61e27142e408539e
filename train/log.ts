/**
 * Training logs: `train_log.csv` (one row every N steps), `checkpoints.csv` (one row per budget
 * fraction) and a progress line for stderr. On resume the training log is cut back to the rows at or
 * before the checkpoint's step, so a killed-and-resumed run logs each step once.
 */
import { exists, writeFileAtomic } from "../util/fs.ts";
import { formatDuration } from "../util/format.ts";

/** Columns of train_log.csv. */
export const TRAIN_LOG_COLUMNS = [
  "step",
  "tokens",
  "flops",
  "seconds",
  "loss",
  "lr",
  "grad_norm",
  "tokens_per_s",
] as const;

/** One train_log.csv row. `loss` and `grad_norm` are means over the steps since the previous row. */
export type TrainLogRow = Record<(typeof TRAIN_LOG_COLUMNS)[number], number>;

/** Columns of checkpoints.csv. */
export const CHECKPOINT_COLUMNS = [
  "fraction",
  "step",
  "tokens",
  "flops",
  "seconds",
  "valid_loss",
  "checkpoint",
] as const;

/** One checkpoints.csv row. */
export type CheckpointRow = { [K in (typeof CHECKPOINT_COLUMNS)[number]]: K extends "checkpoint" ? string : number };

const header = (columns: readonly string[]) => columns.join(",") + "\n";

/**
 * Prepares train_log.csv: a new file with just the header, or, when resuming from `keepThroughStep`,
 * the existing rows with step <= keepThroughStep (a torn last line from a kill is dropped).
 */
export async function resetTrainLog(path: string, keepThroughStep = 0): Promise<void> {
  let kept: string[] = [];
  if (keepThroughStep > 0 && (await exists(path))) {
    const lines = (await Deno.readTextFile(path)).split("\n").slice(1);
    kept = lines.filter((line) => {
      const fields = line.split(",");
      return fields.length === TRAIN_LOG_COLUMNS.length && fields.every((f) =>
        f !== "" && Number.isFinite(Number(f))
      ) &&
        Number(fields[0]) <= keepThroughStep;
    });
  }
  await writeFileAtomic(path, header(TRAIN_LOG_COLUMNS) + kept.map((l) => l + "\n").join(""));
}

/** Appends one row to train_log.csv. */
export async function appendTrainLog(path: string, row: TrainLogRow): Promise<void> {
  await Deno.writeTextFile(path, TRAIN_LOG_COLUMNS.map((c) => String(row[c])).join(",") + "\n", { append: true });
}

/** Rewrites checkpoints.csv with `rows` (sorted by fraction), atomically. */
export async function writeCheckpointsCsv(path: string, rows: CheckpointRow[]): Promise<void> {
  const sorted = [...rows].sort((a, b) => a.fraction - b.fraction);
  await writeFileAtomic(
    path,
    header(CHECKPOINT_COLUMNS) +
      sorted.map((r) => CHECKPOINT_COLUMNS.map((c) => String(r[c])).join(",") + "\n").join(""),
  );
}

/** One progress line: step, budget share (of `budget`, in words), loss, lr, grad norm, tokens/s and ETA. */
export function progressLine(row: TrainLogRow, share: number, budget: string, etaSeconds: number): string {
  const pct = (100 * share).toFixed(1);
  return `step ${row.step} | ${pct}% of ${budget} | loss ${row.loss.toFixed(4)} | lr ${row.lr.toExponential(2)} | ` +
    `grad ${row.grad_norm.toFixed(3)} | ${Math.round(row.tokens_per_s)} tok/s | ETA ${formatDuration(etaSeconds)}`;
}
