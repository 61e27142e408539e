/**
 * XNLI in the shape of the paper's Table 5 (accuracy per language and the average, for the two setups
 * "fine-tune on English" and "fine-tune on target language"), with the references (random init, majority
 * class) and the published numbers beside ours.
 *
 * Averages are derived rows (task `xnli`, language `avg`): per run, replicate, checkpoint, policy, setup and
 * split, the mean accuracy over the paper's languages that the setup can run (all seven for "en"; for
 * "target" those with a translate-train file: ar de en es fr zh, hi has none), written only when every one
 * of them was measured. The table's paper rows show the published average when ours covers all seven
 * languages, otherwise the paper's per-language numbers averaged over the same languages as ours (the
 * published seven-language figure beside it). Compute to match on XNLI is part of the report's Findings.
 */
import {
  hasTrainFile,
  PAPER_XNLI_LANGUAGES,
  XNLI_AVG,
  XNLI_METRIC,
  XNLI_SETUPS,
  XNLI_TASK,
  type XnliSetup,
} from "../evals/xnli_tasks.ts";
import { paperResults, type PaperXnliRow } from "./paper_results.ts";
import { compareReplicates, type ResultRow, rowIdentity } from "../results/rows.ts";
import { isReference } from "../results/vocabulary.ts";
import {
  armAtFinal,
  designTitle,
  formatFraction,
  formatMeanStd,
  MISSING,
  objectiveLabel,
  summaryIndex,
  summaryKey,
  type SummaryRow,
  tableCombos,
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

/** True for an XNLI row. */
export function isXnliRow(r: Pick<ResultRow, "task">): boolean {
  return r.task === XNLI_TASK;
}

/** True for an XNLI score of one language (not the average). */
export function isXnliLanguageRow(r: Pick<ResultRow, "task" | "lang">): boolean {
  return isXnliRow(r) && r.lang !== XNLI_AVG;
}

/** True when some row is an XNLI score. */
export function hasXnliRows(rows: readonly Pick<ResultRow, "task">[]): boolean {
  return rows.some(isXnliRow);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * `rows` plus the derived XNLI averages (see the module comment). An average already in `rows` is kept
 * and not derived again.
 */
export function withXnliAverages(rows: readonly ResultRow[]): ResultRow[] {
  const present = new Set(rows.map(rowIdentity));
  const groups = new Map<string, Map<string, ResultRow>>();
  for (const r of rows) {
    if (!isXnliLanguageRow(r) || r.metric !== XNLI_METRIC) continue;
    const k = [r.arch, r.model, r.objective, r.design, r.pretrain_seed, r.seed, r.fraction, r.policy, r.setup, r.split]
      .join("\u0000");
    if (!groups.has(k)) groups.set(k, new Map());
    groups.get(k)!.set(r.lang, r);
  }
  const derived: ResultRow[] = [];
  for (const byLang of groups.values()) {
    const setup = [...byLang.values()][0].setup as XnliSetup;
    const langs = xnliAverageLanguages(setup);
    if (!langs.every((l) => byLang.has(l))) continue;
    const members = langs.map((l) => byLang.get(l)!);
    const { details: _, ...first } = members[0];
    const row: ResultRow = {
      ...first,
      backend: [...new Set(members.map((r) => r.backend))].join("+"),
      flops: mean(members.map((r) => r.flops)),
      tokens: mean(members.map((r) => r.tokens)),
      lang: XNLI_AVG,
      examples: members.every((r) => r.examples !== null) ? members.reduce((n, r) => n + r.examples!, 0) : null,
      value: mean(members.map((r) => r.value)),
    };
    if (!present.has(rowIdentity(row))) derived.push(row);
  }
  return [...rows, ...derived];
}

/** The paper row's average over `langs` (the published one when `langs` is all seven). */
function paperAverage(p: PaperXnliRow, langs: string[]): string {
  if (langs.length === PAPER_XNLI_LANGUAGES.length) return p.avg.toFixed(2);
  const recomputed = mean(langs.map((l) => p.scores[l]));
  return `${recomputed.toFixed(2)} (7 langs: ${p.avg.toFixed(2)})`;
}

/**
 * Tables in the shape of the paper's Table 5: one per (arch, design, policy, split) with XNLI rows (an
 * empty one for encoder, best-epoch, dev when there are none). Per setup: a row per objective (softmax and
 * cwt always, others when measured) at its final fraction for that setup, the references, then the
 * paper's two rows. A target-setup cell for a language without a translate-train file says so.
 */
export function xnliTable5(summary: readonly SummaryRow[]): TextTable[] {
  const relevant = summary.filter((s) => s.metric === XNLI_METRIC && isXnliRow(s));
  const index = summaryIndex(summary);
  const splits = [...new Set(relevant.map((s) => s.split))].sort();
  const combos = (splits.length ? splits : ["dev"]).flatMap((split) =>
    tableCombos(relevant.filter((s) => s.split === split && s.policy !== ""), ["encoder", "", "best-epoch"])
      .map((c) => [...c, split])
  );
  return combos.map(([arch, design, policy, split]) => {
    const notes: string[] = [];
    const body = XNLI_SETUPS.flatMap((setup) => {
      const ofSetup = relevant.filter((s) => s.arch === arch && s.setup === setup && s.split === split);
      const avgLangs = xnliAverageLanguages(setup);
      const present = new Set(ofSetup.map((s) => s.objective));
      const objectives = [
        ...["softmax", "cwt", ...[...present].filter((o) => !isReference(o)).sort()].filter((o, i, a) =>
          a.indexOf(o) === i
        ),
        ...["random-init", "majority"].filter((o) => present.has(o)),
      ];
      const ours = objectives.map((objective) => {
        const arm = armAtFinal(ofSetup, { arch, design, objective, policy });
        const at = arm.rows[0];
        const cell = (lang: string) => (at ? index.get(summaryKey({ ...at, lang })) : undefined);
        const langCells = PAPER_XNLI_LANGUAGES.map((lang) =>
          setup === "target" && !hasTrainFile(lang) ? "no train file" : formatMeanStd(cell(lang))
        );
        const avg = cell(XNLI_AVG);
        const missing = avgLangs.filter((l) => !cell(l));
        if (arm.fraction !== undefined && !avg && missing.length && !isReference(objective)) {
          notes.push(
            `${XNLI_SETUP_LABELS[setup]}, ${objectiveLabel(objective)}: avg needs ${avgLangs.join(" ")}; ` +
              `not measured: ${missing.join(", ")}.`,
          );
        }
        const seeds = [...new Set([...avgLangs.map(cell), avg].flatMap((c) => c?.seeds ?? []))].sort(
          compareReplicates,
        );
        return [
          XNLI_SETUP_LABELS[setup],
          objectiveLabel(objective),
          arm.fraction === undefined ? MISSING : formatFraction(arm.fraction),
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
      title: `Table 5 shape: XNLI ${split} accuracy, ${arch}${designTitle(design)}${policy ? `, ${policy}` : ""}`,
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
        "References: random init = the same model with no pretraining, fine-tuned the same way; majority class = the fine-tuning " +
        "language's most frequent training label. " + XNLI_CHANCE_NOTE,
        "Paper: Godey et al. (2023) Table 5 (multilingual encoders pretrained on ar de en es fr hi it ja ko zh Wikipedia, 400k steps × 64 × 128); not run here.",
        ...notes,
      ],
    };
  });
}
