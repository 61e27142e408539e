/**
 * Prints a Markdown table of every result whose mean over seeds moved between A and B, flagging moves
 * beyond the seed-to-seed noise. With --fail-on-flag it exits 1 when a move is beyond the noise, when a
 * move cannot be judged for lack of seeds (unless --allow-unjudged), or when B lost rows A had, and
 * lists each reason.
 *
 *   deno run -A tasks/diff.ts reports/old reports/new          # report folders (or results.csv files)
 *   deno run -A tasks/diff.ts HEAD~1 HEAD --report-dir reports/nightly
 *   deno run -A tasks/diff.ts main:reports/nightly reports/nightly --fail-on-flag
 */
import {
  checkNoiseFactor,
  diffFailures,
  diffResults,
  readResultsSource,
  renderDiffMarkdown,
  renderFailures,
} from "../reports/diff.ts";
import { numberFlag, parseFlags, runMain } from "../util/cli.ts";

const SPEC = {
  "report-dir": { type: "string", help: "folder of results.csv inside a bare git revision, e.g. reports/nightly" },
  "noise-factor": { type: "string", default: "2", help: "flag |delta| above this many pooled seed stds (>= 0)" },
  "fail-on-flag": {
    type: "boolean",
    help: "exit 1 on a move beyond the noise, a move with one seed each side, or a row B lost",
  },
  "allow-unjudged": { type: "boolean", help: "with --fail-on-flag, pass moves that one seed each side cannot judge" },
} as const;

const ARGS = {
  synopsis: "A B",
  help: "A, B: report folders, results.csv files, or git revisions (REV or REV:PATH)",
};

async function main() {
  const { values, positionals } = parseFlags("diff", SPEC, Deno.args, ARGS);
  const noiseFactor = checkNoiseFactor(numberFlag("noise-factor", values["noise-factor"]));
  const reportDir = values["report-dir"] as string | undefined;
  const [a, b] = await Promise.all(positionals.map((spec) => readResultsSource(spec, { reportDir })));
  const diff = diffResults(a.rows, b.rows, noiseFactor);
  console.log(renderDiffMarkdown(diff, { a: a.location, b: b.location }));
  if (!values["fail-on-flag"]) return;
  const failures = diffFailures(diff, { allowUnjudged: values["allow-unjudged"] === true });
  if (failures.length === 0) return;
  console.log(renderFailures(failures));
  const kinds = ["beyond-noise", "unjudged", "removed"].map((k) => [k, failures.filter((f) => f.kind === k).length])
    .filter(([, n]) => n).map(([k, n]) => `${n} ${k}`);
  console.error(`diff: failing (--fail-on-flag): ${kinds.join(", ")}`);
  Deno.exit(1);
}

if (import.meta.main) await runMain(main);
