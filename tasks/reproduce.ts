/**
 * `deno task reproduce [--profile ci] [--out DIR]`: the whole pipeline, from the corpus to the report.
 *
 *   tokenize -> pretrain {encoder, decoder} x {softmax, cwt} x seeds at matched FLOPs
 *            -> GLUE fine-tuning of every encoder checkpoint fraction, LAMBADA (with the LM-head
 *               fine-tune for headless decoders) of every decoder checkpoint fraction
 *            -> DIR/results.csv, summary.csv, report.md, plots/, manifest.json
 *
 * Profiles are the JSON files in profiles/ (smoke, ci, nightly, paper) or a path. Each stage's output
 * sits in DIR/stages/KIND/RUN-KEY, KEY being the hash of the stage's settings and of its inputs' keys:
 * running the same command again skips every finished stage, a killed run resumes where it stopped
 * (pretraining from its last checkpoint), and a changed setting reruns only the stages that depend on
 * it. `--set glue.epochs=2` changes one profile value for this run; `--plan` prints the plan only.
 */
import { join } from "node:path";
import { resolveCacheDir } from "../data/cache.ts";
import { initBackend } from "../models/mod.ts";
import { buildReport } from "../reports/build_report.ts";
import { formatDuration } from "../train/log.ts";
import { parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { killCurrentChild } from "../pipeline/child.ts";
import { glueFiles, hashFiles, missingDataMessage, profileGlueTasks, requiredFiles } from "../pipeline/data_needs.ts";
import { writeManifest } from "../pipeline/manifest.ts";
import {
  DEFAULT_TOKENIZE_ID,
  loadCorpusSlice,
  MULTILINGUAL_RUN_PREFIX,
  plannedRuns,
  planStages,
  STAGE_OUTPUT,
} from "../pipeline/plan.ts";
import { formatPlan } from "../pipeline/plan_table.ts";
import { DEFAULT_PROFILE, loadProfile, profileNames } from "../pipeline/profile.ts";
import { Progress } from "../pipeline/progress.ts";
import { LANGUAGES_FILE, MULTILINGUAL_TOKENIZE_ID, prepareMultilingualSources } from "../pipeline/multilingual.ts";
import { keyStages, lockOutDir, runStages, StageError } from "../pipeline/stage.ts";
import { missingFromCache } from "../data/cache.ts";

const SPEC = {
  profile: {
    type: "string",
    default: DEFAULT_PROFILE,
    help: `profile name (${profileNames().join(", ")}) or JSON path`,
  },
  out: { type: "string", help: "output folder (default runs/reproduce/<profile>)" },
  set: {
    type: "string",
    multiple: true,
    help: "override one profile value for this run, e.g. --set glue.epochs=2 (repeatable)",
  },
  plan: { type: "boolean", help: "print the plan (runs, FLOP budgets, stages, ETA) and exit" },
  force: { type: "boolean", help: "run even where the profile requires another backend" },
  "cache-dir": {
    type: "string",
    help: "evaluation-data cache folder (default $HEADLESS_BENCH_DATA, else ~/.cache/headless-bench/data)",
  },
  quiet: { type: "boolean", help: "no progress lines" },
} as const;

/** Number of data rows of a TSV file (lines minus a header line). */
async function countRows(path: string): Promise<number> {
  let lines = 0;
  using f = await Deno.open(path);
  for await (const chunk of f.readable) for (const b of chunk) if (b === 10) lines++;
  return Math.max(0, lines - 1);
}

async function main() {
  const { values: v, positionals } = parseFlags("reproduce", SPEC);
  if (positionals.length) throw new InputError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const { profile, file: profileFile, text: profileText } = await loadProfile(
    v.profile as string,
    (v.set as string[] | undefined) ?? [],
  );
  const outDir = (v.out as string | undefined) ?? join(REPO_ROOT, "runs", "reproduce", profile.name);

  console.log(`reproduce: profile ${profile.name} (${profileFile}): ${profile.description}`);
  console.log(formatPlan(profile, plannedRuns(profile)));
  const backend = await initBackend(profile.backend);
  if (profile.requireBackend !== null && backend !== profile.requireBackend) {
    const msg = `profile ${profile.name} needs the ${profile.requireBackend} backend; this machine has ${backend}` +
      (v.plan ? "" : ` (pass --force to run it anyway)`);
    if (v.plan) console.log(`note: ${msg}`);
    else if (!v.force) throw new InputError(msg, profileFile);
    else console.error(`warning: ${msg}; running anyway (--force)`);
  }
  if (v.plan) return;

  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const glueTasks = await profileGlueTasks(profile, cacheDir);
  if (profile.glue && glueTasks.length === 0) {
    throw new InputError(
      `glue.tasks ${JSON.stringify(profile.glue.tasks)} selects no task with all its files in the cache ${cacheDir}`,
      profileFile,
    );
  }
  const files = requiredFiles(glueTasks, profile.lambada !== null, profile.multilingual);
  const missing = await missingFromCache(cacheDir, files);
  if (missing.length) {
    console.error(await missingDataMessage(cacheDir, missing));
    Deno.exit(2);
  }
  const dataHashes = await hashFiles(cacheDir, files);
  const glueTrainExamples: Record<string, number> = {};
  const glueDevExamples: Record<string, number> = {};
  for (const task of glueTasks) {
    const [train, ...dev] = glueFiles(task);
    glueTrainExamples[task] = await countRows(join(cacheDir, train));
    glueDevExamples[task] = (await Promise.all(dev.map((f) => countRows(join(cacheDir, f))))).reduce(
      (a, b) => a + b,
      0,
    );
  }
  const corpus = await loadCorpusSlice(profile);
  const multilingual = profile.multilingual
    ? await prepareMultilingualSources(profile.multilingual, cacheDir, console.log)
    : undefined;

  const stages = keyStages(
    planStages({
      profile,
      backend,
      cacheDir,
      glueTasks,
      dataHashes,
      glueTrainExamples,
      glueDevExamples,
      corpus,
      multilingual,
    }),
    join(outDir, "stages"),
  );
  const unlock = await lockOutDir(outDir);
  const onSignal = () => {
    killCurrentChild();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const progress = new Progress(stages, v.quiet === true);
  console.log(`backend ${backend}, data cache ${cacheDir}, ${stages.length} stages, out ${outDir}`);
  let summary;
  try {
    summary = await runStages(stages, outDir, progress);
  } finally {
    progress.close();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await unlock();
  }

  const defaultTokenize = stages.find((s) => s.id === DEFAULT_TOKENIZE_ID);
  const multilingualStage = stages.find((s) => s.id === MULTILINGUAL_TOKENIZE_ID);
  const manifestPath = await writeManifest(outDir, {
    profile,
    profileFile,
    profileText,
    backend,
    cacheDir,
    dataHashes,
    corpus: { sha256: corpus.sha256, documents: corpus.documents.length, bytes: corpus.bytes },
    tokensDir: defaultTokenize ? join(defaultTokenize.dir, STAGE_OUTPUT.tokens) : null,
    multilingual: multilingual && multilingualStage
      ? {
        sources: multilingual,
        tokensDir: join(multilingualStage.dir, STAGE_OUTPUT.tokens),
        languagesFile: join(multilingualStage.dir, LANGUAGES_FILE),
      }
      : undefined,
    summary,
    startedAt,
    endedAt: new Date().toISOString(),
  });
  const results = stages.filter((s) => s.kind === "evaluate").map((s) => join(s.dir, STAGE_OUTPUT.eval, "results.csv"));
  const logs = stages.filter((s) => s.kind === "pretrain").map((s) => ({
    file: join(s.dir, STAGE_OUTPUT.run, "train_log.csv"),
    label: s.run.startsWith(MULTILINGUAL_RUN_PREFIX) ? "encoder (multilingual)" : undefined,
  }));
  for (const f of [...results, ...logs.map((l) => l.file)]) {
    if (!(await exists(f))) throw new InputError(`a finished stage lacks its output file`, f);
  }
  if (results.length) {
    const written = await buildReport({ results, logs, out: outDir, manifest: manifestPath });
    console.log(`report: ${written.at(-1)}`);
  } else {
    console.log(`no evaluation stages in profile ${profile.name}: no report`);
  }
  console.log(
    `done in ${formatDuration((performance.now() - t0) / 1000)}: ${summary.ran.length} stages ran` +
      (summary.resumed.length ? ` (${summary.resumed.length} resumed)` : "") +
      `, ${summary.skipped.length} already done`,
  );
}

if (import.meta.main) {
  try {
    await runMain(main);
  } catch (e) {
    if (!(e instanceof StageError)) throw e;
    console.error(`error: ${e.message}`);
    console.error(`run the same command again to retry from there`);
    Deno.exit(1);
  }
  Deno.exit(0);
}
