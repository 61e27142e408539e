/**
 * report.md: a header saying how every figure was produced (seeds, epoch policy, FLOP budget, backend,
 * renderer, input hashes, the quoted manifest), the tables, compute-to-match, and the plots embedded as
 * `![title](plots/x.svg)`. Pure text: it formats what it is given and measures nothing, so a cell with
 * no measured value can only show "—".
 */
import { type ComputeToMatch, formatCrossing, formatPairRange } from "./compute_to_match.ts";
import type { Plot } from "./plots.ts";
import { paperResults } from "./paper_results.ts";
import { describeRuns, displayScale, formatFraction, formatNumber, MISSING, type TextTable } from "./summary.ts";

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

/** An input file and its hash. */
export interface HashedFile {
  path: string;
  sha256: string;
}

/** Everything report.md shows. */
export interface ReportInput {
  /** When the report was made (ISO time). */
  generatedAt: string;
  /** The results files read (merged in this order). */
  results: HashedFile[];
  /** The manifest to quote, when one was given or found. */
  manifest?: HashedFile & { json: unknown };
  /** Training logs the loss curves come from. */
  logs: { file: string; arch: string; objective: string; seed: number; rows: number }[];
  runs: ReturnType<typeof describeRuns>;
  tables: TextTable[];
  /** XNLI tables (Table 5 shape, compute to match): their section appears only when given. */
  xnli?: TextTable[];
  /** Compute to match measured in FLOPs, and the same selections in wall-clock seconds. */
  computeToMatch: { flops: ComputeToMatch[]; wallSeconds: ComputeToMatch[] };
  /** Plots, with `file` relative to the report (plots/x.svg). */
  plots: Plot[];
  /** How the plots were rendered. */
  renderer: string;
}

const flopsText = (f: number) => (Number.isFinite(f) ? f.toExponential(3) : MISSING);

function runsTable(runs: ReportInput["runs"]): TextTable {
  return {
    title: "Runs behind the numbers",
    columns: ["arch", "objective", "seeds", "budget fractions", "FLOP budget", "epoch policy", "backend"],
    rows: runs.map((r) => [
      r.arch,
      r.objective,
      r.seeds.join(", "),
      r.fractions.map(formatFraction).join(", "),
      flopsText(r.budgetFlops),
      r.policies.map((p) => p || MISSING).join(", "),
      r.backends.map((b) => b || MISSING).join(", "),
    ]),
    notes: [
      "FLOP budget: the final checkpoint's FLOPs divided by its budget fraction (= its FLOPs when that fraction is 1), mean over seeds.",
      'Epoch policy: how a fine-tuned score was picked ("best-epoch": the best of the epochs on dev, as the paper; "last-epoch"); ' +
      "— for zero-shot scores.",
    ],
  };
}

function computeToMatchTable(input: ReportInput["computeToMatch"]): TextTable {
  const wall = new Map(input.wallSeconds.map((c) => [[c.arch, c.task, c.metric, c.policy].join("\u0000"), c]));
  return {
    title:
      "Compute to match: share of the softmax run's final compute at which CWT first reaches the softmax run's final score",
    columns: [
      "arch",
      "task",
      "metric",
      "policy",
      "target (softmax final)",
      "FLOPs (seed means)",
      "FLOPs over seed pairs",
      "wall-clock (seed means)",
      "wall-clock over seed pairs",
    ],
    rows: input.flops.map((c) => {
      const w = wall.get([c.arch, c.task, c.metric, c.policy].join("\u0000"));
      return [
        c.arch,
        c.task,
        c.metric + (displayScale(c.metric) !== 1 ? " (×100)" : ""),
        c.policy || MISSING,
        `${formatNumber(c.target, displayScale(c.metric))} at ${formatFraction(c.baselineFraction)}`,
        formatCrossing(c.estimate, c.metric),
        formatPairRange(c),
        w ? formatCrossing(w.estimate, w.metric) : MISSING,
        w ? formatPairRange(w) : MISSING,
      ];
    }),
    notes: [
      "Linear interpolation between checkpoints (budget fractions) in FLOPs (or seconds); nothing is assumed before the first " +
      'checkpoint, so "≤ x" means CWT already reached the target there.',
      "Seed means: target = mean softmax score at its final fraction, CWT curve = mean over CWT seeds per fraction. " +
      "Seed pairs: the same for every (softmax seed, CWT seed) pair; min–max shown.",
      "Higher is better, except perplexity and loss (lower). Paper, GLUE (bert-base): about " +
      `${Math.round(100 * paperResults().computeToMatch.glue)}% of the FLOPs.`,
    ],
  };
}

/** The whole report.md text. */
export function renderReport(input: ReportInput): string {
  const out: string[] = [];
  out.push("# headless-bench report\n");
  out.push(`Generated ${input.generatedAt} by \`tasks/report.ts\`.\n`);
  out.push("## How these figures were produced\n");
  out.push(
    [
      `- Results: ${
        input.results.map((r) => `\`${r.path}\` (sha256 ${r.sha256})`).join(", ")
      }; every number below is computed ` +
      "from their rows, and a cell with no measured value shows —.",
      "- Aggregation: mean ± sample standard deviation (n − 1) over seeds; a single seed shows its value alone. Where rows " +
      'name their pretraining seed, a replicate is a (pretraining seed, fine-tuning seed) pair, shown "pretrain/seed".',
      "- GLUE averages are computed per seed from that seed's task scores, only when every task of the average was measured.",
      `- Plots: ${input.renderer}.`,
      input.logs.length
        ? `- Loss curves: ${input.logs.length} training log(s): ${
          input.logs.map((l) => `\`${l.file}\` (${l.arch} ${l.objective} seed ${l.seed}, ${l.rows} rows)`).join(", ")
        }.`
        : "- Loss curves: no training logs given (--logs).",
    ].join("\n") + "\n",
  );
  out.push(markdownTable(runsTable(input.runs)));
  if (input.manifest) {
    out.push(`### Manifest\n\n\`${input.manifest.path}\` (sha256 ${input.manifest.sha256}), quoted as given:\n`);
    out.push("```json\n" + JSON.stringify(input.manifest.json, null, 2) + "\n```\n");
  } else {
    out.push(
      "### Manifest\n\nNo manifest.json was given or found beside the results; versions, config and hashes are not recorded here.\n",
    );
  }
  out.push("## Tables\n");
  for (const t of input.tables) out.push(markdownTable(t));
  if (input.xnli?.length) {
    out.push("## XNLI\n");
    for (const t of input.xnli) out.push(markdownTable(t));
  }
  out.push("## Compute to match\n");
  out.push(
    input.computeToMatch.flops.length
      ? markdownTable(computeToMatchTable(input.computeToMatch))
      : "No (arch, task, metric) was measured for both softmax and CWT.\n",
  );
  out.push("## Plots\n");
  if (input.plots.length === 0) out.push("No plots (no result rows and no training logs).\n");
  for (const p of input.plots) out.push(`### ${p.title}\n\n![${p.title}](${p.file})\n\n${p.caption}\n`);
  return out.join("\n");
}
