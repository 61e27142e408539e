/**
 * The whole reproduction, from the corpus to the report, as one library call: fetch the evaluation files
 * the data cache lacks (pipeline/fetch_data.ts; offline: name them), plan
 * the profile's stages (pipeline/plan.ts), run them through the artifact store (pipeline/run_plan.ts),
 * write manifest.json, and the report (reports/report_stage.ts) into the output folder.
 */
import { join } from "node:path";
import { verifyArtifact } from "../artifacts/record.ts";
import { STAGE_EVENTS_FILE } from "../artifacts/stage_events.ts";
import { killWorkers } from "../artifacts/worker_client.ts";
import { stage as reportStage } from "../reports/report_stage.ts";
import { InputError } from "../util/errors.ts";
import { formatDuration } from "../util/format.ts";
import { portablePath } from "../util/paths.ts";
import { ALL_IN_CACHE, glueFiles, hashFiles, profileGlueTasks, requiredFiles } from "./data_needs.ts";
import { type DataFetchOptions, ensureCacheFiles } from "./fetch_data.ts";
import { writeManifest } from "./manifest.ts";
import { prepareMultilingualSources } from "./multilingual.ts";
import { blasLibrary } from "../backends/mod.ts";
import { claimOutFolder } from "./out_folder.ts";
import {
  DEFAULT_TOKENIZE_ID,
  loadCorpusSlice,
  MULTILINGUAL_RUN_PREFIX,
  MULTILINGUAL_TOKENIZE_ID,
  planStages,
} from "./plan.ts";
import type { Profile } from "./profile.ts";
import { Progress } from "./progress.ts";
import { keyStages, removeSupersededPartials, runStages, type RunSummary } from "./run_plan.ts";
import { applyStageThreads, describeStageThreads, resolveStageThreads } from "./stage_threads.ts";

/** What a reproduction needs. */
export interface ReproduceOptions {
  profile: Profile;
  profileFile: string;
  profileText: string;
  outDir: string;
  cacheDir: string;
  /** The backend, resolved by initBackend. */
  backend: string;
  quiet?: boolean;
  /** How missing evaluation files are fetched (default: from the canonical hosts). */
  data?: DataFetchOptions;
  /** Lines for the user. */
  log: (line: string) => void;
}

/** Number of data rows of a TSV file (lines minus a header line). */
async function countRows(path: string): Promise<number> {
  let lines = 0;
  using f = await Deno.open(path);
  for await (const chunk of f.readable) for (const b of chunk) if (b === 10) lines++;
  return Math.max(0, lines - 1);
}

/**
 * Runs the reproduction; returns what ran. Evaluation files the cache lacks are fetched first (offline,
 * an InputError names them and the command that fetches them).
 */
export async function reproduce(o: ReproduceOptions): Promise<RunSummary> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const { profile, cacheDir, outDir, backend } = o;
  const glueTasks = await profileGlueTasks(profile, cacheDir);
  if (profile.glue && glueTasks.length === 0) {
    throw new InputError(
      `glue.tasks ${JSON.stringify(profile.glue.tasks)} selects no task with all its files in the cache ${cacheDir}` +
        (profile.glue.tasks.includes(ALL_IN_CACHE)
          ? `; name the tasks to have them fetched, e.g. --set 'glue.tasks=["rte","mrpc"]'`
          : ""),
      o.profileFile,
    );
  }
  const files = requiredFiles(glueTasks, profile.lambada !== null, profile.multilingual, profile.blimp);
  await ensureCacheFiles(cacheDir, files, o.data ?? {}, o.log);
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
  const corpus = await loadCorpusSlice(profile, cacheDir, o.log, o.profileFile);
  // Offline, the multilingual sources are not fetched either (whatever multilingual.fetch says).
  const multilingual = profile.multilingual
    ? await prepareMultilingualSources(
      { ...profile.multilingual, fetch: profile.multilingual.fetch && !o.data?.offline },
      cacheDir,
      o.log,
    )
    : undefined;
  const stagesRoot = join(outDir, "stages");
  const plan = planStages({
    profile,
    backend,
    glueTasks,
    dataHashes,
    glueTrainExamples,
    glueDevExamples,
    corpus,
    multilingual,
  });
  const stages = await keyStages(plan, stagesRoot);

  const lock = await claimOutFolder(outDir);
  const onSignal = () => {
    killWorkers();
    Deno.exit(130);
  };
  // The listeners end the stage workers; the report is written in this process, in long synchronous
  // stretches during which a listener would never run, so they are removed before it and a signal then
  // ends the process at once (every file is written atomically; the next run takes over the stale lock).
  const stopListening = () => {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const progress = new Progress(
    stages.map((s) => ({ kind: s.stage.kind, estimateSeconds: s.estimateSeconds })),
    o.quiet,
  );
  let summary: RunSummary;
  try {
    for (const gone of await removeSupersededPartials(stages, stagesRoot)) {
      o.log(`removed ${gone}: left by a run of other settings`);
    }
    const blas = blasLibrary() ? ` (OpenBLAS ${portablePath(blasLibrary())})` : "";
    const threads = resolveStageThreads(
      profile.threads,
      Deno.env.get("OPENBLAS_NUM_THREADS"),
      navigator.hardwareConcurrency,
    );
    applyStageThreads(threads);
    o.log(
      `backend ${backend}${blas}, ${describeStageThreads(threads, profile.threads)}, data cache ${cacheDir}, ` +
        `${stages.length} stages, out ${outDir}`,
    );
    try {
      summary = await runStages(stages, outDir, progress, cacheDir);
    } finally {
      progress.close();
    }
    stopListening();
    const byId = new Map(stages.map((s) => [s.id, s]));
    const manifest = await writeManifest(outDir, {
      profile,
      profileFile: o.profileFile,
      profileText: o.profileText,
      backend,
      cacheDir,
      dataHashes,
      corpus: {
        name: corpus.name,
        sha256: corpus.sha256,
        documents: corpus.documents.length,
        bytes: corpus.bytes,
        whole: corpus.description,
        files: corpus.files.flatMap((f) => f.files),
        givenTokenizer: corpus.givenTokenizer,
      },
      tokensDir: byId.get(DEFAULT_TOKENIZE_ID)?.dir ?? null,
      multilingual: multilingual && byId.has(MULTILINGUAL_TOKENIZE_ID)
        ? { sources: multilingual, corpusDir: byId.get(MULTILINGUAL_TOKENIZE_ID)!.dir }
        : undefined,
      summary,
      startedAt,
      endedAt: new Date().toISOString(),
    });
    const evaluations = stages.filter((s) =>
      ["glue", "lambada", "xnli", "mc", "blimp", "bpb", "relabel"].includes(s.stage.kind)
    );
    const pretraining = stages.filter((s) => s.stage.kind === "pretrain");
    if (evaluations.length) {
      // The report reads these folders: each must still be what its record says (an edited results.csv or
      // train_log.csv is refused, naming the file).
      for (const s of [...evaluations, ...pretraining]) await verifyArtifact(s.dir);
      const inputs: Record<string, string> = { manifest, stageEvents: join(outDir, STAGE_EVENTS_FILE) };
      evaluations.forEach((s, i) => (inputs[`results:${i}`] = s.dir));
      pretraining.forEach((s, i) => (inputs[`logs:${i}`] = s.dir));
      const logLabels = Object.fromEntries(
        pretraining.flatMap((s, i) =>
          s.label.startsWith(MULTILINGUAL_RUN_PREFIX) ? [[`logs:${i}`, "encoder (multilingual)"]] : []
        ),
      );
      const stageKeys = Object.fromEntries(stages.map((s) => [s.id, s.key]));
      await reportStage.run({ logLabels, stageKeys }, {
        out: outDir,
        inputs,
        cacheDir,
        progress: { fraction: () => {}, say: o.log },
      });
    } else {
      o.log(`no evaluation stages in profile ${profile.name}: no report`);
    }
  } finally {
    stopListening();
    await lock.release();
  }
  o.log(
    `done in ${formatDuration((performance.now() - t0) / 1000)}: ${summary.ran.length} stages ran` +
      (summary.resumed.length ? ` (${summary.resumed.length} resumed)` : "") +
      `, ${summary.skipped.length} already done`,
  );
  return summary;
}
