/**
 * Builds a report folder from a results.csv: summary.csv, report.md, plots/*.svg, and copies of the
 * results and manifest.
 *
 *   deno run -A tasks/report.ts --results results.csv --out reports/nightly
 *   deno run -A tasks/report.ts --results 'runs/evaluate/*\/results.csv' --logs 'runs/pretrain/*\/train_log.csv' --out out/report
 *
 * Quote glob patterns so the shell passes them through; --results and --logs may be given several times
 * (several results files are merged; the same result in two files is an error).
 */
import { buildReport } from "../reports/build_report.ts";
import { parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

const SPEC = {
  results: {
    type: "string",
    multiple: true,
    help: "results.csv to report on, or quoted glob patterns; several are merged (required)",
  },
  logs: {
    type: "string",
    multiple: true,
    help: "training logs (train_log.csv files or quoted glob patterns) for loss curves",
  },
  out: { type: "string", help: "output folder (required)" },
  manifest: { type: "string", help: "manifest.json to quote (default: manifest.json beside the results, if any)" },
} as const;

/** Parses `args` and builds the report; exported for tests. */
export async function main(args: string[] = Deno.args): Promise<void> {
  const { values, positionals } = parseFlags("report", SPEC, args);
  if (positionals.length) {
    throw new InputError(
      `unexpected argument(s) ${
        positionals.join(" ")
      }; quote --results and --logs patterns so the shell does not expand them`,
    );
  }
  const results = (values.results as string[] | undefined) ?? [];
  if (results.length === 0) throw new InputError("--results is required (a results.csv file)");
  if (typeof values.out !== "string") throw new InputError("--out is required (the report folder)");
  const written = await buildReport({
    results,
    logs: (values.logs as string[] | undefined) ?? [],
    out: values.out,
    manifest: values.manifest as string | undefined,
  });
  console.log(`wrote ${written.length} files; report: ${written.at(-1)}`);
}

if (import.meta.main) await runMain(() => main());
