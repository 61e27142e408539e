/**
 * The report stage: the results of evaluation artifacts (and the training logs of pretraining ones, and a
 * manifest) -> a report folder: results.csv, summary.csv, plots/*.svg, report.md (reports/build_report.ts).
 * Inputs are named `results:<n>` (an evaluation artifact folder or a results.csv file), `logs:<n>` (a
 * pretraining artifact folder or a train_log.csv file), `manifest` (a manifest.json to quote) and
 * `stageEvents` (the run's stages.jsonl, for the wall time by part).
 */
import { join } from "node:path";
import type { Stage } from "../artifacts/stage.ts";
import { buildReport } from "./build_report.ts";

/** What decides the report besides its inputs. */
export interface ReportSpec {
  /** Training-log inputs whose curves get a label of their own instead of the run's architecture, by input name. */
  logLabels: Record<string, string>;
  /** The plan's stages, id → key: only their events in `stageEvents` count in the wall time (default: all). */
  stageKeys?: Record<string, string>;
}

/** The results.csv of an input that is a folder or the file itself. */
const fileIn = async (path: string, name: string) => (await Deno.stat(path)).isDirectory ? join(path, name) : path;

/** Input names of the results and logs, in the order given. */
export const resultsInput = (i: number) => `results:${i}`;
export const logsInput = (i: number) => `logs:${i}`;

/** The stage. */
export const stage: Stage<ReportSpec> = {
  kind: "report",
  module: import.meta.url,
  async run(spec, io) {
    const named = (prefix: string) =>
      Object.keys(io.inputs).filter((n) => n.startsWith(prefix)).sort((a, b) =>
        Number(a.slice(prefix.length)) - Number(b.slice(prefix.length))
      );
    const results = await Promise.all(named("results:").map((n) => fileIn(io.inputs[n], "results.csv")));
    const logs = await Promise.all(
      named("logs:").map(async (n) => ({
        file: await fileIn(io.inputs[n], "train_log.csv"),
        label: spec.logLabels[n],
      })),
    );
    const written = await buildReport({
      results,
      logs,
      out: io.out,
      manifest: io.inputs.manifest,
      ...(io.inputs.stageEvents ? { stageEvents: io.inputs.stageEvents } : {}),
      ...(spec.stageKeys ? { stageKeys: spec.stageKeys } : {}),
    });
    io.progress.say(`report: ${written.at(-1)}`);
    return { files: written.length };
  },
};
