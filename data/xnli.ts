/**
 * XNLI in the data cache's layout (that of ../shared/data):
 * - `xnli/{lang}/{dev,test}.tsv`: header `id premise hypothesis label`, labels 0/1/2, for 15 languages;
 * - `xnli/{lang}/train.tsv`: the machine-translated MultiNLI training set (XNLI-MT's
 *   `multinli.train.{lang}.tsv`), header `premise hypo label`, labels entailment/neutral/contradictory.
 * Both load into the common example shape with labels 0 entailment / 1 neutral / 2 contradiction.
 * `splitXnliRelease` turns the official all-language `xnli.{dev,test}.tsv` into the per-language files.
 */
import { InputError } from "../util/errors.ts";
import { finetuneSpec } from "../evals/tasks/registry.ts";
import { columnIndex, parseTsv } from "./tsv.ts";
import { type LoadedExamples, loadExamples, splitSpec, type TaskSpec } from "./task_spec.ts";

/** The registry task (evals/tasks/xnli/xnli.json): split files with a {lang} placeholder, per-split overrides. */
export function xnliTask(): TaskSpec {
  return finetuneSpec("xnli");
}

/** The 15 XNLI languages, each with a dev and a test file. */
export const XNLI_LANGUAGES: readonly string[] = xnliTask().languages!;

/** The languages that have a train file (translate-train) in the cache layout. */
export const XNLI_TRAIN_LANGUAGES: readonly string[] = xnliTask().splitOverrides?.train?.languages ?? XNLI_LANGUAGES;

/** Class order of every XNLI example's label. */
export const XNLI_LABELS = ["entailment", "neutral", "contradiction"] as const;

/** An XNLI split. */
export type XnliSplit = "train" | "dev" | "test";

/** The TaskSpec reading one language's split (train and dev/test files differ in header and label strings). */
export function xnliSpec(lang: string, split: XnliSplit): TaskSpec {
  if (!XNLI_LANGUAGES.includes(lang)) {
    throw new InputError(`unknown XNLI language "${lang}" (languages: ${XNLI_LANGUAGES.join(", ")})`);
  }
  if (split === "train" && !XNLI_TRAIN_LANGUAGES.includes(lang)) {
    throw new InputError(`no XNLI train file for "${lang}" (train languages: ${XNLI_TRAIN_LANGUAGES.join(", ")})`);
  }
  return { ...splitSpec(xnliTask(), split, lang), name: `XNLI-${lang}`, title: `XNLI-${lang}` };
}

/** A file's place in the data cache. */
export function xnliPath(lang: string, split: XnliSplit): string {
  return xnliSpec(lang, split).splits[split];
}

/** Loads one language's split from the data cache. */
export function loadXnli(lang: string, split: XnliSplit, cacheDir: string): Promise<LoadedExamples> {
  return loadExamples(xnliSpec(lang, split), split, cacheDir);
}

/**
 * Splits the official `XNLI-1.0/xnli.{dev,test}.tsv` (all languages in one file; columns language,
 * gold_label, sentence1, sentence2 among others) into per-language TSV texts in the cache format,
 * with ASCII double quotes removed from the sentences as Hugging Face's `xnli` data and XTREME have them.
 */
export function splitXnliRelease(text: string, file: string): Map<string, string> {
  const table = parseTsv(text, file, { header: true });
  const [language, gold, premise, hypothesis] = ["language", "gold_label", "sentence1", "sentence2"].map((c) =>
    columnIndex(table, c)
  );
  const byLanguage = new Map<string, string[]>();
  for (const { line, fields } of table.rows) {
    const label = (XNLI_LABELS as readonly string[]).indexOf(fields[gold]);
    if (label === -1) {
      throw new InputError(
        `gold_label ${JSON.stringify(fields[gold])} is not one of ${XNLI_LABELS.join(", ")}`,
        file,
        line,
      );
    }
    const rows = byLanguage.get(fields[language]) ?? [];
    byLanguage.set(fields[language], rows);
    const clean = (s: string) => s.replaceAll('"', "");
    rows.push(`${rows.length}\t${clean(fields[premise])}\t${clean(fields[hypothesis])}\t${label}`);
  }
  return new Map(
    [...byLanguage].map(([lang, rows]) => [lang, `id\tpremise\thypothesis\tlabel\n${rows.join("\n")}\n`]),
  );
}
