/**
 * Compares two sets of results: every summary group (arch, model, objective, design, fraction, task,
 * setup, lang, split, metric, policy; reports/summary.ts) whose mean over seeds moved, with old, new, delta, and a flag when |delta| exceeds the seed-to-seed noise, taken as
 * `noiseFactor` (default 2) × the pooled sample std over seeds of both sides:
 *   pooled = √(((n_a − 1)·s_a² + (n_b − 1)·s_b²) / (n_a + n_b − 2)).
 * With one seed on each side there is no estimate of the noise, and the entry says so instead.
 * Both sides get the derived GLUE averages (summary.ts), so the averages are compared too. A side read from
 * a results.csv of the old layout (results/legacy.ts) records no model: the model is then left out of the
 * comparison on both sides, so a committed old baseline still lines up with new results.
 * {@link diffFailures} lists what a CI gate (`diff --fail-on-flag`) fails on: moves beyond the noise,
 * rows B lost, and moves that cannot be judged for lack of seeds (unless allowed).
 *
 * A side is a report folder (its results.csv), a results.csv file, or a git revision: `REV:PATH` (PATH a
 * results.csv or a folder holding one), or a bare `REV` with the report folder given separately or, when
 * the revision holds exactly one `reports/<x>/results.csv`, that one. Git is only read (`git show`,
 * `git cat-file`, `git ls-tree`).
 */
import { join, resolve } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { parseResultsCsv, readResults, type ResultRow } from "../results/rows.ts";
import {
  displayScale,
  formatFraction,
  formatNumber,
  MISSING,
  summarize,
  summaryKey,
  type SummaryRow,
  withDerivedRows,
} from "./summary.ts";

/** One (arch, objective, fraction, task, metric, policy) present on both sides whose mean moved. */
export interface DiffEntry {
  old: SummaryRow;
  new: SummaryRow;
  /** new.mean − old.mean. */
  delta: number;
  /** noiseFactor × pooled std; NaN when unknown (one seed on each side). */
  noise: number;
  /** |delta| > noise (false when the noise is unknown). */
  flagged: boolean;
}

/** The comparison of two summaries. */
export interface ResultsDiff {
  changed: DiffEntry[];
  /** In B only, in A only. */
  added: SummaryRow[];
  removed: SummaryRow[];
  /** Present on both sides with the same mean. */
  unchanged: number;
  noiseFactor: number;
}

/** Pooled sample std of two groups (see the module comment); NaN with one seed on each side. */
export function pooledStd(a: Pick<SummaryRow, "n" | "std">, b: Pick<SummaryRow, "n" | "std">): number {
  const dof = a.n + b.n - 2;
  if (dof <= 0) return NaN;
  const part = (s: Pick<SummaryRow, "n" | "std">) => (s.n > 1 ? (s.n - 1) * s.std ** 2 : 0);
  return Math.sqrt((part(a) + part(b)) / dof);
}

/** Checks a noise factor: a finite number >= 0, else an InputError naming `--noise-factor`. */
export function checkNoiseFactor(noiseFactor: number): number {
  if (!(Number.isFinite(noiseFactor) && noiseFactor >= 0)) {
    throw new InputError(
      `--noise-factor is ${noiseFactor}; expected a finite number >= 0 (how many pooled seed stds a move may be)`,
    );
  }
  return noiseFactor;
}

/** Compares two summaries. */
export function diffSummaries(a: readonly SummaryRow[], b: readonly SummaryRow[], noiseFactor = 2): ResultsDiff {
  checkNoiseFactor(noiseFactor);
  const byKey = new Map(a.map((s) => [summaryKey(s), s]));
  const inB = new Set(b.map(summaryKey));
  const changed: DiffEntry[] = [], added: SummaryRow[] = [];
  let unchanged = 0;
  for (const nu of b) {
    const old = byKey.get(summaryKey(nu));
    if (!old) {
      added.push(nu);
      continue;
    }
    const delta = nu.mean - old.mean;
    if (delta === 0) {
      unchanged++;
      continue;
    }
    const noise = noiseFactor * pooledStd(old, nu);
    changed.push({ old, new: nu, delta, noise, flagged: Number.isFinite(noise) && Math.abs(delta) > noise });
  }
  const removed = a.filter((s) => !inB.has(summaryKey(s)));
  return { changed, added, removed, unchanged, noiseFactor };
}

/** Compares two sets of result rows (derived GLUE averages included; see the module comment for the model). */
export function diffResults(a: readonly ResultRow[], b: readonly ResultRow[], noiseFactor = 2): ResultsDiff {
  const noModel = (rows: readonly ResultRow[]) => rows.length > 0 && rows.every((r) => r.model === "");
  const blank = noModel(a) || noModel(b);
  const side = (rows: readonly ResultRow[]) =>
    summarize(withDerivedRows(blank ? rows.map((r) => ({ ...r, model: "" })) : rows));
  return diffSummaries(side(a), side(b), noiseFactor);
}

/** One reason a diff fails `--fail-on-flag`. */
export interface DiffFailure {
  kind: "beyond-noise" | "unjudged" | "removed";
  row: SummaryRow;
  /** What happened, as one line. */
  reason: string;
}

/** Options of {@link diffFailures}. */
export interface FailureOptions {
  /** Do not fail on moves that one seed on each side leaves without a noise estimate. */
  allowUnjudged?: boolean;
}

/**
 * What `--fail-on-flag` fails on: every move beyond the noise, every move with no noise estimate (one
 * seed on each side) unless `allowUnjudged`, and every row of A that B lacks.
 */
export function diffFailures(diff: ResultsDiff, options: FailureOptions = {}): DiffFailure[] {
  const failures: DiffFailure[] = [];
  for (const e of diff.changed) {
    const scale = displayScale(e.new.metric);
    const move = `${meanCell(e.old)} → ${meanCell(e.new)} (${signed(e.delta, scale, e.new.mean)})`;
    if (e.flagged) {
      const noise = formatNumber(e.noise, scale, e.new.mean);
      failures.push({ kind: "beyond-noise", row: e.new, reason: `${move}: beyond the noise, ${noise}` });
    } else if (!Number.isFinite(e.noise) && !options.allowUnjudged) {
      failures.push({
        kind: "unjudged",
        row: e.new,
        reason: `${move}: cannot be judged with one seed on each side (run more seeds, or pass --allow-unjudged)`,
      });
    }
  }
  for (const s of diff.removed) {
    failures.push({ kind: "removed", row: s, reason: `${meanCell(s)} in A, missing from B` });
  }
  return failures;
}

/** The failures as a Markdown list, one line each. */
export function renderFailures(failures: readonly DiffFailure[]): string {
  if (failures.length === 0) return "";
  const lines = failures.map((f) => `- ${keyCells(f.row).join(" · ")}: ${f.reason}\n`);
  return `\n**Failing (--fail-on-flag): ${failures.length}**\n\n${lines.join("")}`;
}

const signed = (v: number, scale: number, like: number) => (v > 0 ? "+" : "") + formatNumber(v, scale, like);
const keyCells = (
  s: SummaryRow,
) => [
  s.arch,
  s.objective + (s.design ? ` (${s.design})` : ""),
  formatFraction(s.fraction),
  [s.task, s.setup, s.lang, s.split].filter(Boolean).join(" "),
  s.metric + (displayScale(s.metric) !== 1 ? " (×100)" : ""),
  s.policy || MISSING,
];
const meanCell = (s: SummaryRow) => `${formatNumber(s.mean, displayScale(s.metric))} (n=${s.n})`;
const row = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |\n`;

/** The diff as Markdown: a table of moved means (flagged ones marked), then rows only on one side. */
export function renderDiffMarkdown(diff: ResultsDiff, labels: { a: string; b: string }): string {
  const out: string[] = [`## Results diff: ${labels.a} → ${labels.b}\n\n`];
  const flagged = diff.changed.filter((e) => e.flagged).length;
  out.push(
    `${diff.changed.length} mean(s) moved (${flagged} beyond ${diff.noiseFactor} × pooled seed std), ${diff.unchanged} unchanged, ` +
      `${diff.added.length} new, ${diff.removed.length} gone.\n\n`,
  );
  if (diff.changed.length) {
    out.push(
      row([
        "arch",
        "objective",
        "fraction",
        "task",
        "metric",
        "policy",
        "old",
        "new",
        "delta",
        `noise (${diff.noiseFactor}σ)`,
        "flag",
      ]),
    );
    out.push(`|${Array(11).fill("---").join("|")}|\n`);
    for (const e of diff.changed) {
      const scale = displayScale(e.new.metric);
      const flag = e.flagged
        ? "**beyond noise**"
        : Number.isFinite(e.noise)
        ? "within noise"
        : "noise unknown (1 seed each)";
      out.push(
        row([
          ...keyCells(e.new),
          meanCell(e.old),
          meanCell(e.new),
          signed(e.delta, scale, e.new.mean),
          Number.isFinite(e.noise) ? formatNumber(e.noise, scale, e.new.mean) : MISSING,
          flag,
        ]),
      );
    }
  }
  for (const [title, list] of [["Only in " + labels.b, diff.added], ["Only in " + labels.a, diff.removed]] as const) {
    if (!list.length) continue;
    out.push(`\n**${title}**\n\n`);
    out.push(row(["arch", "objective", "fraction", "task", "metric", "policy", "mean"]));
    out.push(`|${Array(7).fill("---").join("|")}|\n`);
    for (const s of list) out.push(row([...keyCells(s), meanCell(s)]));
  }
  return out.join("");
}

// ---------------------------------------------------------------------------------------------------------
// Where a side's results come from

async function git(args: string[], cwd: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  let result;
  try {
    result = await new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    return { ok: false, stdout: "", stderr: `cannot run git (${(e as Error).message})` };
  }
  const text = new TextDecoder();
  return { ok: result.success, stdout: text.decode(result.stdout), stderr: text.decode(result.stderr).trim() };
}

/** Where a side was read from, and its rows. */
export interface ResultsSource {
  /** What the user gave. */
  spec: string;
  /** The file read: a path, or REV:PATH. */
  location: string;
  rows: ResultRow[];
}

/**
 * Reads one side of a diff (see the module comment). `reportDir` names the folder inside a bare git
 * revision (e.g. "reports/nightly"); `cwd` is where git runs (default: the current folder).
 */
export async function readResultsSource(
  spec: string,
  opts: { reportDir?: string; cwd?: string } = {},
): Promise<ResultsSource> {
  const cwd = opts.cwd ?? Deno.cwd();
  const localPath = resolve(cwd, spec);
  if (await exists(localPath)) {
    const file = (await Deno.stat(localPath)).isDirectory ? join(localPath, "results.csv") : localPath;
    return { spec, location: file, rows: await readResults(file) };
  }
  const colon = spec.indexOf(":");
  const rev = (colon >= 0 ? spec.slice(0, colon) : spec) || "HEAD";
  let path = colon >= 0 ? spec.slice(colon + 1) : opts.reportDir;
  if (!(await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], cwd)).ok) {
    throw new InputError(
      `${JSON.stringify(spec)} is not a folder, a results.csv file, or a git revision (REV or REV:PATH) in ${cwd}`,
    );
  }
  if (path === undefined) {
    const listed = await git(["ls-tree", "--full-tree", "-r", "--name-only", rev, "--", "reports/"], cwd);
    const candidates = listed.stdout.split("\n").filter((p) => /^reports\/[^/]+\/results\.csv$/.test(p));
    if (candidates.length !== 1) {
      throw new InputError(
        `revision ${rev} holds ${
          candidates.length ? `several report folders (${candidates.join(", ")})` : "no reports/<x>/results.csv"
        }; ` +
          `expected exactly one, or name it: ${rev}:reports/<x> or --report-dir reports/<x>`,
      );
    }
    path = candidates[0];
  }
  path = path.replace(/\/+$/, "");
  const type = await git(["cat-file", "-t", `${rev}:${path}`], cwd);
  if (!type.ok) {
    throw new InputError(
      `${rev}:${path} does not exist (${type.stderr}); expected a results.csv or a report folder at that revision`,
    );
  }
  if (type.stdout.trim() === "tree") path = `${path}/results.csv`;
  const shown = await git(["show", `${rev}:${path}`], cwd);
  if (!shown.ok) {
    throw new InputError(`cannot read ${rev}:${path} (${shown.stderr}); expected a results.csv at that revision`);
  }
  return { spec, location: `${rev}:${path}`, rows: parseResultsCsv(shown.stdout, `${rev}:${path}`) };
}
