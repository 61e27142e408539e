/**
 * examples.csv: one line per scored example and per (task, seed, policy), beside results.csv, so that a
 * metric can be recomputed from a resample of examples (a paired bootstrap when two arms share example
 * ids). The columns are the contract between evaluation stages and the statistics:
 * - `prediction`, `label`: class ids; for a zero-shot pair or choice 1 if right else 0, label 1;
 * - `loglik`, `count`: a language-model example's summed natural-log likelihood and the unit its metric
 *   divides by (UTF-8 bytes for bits per byte); empty where they do not apply.
 * Written here by the BLiMP and bits-per-byte stages until evals/result_sink.ts has the shared writer.
 */
import { join } from "node:path";
import { writeCsvAtomic } from "../reports/rows.ts";

/** The columns of examples.csv, in order. */
export const EXAMPLE_COLUMNS = ["task", "seed", "policy", "example", "prediction", "label", "loglik", "count"] as const;

/** One line of examples.csv (a column left out is written empty). */
export type ExampleRow = Partial<Record<typeof EXAMPLE_COLUMNS[number], string | number>>;

/** (Re)writes `dir/examples.csv` with `rows`. */
export function writeExamplesCsv(dir: string, rows: readonly ExampleRow[]): Promise<void> {
  return writeCsvAtomic(join(dir, "examples.csv"), EXAMPLE_COLUMNS, rows);
}
