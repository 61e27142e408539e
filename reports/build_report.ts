/**
 * The report stage: results (+ their examples and timings, + training logs, + manifest.json) -> a report
 * folder holding results.csv (the merged rows, tidy and sorted, old-layout inputs converted), timings.csv,
 * results.json (lm-evaluation-harness shape), summary.csv, comparisons.csv (every number behind the
 * Findings), manifest.json (when given), plots/*.svg and report.md. Every file is written atomically,
 * report.md last, so a folder with a report.md is complete; plots from an earlier report that this one no
 * longer draws are removed. Paths written into the report are relative to its folder.
 */
import { globSync } from "node:fs";
import { dirname, join, relative as relativePath, resolve } from "node:path";
import { harnessResults } from "../results/harness_json.ts";
import { writeResults } from "../results/rows.ts";
import { writeTimings } from "../results/timings.ts";
import { cellEstimate } from "../stats/compare.ts";
import { DEFAULT_RESAMPLES } from "../stats/bootstrap.ts";
import { Study } from "../stats/hierarchical.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256, writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";
import { cellOf, type Evidence, loadEvidence } from "./evidence.ts";
import { findComparisons } from "./findings.ts";
import { findPretrainingGains, pretrainingGainTable } from "./pretraining_gain.ts";
import { parseStageEvents } from "../artifacts/stage_events.ts";
import { wallTimeTable } from "./wall_time.ts";
import { comparisonsCsv, computeToMatchTable, findingsTable } from "./findings_table.ts";
import { renderReport } from "./markdown.ts";
import { lossCurvePlots, metricPlots, PLOT_RENDERER, renderSvg } from "./plots.ts";
import { readTrainingLog } from "./training_log.ts";
import {
  allResultsTable,
  describeRuns,
  glueTable1,
  lambadaTable3,
  summarize,
  summaryKey,
  type SummaryRow,
  withDerivedRows,
  writeSummaryCsv,
} from "./summary.ts";
import { multilingualCorpusTables } from "./corpus_table.ts";
import { hasXnliRows, isXnliLanguageRow, withXnliAverages, xnliTable5 } from "./xnli_table.ts";
import type { ResultRow } from "../results/rows.ts";

/** What to report on and where. */
export interface ReportOptions {
  /** results.csv files or glob patterns to read (one or more). */
  results: string | string[];
  /**
   * Training-log files or glob patterns (e.g. "runs/pretrain/*\/train_log.csv"), or a file with the
   * label its curves get in place of the run's architecture (e.g. "encoder (multilingual)").
   */
  logs?: (string | { file: string; label?: string })[];
  /** Output folder. */
  out: string;
  /** manifest.json to quote; default: manifest.json beside the results (when one results file is given and it has one). */
  manifest?: string;
  /** Time stamp for the header (default: now). */
  generatedAt?: string;
  /** Bootstrap resamples per interval (default 1000). */
  resamples?: number;
  /** The run's stages.jsonl, for the wall time by part (none: no such table). */
  stageEvents?: string;
  /** The plan's stages, id → key: the wall time counts only these (default: every stage in stageEvents). */
  stageKeys?: Record<string, string>;
}

/** Expands file paths and glob patterns; a pattern matching nothing is an InputError naming it and `flag`. */
export function expandPatterns(patterns: readonly string[], flag: string, expected: string): string[] {
  const files = patterns.flatMap((p) => {
    const matches = /[*?[{]/.test(p) ? globSync(p).sort() : [p];
    if (matches.length === 0) {
      throw new InputError(`--${flag} ${JSON.stringify(p)} matched no file; expected ${expected}`);
    }
    return matches;
  });
  return [...new Set(files)];
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new InputError(`cannot read ${what} (${(e as Error).message})`, path);
  }
}

/** Copies `from` into `to` atomically, unless they are the same file. */
async function copyInto(from: string, to: string, bytes: Uint8Array): Promise<void> {
  if (resolve(from) !== resolve(to)) await writeFileAtomic(to, bytes);
}

/** Resamples behind each results.json standard error (fewer than the Findings': one per summary row). */
const STDERR_RESAMPLES = 200;

/** results.json's entries: every summary row with its bootstrap standard error. */
function harnessEntries(summary: readonly SummaryRow[], all: readonly ResultRow[], evidence: Evidence) {
  const byGroup = new Map<string, ResultRow[]>();
  for (const r of all) byGroup.set(summaryKey(r), [...(byGroup.get(summaryKey(r)) ?? []), r]);
  return summary.map((s) => {
    const rows = byGroup.get(summaryKey(s))!;
    const study = new Study([cellOf(rows, evidence)]);
    const examples = rows.every((r) => r.examples !== null) ? rows[0].examples : null;
    return { ...s, stderr: cellEstimate(study, 0, { resamples: STDERR_RESAMPLES }).stderr, examples };
  });
}

/** Builds the report folder; returns the paths written, report.md last. */
export async function buildReport(opts: ReportOptions): Promise<string[]> {
  const resultFiles = expandPatterns(
    typeof opts.results === "string" ? [opts.results] : opts.results,
    "results",
    "results.csv files",
  );
  if (resultFiles.length === 0) throw new InputError("no results given; expected --results results.csv");
  const inputs = await Promise.all(
    resultFiles.map(async (path) => ({ path, bytes: await readBytes(path, "results (expected a results.csv file)") })),
  );
  const evidence = await loadEvidence(inputs.map((i) => ({ path: i.path, text: new TextDecoder().decode(i.bytes) })));
  const rows = evidence.rows;
  const logSpecs = (opts.logs ?? []).flatMap((l) =>
    typeof l === "string"
      ? expandPatterns([l], "logs", "train_log.csv files").map((file) => ({ file, label: undefined }))
      : [l]
  );
  const logs = await Promise.all(logSpecs.map(async ({ file, label }) => {
    const log = await readTrainingLog(file);
    return label ? { ...log, arch: label } : log;
  }));

  const manifestPath = opts.manifest ?? join(dirname(resultFiles[0]), "manifest.json");
  let manifest: { path: string; sha256: string; json: unknown; bytes: Uint8Array } | undefined;
  if (opts.manifest !== undefined || (resultFiles.length === 1 && (await exists(manifestPath)))) {
    const bytes = await readBytes(manifestPath, "manifest (expected a manifest.json file)");
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new InputError(`not valid JSON (${(e as Error).message}); expected a manifest.json object`, manifestPath);
    }
    manifest = { path: manifestPath, sha256: sha256(bytes), json, bytes };
  }

  const all = withXnliAverages(withDerivedRows(rows));
  const summary = summarize(all, evidence.timings);
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const comparisons = findComparisons(evidence, { resamples });
  const gains = findPretrainingGains(evidence, { resamples });
  const wallTime = opts.stageEvents
    ? wallTimeTable(
      parseStageEvents(new TextDecoder().decode(await readBytes(opts.stageEvents, "stages.jsonl")), opts.stageEvents),
      opts.stageKeys,
    )
    : null;
  // XNLI per language lives in its Table 5; plots take its average only.
  const plotted = summary.filter((s) => !isXnliLanguageRow(s));
  const plots = [...metricPlots(plotted, "flops"), ...metricPlots(plotted, "wall_seconds"), ...lossCurvePlots(logs)];
  const written: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    const path = join(opts.out, name);
    await writeFileAtomic(path, data);
    written.push(path);
  };

  await writeResults(join(opts.out, "results.csv"), rows);
  written.push(join(opts.out, "results.csv"));
  await writeTimings(join(opts.out, "timings.csv"), [...evidence.timings.values()]);
  written.push(join(opts.out, "timings.csv"));
  if (manifest) {
    await copyInto(manifest.path, join(opts.out, "manifest.json"), manifest.bytes);
    written.push(join(opts.out, "manifest.json"));
  }
  await writeSummaryCsv(join(opts.out, "summary.csv"), summary);
  written.push(join(opts.out, "summary.csv"));
  await write("comparisons.csv", comparisonsCsv(comparisons));
  const relative = (path: string) => relativePath(resolve(opts.out), resolve(path)) || ".";
  const versions = (manifest?.json as { versions?: unknown } | undefined)?.versions ?? null;
  await writeJsonAtomic(
    join(opts.out, "results.json"),
    harnessResults(harnessEntries(summary, all, evidence), {
      versions,
      manifest: manifest ? { file: "manifest.json", sha256: manifest.sha256 } : null,
      inputs: inputs.map((i) => ({ file: relative(i.path), sha256: sha256(i.bytes) })),
      resamples_for_stderr: STDERR_RESAMPLES,
    }),
  );
  written.push(join(opts.out, "results.json"));
  for (const plot of plots) await write(join("plots", plot.file), await renderSvg(plot.spec));
  const plotDir = join(opts.out, "plots");
  if (await exists(plotDir)) {
    const keep = new Set(plots.map((p) => p.file));
    for await (const entry of Deno.readDir(plotDir)) {
      if (entry.isFile && entry.name.endsWith(".svg") && !keep.has(entry.name)) {
        await Deno.remove(join(plotDir, entry.name));
      }
    }
  }

  const report = renderReport({
    generatedAt: opts.generatedAt ?? new Date().toISOString(),
    results: inputs.map((i) => ({ path: relative(i.path), sha256: sha256(i.bytes) })),
    manifest: manifest && { path: relative(manifest.path), sha256: manifest.sha256, json: manifest.json },
    logs: logs.map((l) => ({
      file: relative(l.file),
      arch: l.arch,
      objective: l.objective,
      seed: l.seed,
      rows: l.rows.length,
    })),
    runs: describeRuns(rows),
    findings: findingsTable(comparisons, resamples),
    gains: pretrainingGainTable(gains),
    ...(wallTime ? { wallTime } : {}),
    evidenceNotes: evidence.notes,
    tables: [...glueTable1(summary), ...lambadaTable3(summary)],
    xnli: hasXnliRows(rows) ? [...multilingualCorpusTables(manifest?.json), ...xnliTable5(summary)] : undefined,
    computeToMatch: computeToMatchTable(comparisons),
    allResults: allResultsTable(summary),
    plots: plots.map((p) => ({ ...p, file: `plots/${p.file}` })),
    renderer: PLOT_RENDERER,
  });
  await write("report.md", report);
  return written;
}
