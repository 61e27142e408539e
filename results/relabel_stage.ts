/**
 * The relabel stage: one evaluation artifact's results, filed under another comparison design. Two designs
 * can plan the same training: a softmax run differs between the dense and the sparse head only in what its
 * steps cost (the loss and gradients are the same), so at equal steps the paper's design (equal tokens,
 * dense head) and the efficient one (equal FLOPs, sparse head) train one softmax model. The plan
 * (pipeline/plan.ts) then trains and scores it once, and this stage copies each of its evaluation
 * artifacts with the run's rows moved to the other design: `design` renamed, `flops` rescaled to what
 * that design's head charges per token, and a detail column `same_training_as` naming the design whose
 * run made them. examples.csv and seed_summary.csv are copied as they are (they name no design); other
 * rows (references such as the majority class) are kept unchanged.
 */
import { join } from "node:path";
import type { Stage } from "../artifacts/stage.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { readResultsFile, type ResultRow, writeResults } from "./rows.ts";
import { readTimings, type TimingRow, writeTimings } from "./timings.ts";

/** Which rows move, and to what. */
export interface RelabelSpec {
  /** The source run's objective and design ("" for the default design): the rows that move. */
  objective: string;
  from: string;
  /** The design they move to ("" for the default). */
  to: string;
  /** `flops` × this: the target design's FLOPs per token over the source's. */
  flopsScale: number;
}

/** The detail column that names the design whose run made a relabelled row. */
export const SAME_TRAINING_COLUMN = "same_training_as";

/** Files copied as they are. */
const COPIED = ["examples.csv", "seed_summary.csv"];

/** True for a row (or timing) of the source run. */
const isSource = (spec: RelabelSpec, r: { objective: string; design: string }) =>
  r.objective === spec.objective && r.design === spec.from;

/** A result row moved to the target design (others unchanged). */
export function relabelRow(spec: RelabelSpec, row: ResultRow): ResultRow {
  if (!isSource(spec, row)) return row;
  return {
    ...row,
    design: spec.to,
    flops: Math.round(row.flops * spec.flopsScale),
    details: { ...row.details, [SAME_TRAINING_COLUMN]: spec.from || "default" },
  };
}

/** A timing row moved to the target design (others unchanged). */
export function relabelTiming(spec: RelabelSpec, row: TimingRow): TimingRow {
  return isSource(spec, row) ? { ...row, design: spec.to } : row;
}

/** The stage: input `source` is an evaluation artifact folder (results.csv, and examples/timings beside it). */
export const stage: Stage<RelabelSpec> = {
  kind: "relabel",
  module: import.meta.url,
  async run(spec, io) {
    if (!(spec.flopsScale > 0)) throw new InputError(`relabel: flopsScale is ${spec.flopsScale}; expected > 0`);
    if (spec.from === spec.to) throw new InputError(`relabel: from and to are both ${JSON.stringify(spec.to)}`);
    const source = io.inputs.source;
    const parsed = await readResultsFile(join(source, "results.csv"));
    if (parsed.legacy) throw new InputError("relabel: an old-layout results.csv", join(source, "results.csv"));
    const moved = parsed.rows.filter((r) => isSource(spec, r)).length;
    if (moved === 0) {
      throw new InputError(
        `no row of objective ${spec.objective} and design ${JSON.stringify(spec.from)} to relabel`,
        join(source, "results.csv"),
      );
    }
    await writeResults(join(io.out, "results.csv"), parsed.rows.map((r) => relabelRow(spec, r)));
    const timings = join(source, "timings.csv");
    if (await exists(timings)) {
      await writeTimings(join(io.out, "timings.csv"), (await readTimings(timings)).map((t) => relabelTiming(spec, t)));
    }
    for (const name of COPIED) {
      if (await exists(join(source, name))) await Deno.copyFile(join(source, name), join(io.out, name));
    }
    io.progress.say(`relabel: ${moved} rows of design ${spec.from || "default"} filed under ${spec.to || "default"}`);
    return { rows: moved };
  },
};
