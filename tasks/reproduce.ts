/**
 * `deno task reproduce [--profile ci] [--out DIR]`: the whole pipeline, from the corpus to the report
 * (pipeline/reproduce.ts).
 *
 *   evaluation data the cache lacks -> fetched and verified as `deno task data` does it
 *                                      (--offline: refused, naming the files and the command)
 *   tokenize -> pretrain {encoder, decoder} x {softmax, cwt} x seeds at matched FLOPs
 *            -> GLUE fine-tuning of every encoder checkpoint fraction, LAMBADA (with the LM-head
 *               fine-tune for headless decoders) of every decoder checkpoint fraction
 *            -> DIR/results.csv, summary.csv, report.md, plots/, manifest.json
 *
 * Profiles are the JSON files in profiles/ (smoke, ci, nightly, paper) or a path. Each stage's output
 * sits in DIR/stages/KIND/LABEL-KEY, KEY being the hash of the stage's spec, its inputs' keys and its code
 * version: running the same command again skips every finished stage, a killed run resumes where it
 * stopped (pretraining from its last checkpoint), and a changed setting reruns only the stages that depend
 * on it. `--set glue.epochs=2` changes one profile value for this run; `--plan` prints the plan only.
 */
import { join } from "node:path";
import { resolveCacheDir } from "../data/cache.ts";
import { DownloadError, progressPrinter } from "../data/download.ts";
import { baseUrlsFromFlag } from "../data/sources.ts";
import { initBackend } from "../backends/mod.ts";
import { formatPlan } from "../pipeline/plan_table.ts";
import { plannedRuns, sharedTraining } from "../pipeline/plan.ts";
import { DEFAULT_PROFILE, loadProfile, profileNames } from "../pipeline/profile.ts";
import { reproduce } from "../pipeline/reproduce.ts";
import { StageError } from "../pipeline/run_plan.ts";
import { type FlagSpec, parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { sharedFlags } from "../util/flags.ts";
import { REPO_ROOT } from "../util/paths.ts";

const FLAGS = {
  ...sharedFlags({
    out: { defaultHelp: "runs/reproduce/<profile>" },
    "cache-dir": true,
    offline: true,
    "base-url": true,
  }),
  profile: {
    type: "string",
    default: DEFAULT_PROFILE,
    help: `profile name (${profileNames().join(", ")}) or JSON path`,
  },
  set: {
    type: "string",
    multiple: true,
    help: "override one profile value for this run, e.g. --set glue.epochs=2",
  },
  plan: { type: "boolean", help: "print the plan (runs, FLOP budgets, stages, ETA) and exit" },
  "any-backend": { type: "boolean", help: "run even where the profile requires another backend" },
  quiet: { type: "boolean", help: "no progress lines" },
} satisfies FlagSpec;

async function main() {
  const { values: v } = parseFlags("reproduce", FLAGS);
  const baseUrls = baseUrlsFromFlag(v["base-url"] as string | undefined);
  const { profile, file, text } = await loadProfile(v.profile as string, (v.set as string[] | undefined) ?? []);
  console.log(`reproduce: profile ${profile.name} (${file}): ${profile.description}`);
  const runs = plannedRuns(profile);
  // Which runs share their training does not depend on the backend (both runs of a pair have the same).
  console.log(formatPlan(profile, runs, [], sharedTraining(profile, runs, profile.backend)));
  const backend = await initBackend(profile.backend);
  if (profile.requireBackend !== null && backend !== profile.requireBackend) {
    const msg = `profile ${profile.name} needs the ${profile.requireBackend} backend; this machine has ${backend}`;
    if (v.plan) console.log(`note: ${msg}`);
    else if (!v["any-backend"]) throw new InputError(`${msg} (pass --any-backend to run it anyway)`, file);
    else console.error(`warning: ${msg}; running anyway (--any-backend)`);
  }
  if (v.plan) return;
  await reproduce({
    profile,
    profileFile: file,
    profileText: text,
    outDir: (v.out as string | undefined) ?? join(REPO_ROOT, "runs", "reproduce", profile.name),
    cacheDir: resolveCacheDir(v["cache-dir"] as string | undefined),
    backend,
    quiet: v.quiet === true,
    data: { offline: v.offline === true, baseUrls, onProgress: v.quiet ? undefined : progressPrinter() },
    log: console.log,
  });
}

if (import.meta.main) {
  try {
    await runMain(main);
  } catch (e) {
    if (e instanceof DownloadError) {
      console.error(`error: ${e.message}`);
      Deno.exit(1);
    }
    if (!(e instanceof StageError)) throw e;
    console.error(`error: ${e.message}`);
    console.error(`run the same command again to retry from there`);
    Deno.exit(1);
  }
  Deno.exit(0);
}
