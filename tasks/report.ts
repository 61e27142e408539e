/**
 * Builds a report folder from results.csv files (reports/report_stage.ts): summary.csv, report.md, plots/*.svg,
 * and copies of the results and manifest.
 *
 *   deno task report --results results.csv --out reports/nightly
 *   deno task report --results 'runs/glue/*\/results.csv' --logs 'runs/pretrain/*\/train_log.csv' --out out/report
 *
 * Quote glob patterns so the shell passes them through; --results and --logs may be given several times
 * (several results files are merged; the same result in two files is an error).
 */
import { buildFromCli } from "../artifacts/cli.ts";
import { expandPatterns } from "../reports/build_report.ts";
import { logsInput, resultsInput, stage } from "../reports/report_stage.ts";
import { type FlagSpec, parseFlags, runMain } from "../util/cli.ts";
import { sharedFlags } from "../util/flags.ts";

const FLAGS = {
  ...sharedFlags({ out: { required: true }, force: true }),
  results: {
    type: "string",
    multiple: true,
    required: true,
    help: "results.csv to report on, or quoted glob patterns; several are merged",
  },
  logs: {
    type: "string",
    multiple: true,
    help: "training logs (train_log.csv files or quoted glob patterns) for loss curves",
  },
  manifest: { type: "string", help: "manifest.json to quote (default: manifest.json beside the results, if any)" },
  "stage-events": { type: "string", help: "a run's stages.jsonl, for the wall time by part (default: none)" },
} satisfies FlagSpec;

/** Parses `args` and builds the report; exported for tests. */
export async function main(args: string[] = Deno.args): Promise<void> {
  const { values } = parseFlags("report", FLAGS, args);
  const patterns = values.results as string[];
  const results = expandPatterns(patterns, "results", "results.csv files");
  const logs = expandPatterns((values.logs as string[] | undefined) ?? [], "logs", "train_log.csv files");
  const inputs: Record<string, { dir: string }> = {};
  results.forEach((file, i) => (inputs[resultsInput(i)] = { dir: file }));
  logs.forEach((file, i) => (inputs[logsInput(i)] = { dir: file }));
  const manifest = values.manifest as string | undefined ?? await besideResults(results);
  if (manifest) inputs.manifest = { dir: manifest };
  if (values["stage-events"]) inputs.stageEvents = { dir: values["stage-events"] as string };
  await buildFromCli(stage, { logLabels: {} }, inputs, {
    out: values.out as string,
    label: "report",
    force: values.force === true,
  });
}

/** The manifest.json beside a single results file, when there is one. */
async function besideResults(results: string[]): Promise<string | undefined> {
  if (results.length !== 1) return undefined;
  const path = results[0].replace(/[^/]*$/, "manifest.json");
  return await Deno.stat(path).then((s) => (s.isFile ? path : undefined), () => undefined);
}

if (import.meta.main) await runMain(() => main());
