/**
 * report.md: a short "Findings" section first (each comparison in one line: design, difference with its 95%
 * interval, verdict, the random-init reference, compute to match), then the tables (each with its
 * references), the plots, every result, and last the provenance (a compact summary; the full manifest stays
 * in manifest.json). Pure text: it formats what it is given and measures nothing, so a cell with no
 * measured value can only show "—".
 */
import type { Plot } from "./plots.ts";
import { describeRuns, formatFraction, MISSING, type TextTable } from "./summary.ts";

/** A Markdown table cell: pipes escaped, newlines flattened. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** A {@link TextTable} as Markdown: a bold title, the table, then its notes as a list. */
export function markdownTable(t: TextTable): string {
  const head = `| ${t.columns.map(cell).join(" | ")} |\n|${t.columns.map(() => "---").join("|")}|\n`;
  const body = t.rows.map((r) => `| ${r.map(cell).join(" | ")} |\n`).join("");
  const notes = t.notes.map((n) => `- ${n}\n`).join("");
  return `**${t.title}**\n\n${head}${body}${notes ? `\n${notes}` : ""}`;
}

/** An input file (its path relative to the report) and its hash. */
export interface HashedFile {
  path: string;
  sha256: string;
}

/** Everything report.md shows. */
export interface ReportInput {
  /** When the report was made (ISO time). */
  generatedAt: string;
  /** The results files read (merged in this order), paths relative to the report. */
  results: HashedFile[];
  /** The manifest, when one was given or found (path relative to the report). */
  manifest?: HashedFile & { json: unknown };
  /** Training logs the loss curves come from (paths relative to the report). */
  logs: { file: string; arch: string; objective: string; seed: number; rows: number }[];
  runs: ReturnType<typeof describeRuns>;
  /** The Findings table, and lines about the evidence (examples set aside). */
  findings: TextTable;
  /** Every pretrained arm at every fraction against its random-init reference (the learning curve). */
  gains: TextTable;
  /** Wall time by part, from the run's stages.jsonl. */
  wallTime?: TextTable;
  evidenceNotes: string[];
  /** The paper-shaped tables, each with its references. */
  tables: TextTable[];
  /** XNLI tables (corpus, Table 5 shape): their section appears only when given. */
  xnli?: TextTable[];
  computeToMatch: TextTable;
  /** Every result, pivoted by fraction. */
  allResults: TextTable;
  /** Plots, with `file` relative to the report (plots/x.svg). */
  plots: Plot[];
  /** How the plots were rendered. */
  renderer: string;
}

const flopsText = (f: number) => (Number.isFinite(f) && f > 0 ? f.toExponential(3) : MISSING);

function runsTable(runs: ReportInput["runs"]): TextTable {
  const designs = runs.some((r) => r.design !== "");
  return {
    title: "Runs behind the numbers",
    columns: [
      "arch",
      "model",
      "objective",
      ...(designs ? ["design"] : []),
      "pretraining seeds",
      "budget fractions",
      "FLOP budget",
      "epoch policy",
      "backend",
    ],
    rows: runs.map((r) => [
      r.arch,
      r.model || MISSING,
      r.objective,
      ...(designs ? [(r.design || "default") + (r.sameTrainingAs ? ` (= ${r.sameTrainingAs})` : "")] : []),
      r.seeds.join(", "),
      r.fractions.map(formatFraction).join(", "),
      flopsText(r.budgetFlops),
      r.policies.map((p) => p || MISSING).join(", "),
      r.backends.map((b) => b || MISSING).join(", "),
    ]),
    notes: [
      "FLOP budget: the final checkpoint's FLOPs divided by its budget fraction, mean over seeds; references (fraction 0) have none.",
      'Epoch policy: how a fine-tuned score was picked ("best-epoch": the best of the epochs on dev, as the paper; "last-epoch"); ' +
      "— for zero-shot scores.",
      ...(runs.some((r) => r.sameTrainingAs)
        ? [
          "(= X): trained once, by design X's run: the same steps, settings and seed (the dense and sparse softmax " +
          "heads differ in cost only, and a decoder scores every position), so that run's scores are filed under " +
          "this design too, with the FLOPs this design's head charges.",
        ]
        : []),
    ],
  };
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === "object" && v !== null ? v as Json : {});

/** The manifest in a few lines: profile, versions, machine, git, data, corpus, stages; the rest stays in the file. */
export function manifestSummary(m: HashedFile & { json: unknown }): string[] {
  const j = obj(m.json);
  const profile = obj(j.profile), versions = obj(j.versions), machine = obj(j.machine), git = obj(j.git);
  const data = obj(j.data), corpus = obj(j.corpus), stages = obj(j.stages);
  const count = (v: unknown) => (Array.isArray(v) ? v.length : 0);
  const lines = [
    profile.name !== undefined ? `profile \`${profile.name}\` (${profile.file ?? "?"})` : "",
    Object.keys(versions).length
      ? `versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}; backend ${j.backend ?? "?"}`
      : "",
    machine.cpu !== undefined ? `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}` : "",
    git.commit !== undefined ? `git ${git.commit}${git.dirty ? " (uncommitted changes)" : ""}` : "",
    data.files !== undefined
      ? `data: ${Object.keys(obj(data.files)).length} cache files, sha256 of each in the manifest`
      : "",
    corpus.name !== undefined
      ? `corpus ${corpus.name}: ${corpus.documents} documents, ${corpus.bytes} bytes, sha256 ${corpus.sha256}`
      : "",
    j.startedAt !== undefined ? `ran ${j.startedAt} – ${j.endedAt}` : "",
    stages.all !== undefined
      ? `stages: ${count(stages.all)} (${count(stages.ran)} ran, ${count(stages.skipped)} already done, ${
        count(stages.resumed)
      } resumed)`
      : "",
  ].filter(Boolean);
  return [`- Manifest: \`${m.path}\` (sha256 ${m.sha256}), in full there; ${lines.join("; ")}.`];
}

/** Files in a few words: "12 files under stages/glue (4), stages/lambada (4), ...", or the paths when few. */
export function filesText(paths: readonly string[]): string {
  if (paths.length <= 2) return paths.map((p) => `\`${p}\``).join(", ");
  const folders = new Map<string, number>();
  for (const p of paths) {
    const folder = p.split("/").slice(0, -2).join("/") || ".";
    folders.set(folder, (folders.get(folder) ?? 0) + 1);
  }
  return `${paths.length} files under ${[...folders].map(([f, n]) => `\`${f}\` (${n})`).join(", ")}`;
}

/** The whole report.md text. */
export function renderReport(input: ReportInput): string {
  const out: string[] = [];
  out.push("# headless-bench report\n");
  const profile = input.manifest ? obj(obj(input.manifest.json).profile).name : undefined;
  out.push(
    `${profile ? `Profile \`${profile}\`, ` : ""}${input.runs.length} runs, generated ${input.generatedAt}. ` +
      "Findings first, then the tables (each with its references), plots, every result, and how they were made.\n",
  );
  out.push("## Findings\n");
  out.push(
    input.findings.rows.length
      ? markdownTable({ ...input.findings, title: "Pretrained objectives against softmax" })
      : "No measure was scored for both softmax and another objective: nothing to compare.\n",
  );
  if (input.evidenceNotes.length) out.push(input.evidenceNotes.map((n) => `- ${n}`).join("\n") + "\n");
  out.push(
    input.gains.rows.length
      ? markdownTable(input.gains)
      : "No pretrained model was scored beside a random-init or unigram reference: no pretraining gain to show.\n",
  );
  if (input.wallTime) out.push(markdownTable(input.wallTime));
  out.push("## Tables\n");
  for (const t of input.tables) out.push(markdownTable(t));
  if (input.xnli?.length) {
    out.push("## XNLI\n");
    for (const t of input.xnli) out.push(markdownTable(t));
  }
  out.push("## Compute to match\n");
  out.push(
    input.computeToMatch.rows.length
      ? markdownTable(input.computeToMatch)
      : "No measure was scored for both softmax and another objective.\n",
  );
  out.push("## Plots\n");
  if (input.plots.length === 0) out.push("No plots (no result rows and no training logs).\n");
  for (const p of input.plots) out.push(`### ${p.title}\n\n![${p.title}](${p.file})\n\n${p.caption}\n`);
  out.push("## All results\n");
  out.push(markdownTable(input.allResults));
  out.push("## Provenance\n");
  out.push(
    [
      `- Results: ${filesText(input.results.map((r) => r.path))} (paths and sha256 in results.json), merged into ` +
      "results.csv (one tidy row per value), with timings.csv, results.json and comparisons.csv beside it.",
      ...(input.manifest
        ? manifestSummary(input.manifest)
        : ["- Manifest: none given or found beside the results; versions, config and hashes are not recorded here."]),
      "- Aggregation: tables show mean ± sample standard deviation (n − 1) over replicates (pretraining seed × " +
      "fine-tuning seed); the Findings' intervals are the bootstrap's. GLUE and XNLI averages are computed per seed.",
      `- Plots: ${input.renderer}.`,
      input.logs.length
        ? `- Loss curves: ${filesText(input.logs.map((l) => l.file))}: ${
          input.logs.map((l) => `${l.arch} ${l.objective} seed ${l.seed} (${l.rows} rows)`).join(", ")
        }.`
        : "- Loss curves: no training logs given (--logs).",
    ].join("\n") + "\n",
  );
  out.push(markdownTable(runsTable(input.runs)));
  return out.join("\n");
}
