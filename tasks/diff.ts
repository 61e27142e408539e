/**
 * Prints a Markdown table of every result whose mean over seeds moved between A and B, flagging moves
 * beyond the seed-to-seed noise.
 *
 *   deno run -A tasks/diff.ts reports/old reports/new          # report folders (or results.csv files)
 *   deno run -A tasks/diff.ts HEAD~1 HEAD --report-dir reports/nightly
 *   deno run -A tasks/diff.ts main:reports/nightly reports/nightly
 */
import { diffResults, readResultsSource, renderDiffMarkdown } from "../reports/diff.ts";
import { numberFlag, parseFlags, runMain, usage } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

const SPEC = {
  "report-dir": { type: "string", help: "folder of results.csv inside a bare git revision, e.g. reports/nightly" },
  "noise-factor": { type: "string", default: "2", help: "flag |delta| above this many pooled seed stds" },
  "fail-on-flag": { type: "boolean", help: "exit 1 when any move is beyond the noise" },
} as const;

async function main() {
  const { values, positionals } = parseFlags("diff", SPEC);
  if (positionals.length !== 2) {
    throw new InputError(
      `expected two arguments A B (report folders, results.csv files or git revisions), got ${positionals.length}\n${
        usage("diff A B", SPEC)
      }`,
    );
  }
  const noiseFactor = numberFlag("noise-factor", values["noise-factor"]);
  const reportDir = values["report-dir"] as string | undefined;
  const [a, b] = await Promise.all(positionals.map((spec) => readResultsSource(spec, { reportDir })));
  const diff = diffResults(a.rows, b.rows, noiseFactor);
  console.log(renderDiffMarkdown(diff, { a: a.location, b: b.location }));
  if (values["fail-on-flag"] && diff.changed.some((e) => e.flagged)) Deno.exit(1);
}

if (import.meta.main) await runMain(main);
