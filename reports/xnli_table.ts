/**
 * XNLI in the shape of the paper's Table 5 (accuracy per language and the average, for the two
 * setups "fine-tune on English" and "fine-tune on target language"), with the published numbers
 * beside ours, and compute-to-match on the XNLI average for both setups.
 *
 * Averages are derived rows (task `xnli-<setup>/avg`, or `xnli-<setup>/avg/test`): per run, replicate,
 * checkpoint and policy, the mean accuracy over the paper's languages that the setup can run (all seven
 * for "en"; for "target" those with a translate-train file: ar de en es fr zh, hi has none), written
 * only when every one of them was measured. The table's paper rows show the published average when
 * ours covers all seven languages, otherwise the paper's per-language numbers averaged over the same
 * languages as ours (the published seven-language figure beside it).
 */
import {
  hasTrainFile,
  PAPER_XNLI_LANGUAGES,
  parseXnliTask,
  XNLI_AVG,
  XNLI_METRIC,
  XNLI_SETUPS,
  type XnliEvalSplit,
  type XnliSetup,
  xnliTaskName,
} from "../evals/xnli_tasks.ts";
import { type ComputeToMatch, computeToMatch, formatCrossing, formatPairRange } from "./compute_to_match.ts";
import { paperResults, type PaperXnliRow } from "./paper_results.ts";
import { compareReplicates, replicateLabel, type ResultRow, rowIdentity } from "./rows.ts";
import {
  formatFraction,
  formatMeanStd,
  formatNumber,
  MISSING,
  OBJECTIVE_LABELS,
  summaryIndex,
  summaryKey,
  type SummaryRow,
  type TextTable,
} from "./summary.ts";

/** XNLI's three classes are balanced in every dev and test set. */
const XNLI_CHANCE_NOTE = "Chance: 33.33 (three balanced classes: entailment, neutral, contradiction).";

/** How each setup is labelled in tables. */
export const XNLI_SETUP_LABELS: Readonly<Record<XnliSetup, string>> = {
  en: "fine-tune on English",
  target: "fine-tune on target language",
};

/** The languages the average of `setup` runs over: the paper's seven that the setup can run. */
export function xnliAverageLanguages(setup: XnliSetup): string[] {
  return PAPER_XNLI_LANGUAGES.filter((l) => setup === "en" || hasTrainFile(l));
}

/** True for an XNLI score of one language (not the average). */
export function isXnliLanguageTask(task: string): boolean {
  const t = parseXnliTask(task);
  return t !== undefined && t.lang !== XNLI_AVG;
}

/** True when some row is an XNLI score. */
export function hasXnliRows(rows: readonly Pick<ResultRow, "task">[]): boolean {
  return rows.some((r) => parseXnliTask(r.task) !== undefined);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * `rows` plus the derived XNLI averages (see the module comment). An average already in `rows` is kept
 * and not derived again.
 */
export function withXnliAverages(rows: readonly ResultRow[]): ResultRow[] {
  const present = new Set(rows.map(rowIdentity));
  const groups = new Map<string, { setup: XnliSetup; split: XnliEvalSplit; byLang: Map<string, ResultRow> }>();
  for (const r of rows) {
    const t = parseXnliTask(r.task);
    if (!t || t.lang === XNLI_AVG || r.metric !== XNLI_METRIC) continue;
    const k = [r.arch, r.objective, replicateLabel(r), r.fraction, r.policy, t.setup, t.split].join("\u0000");
    if (!groups.has(k)) groups.set(k, { setup: t.setup, split: t.split, byLang: new Map() });
    groups.get(k)!.byLang.set(t.lang, r);
  }
  const derived: ResultRow[] = [];
  for (const { setup, split, byLang } of groups.values()) {
    const langs = xnliAverageLanguages(setup);
    if (!langs.every((l) => byLang.has(l))) continue;
    const members = langs.map((l) => byLang.get(l)!);
    const row: ResultRow = {
      ...members[0],
      backend: [...new Set(members.map((r) => r.backend))].join("+"),
      flops: mean(members.map((r) => r.flops)),
      tokens: mean(members.map((r) => r.tokens)),
      wall_seconds: mean(members.map((r) => r.wall_seconds)),
      task: xnliTaskName(setup, XNLI_AVG, split),
      value: mean(members.map((r) => r.value)),
    };
    if (!present.has(rowIdentity(row))) derived.push(row);
  }
  return [...rows, ...derived];
}

/** Objectives in table order: softmax (vanilla), cwt (headless), then others alphabetically. */
function orderObjectives(objectives: Iterable<string>): string[] {
  const rank = (o: string) => (o === "softmax" ? 0 : o === "cwt" ? 1 : 2);
  return [...new Set(objectives)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The paper row's average over `langs` (the published one when `langs` is all seven). */
function paperAverage(p: PaperXnliRow, langs: string[]): string {
  if (langs.length === PAPER_XNLI_LANGUAGES.length) return p.avg.toFixed(2);
  const recomputed = mean(langs.map((l) => p.scores[l]));
  return `${recomputed.toFixed(2)} (7 langs: ${p.avg.toFixed(2)})`;
}

/**
 * Tables in the shape of the paper's Table 5: one per (arch, policy, split) with XNLI rows (an empty
 * one for encoder, best-epoch, dev when there are none). Per setup: a row per objective (softmax and
 * cwt always, others when measured) at its final fraction for that setup, then the paper's two rows. A target-setup cell for a language without a
 * translate-train file says so.
 */
export function xnliTable5(summary: readonly SummaryRow[]): TextTable[] {
  const relevant = summary.filter((s) => s.metric === XNLI_METRIC && parseXnliTask(s.task) !== undefined);
  const index = summaryIndex(summary);
  const combos = relevant.length
    ? [...new Set(relevant.map((s) => [s.arch, s.policy, parseXnliTask(s.task)!.split].join("\u0000")))].sort().map((
      k,
    ) => k.split("\u0000"))
    : [["encoder", "best-epoch", "dev"]];
  return combos.map(([arch, policy, split]) => {
    const mine = relevant.filter((s) =>
      s.arch === arch && s.policy === policy && parseXnliTask(s.task)!.split === split
    );
    const notes: string[] = [];
    const body = XNLI_SETUPS.flatMap((setup) => {
      const ofSetup = mine.filter((s) => parseXnliTask(s.task)!.setup === setup);
      const avgLangs = xnliAverageLanguages(setup);
      const objectives = orderObjectives(["softmax", "cwt", ...ofSetup.map((s) => s.objective)]);
      const ours = objectives.map((objective) => {
        const fractions = ofSetup.filter((s) => s.objective === objective).map((s) => s.fraction);
        const fraction = fractions.length ? Math.max(...fractions) : undefined;
        const cell = (lang: string) =>
          fraction === undefined ? undefined : index.get(
            summaryKey({
              arch,
              objective,
              fraction,
              task: xnliTaskName(setup, lang, split as XnliEvalSplit),
              metric: XNLI_METRIC,
              policy,
            }),
          );
        const langCells = PAPER_XNLI_LANGUAGES.map((lang) =>
          setup === "target" && !hasTrainFile(lang) ? "no train file" : formatMeanStd(cell(lang))
        );
        const avg = cell(XNLI_AVG);
        const missing = avgLangs.filter((l) => !cell(l));
        if (fraction !== undefined && !avg && missing.length) {
          notes.push(
            `${XNLI_SETUP_LABELS[setup]}, ${OBJECTIVE_LABELS[objective] ?? objective}: avg needs ${
              avgLangs.join(" ")
            }; not measured: ${missing.join(", ")}.`,
          );
        }
        const seeds = [...new Set([...avgLangs.map(cell), avg].flatMap((c) => c?.seeds ?? []))].sort(compareReplicates);
        return [
          XNLI_SETUP_LABELS[setup],
          OBJECTIVE_LABELS[objective] ?? objective,
          fraction === undefined ? MISSING : formatFraction(fraction),
          seeds.length ? seeds.join(",") : MISSING,
          ...langCells,
          formatMeanStd(avg),
        ];
      });
      const paper = paperResults().xnli.rows.filter((p) => p.setup === setup).map((p) => [
        XNLI_SETUP_LABELS[setup],
        `paper: ${p.model}`,
        "published",
        MISSING,
        ...PAPER_XNLI_LANGUAGES.map((l) => p.scores[l].toFixed(2)),
        paperAverage(p, avgLangs),
      ]);
      return [...ours, ...paper];
    });
    return {
      title: `Table 5 shape: XNLI ${split} accuracy, ${arch}${policy ? `, ${policy}` : ""}`,
      columns: ["setup", "model", "fraction", "seeds", ...PAPER_XNLI_LANGUAGES, "avg"],
      rows: body,
      notes: [
        "Ours: mean ± sample std over seeds, ×100, at each objective's final budget fraction for that setup. " +
        "Best epoch = the epoch best on the fine-tuning language's dev set (English for the en setup, the language itself for the target setup); " +
        "last epoch: no selection.",
        `avg = mean over ${xnliAverageLanguages("en").join(" ")} (fine-tune on English) and ${
          xnliAverageLanguages("target").join(" ")
        } ` +
        "(fine-tune on target language: hi has no translate-train file in XNLI's cache layout), computed per seed; the paper rows' target-setup avg " +
        "is their numbers averaged over the same six languages, with the published seven-language average in brackets.",
        "Paper: Godey et al. (2023) Table 5 (multilingual encoders pretrained on ar de en es fr hi it ja ko zh Wikipedia, 400k steps × 64 × 128); not run here.",
        XNLI_CHANCE_NOTE,
        ...notes,
      ],
    };
  });
}

/** Compute to match on the XNLI average of each setup, per (arch, policy, split) measured by both objectives. */
export function xnliComputeToMatch(
  rowsWithAverages: readonly ResultRow[],
): (ComputeToMatch & { setup: XnliSetup; split: XnliEvalSplit })[] {
  const keys = new Set<string>();
  for (const r of rowsWithAverages) {
    const t = parseXnliTask(r.task);
    if (t && t.lang === XNLI_AVG && r.metric === XNLI_METRIC) {
      keys.add([r.arch, r.policy, t.setup, t.split].join("\u0000"));
    }
  }
  return [...keys].sort().flatMap((k) => {
    const [arch, policy, setup, split] = k.split("\u0000") as [string, string, XnliSetup, XnliEvalSplit];
    const result = computeToMatch(rowsWithAverages, {
      arch,
      task: xnliTaskName(setup, XNLI_AVG, split),
      metric: XNLI_METRIC,
      policy,
      axis: "flops",
    });
    return result ? [{ ...result, setup, split }] : [];
  });
}

/** The XNLI compute-to-match results as a table, the paper's claims beside them. */
export function xnliComputeToMatchTable(results: ReturnType<typeof xnliComputeToMatch>): TextTable {
  return {
    title:
      "XNLI compute to match: share of the vanilla (softmax) run's final FLOPs at which headless (CWT) first reaches its final XNLI average",
    columns: [
      "setup",
      "arch",
      "split",
      "policy",
      "target (vanilla final avg)",
      "FLOPs (seed means)",
      "FLOPs over seed pairs",
      "paper",
    ],
    rows: results.map((c) => [
      XNLI_SETUP_LABELS[c.setup],
      c.arch,
      c.split,
      c.policy || MISSING,
      `${formatNumber(c.target, 100)} at ${formatFraction(c.baselineFraction)}`,
      formatCrossing(c.estimate, c.metric),
      formatPairRange(c),
      `${Math.round(100 * paperResults().computeToMatch.xnli[c.setup])}%`,
    ]),
    notes: [
      "On the per-seed XNLI average (see Table 5's avg); linear interpolation between checkpoints, nothing assumed before the first " +
      '("≤ x": headless already reached the target at its first checkpoint). reports/compute_to_match.ts.',
      `Paper: the multilingual headless encoder passes the vanilla one's final XNLI score after ${
        Math.round(100 * paperResults().computeToMatch.xnli.en)
      }% (English) and ${
        Math.round(100 * paperResults().computeToMatch.xnli.target)
      }% (target language) of its compute.`,
      XNLI_CHANCE_NOTE + " A target at chance is reached by any model, so its crossing says nothing about CWT.",
      ...(results.length ? [] : ["No XNLI average was measured for both softmax and CWT."]),
    ],
  };
}

/** Every XNLI table of the report: Table 5 per (arch, policy, split), then compute to match. */
export function xnliTables(rowsWithAverages: readonly ResultRow[], summary: readonly SummaryRow[]): TextTable[] {
  return [...xnliTable5(summary), xnliComputeToMatchTable(xnliComputeToMatch(rowsWithAverages))];
}
