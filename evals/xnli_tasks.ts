/**
 * XNLI task names and language lists: the two setups of the paper's Table 5, its seven languages (from
 * reports/paper_results.json), the result-row task names (`xnli-<setup>/<lang>[/test]`). Pure data,
 * loaded by reports without the model code.
 */
import { XNLI_LANGUAGES, XNLI_TRAIN_LANGUAGES, type XnliSplit, xnliTask } from "../data/xnli.ts";
import { paperResults } from "../reports/paper_results.ts";
import { InputError } from "../util/errors.ts";

/** The two setups of the paper's Table 5. */
export const XNLI_SETUPS = ["en", "target"] as const;
/** A setup: fine-tune on English ("en") or on each target language ("target"). */
export type XnliSetup = (typeof XNLI_SETUPS)[number];

/** The languages of the paper's Table 5, in its column order. */
export const PAPER_XNLI_LANGUAGES: readonly string[] = paperResults().xnli.languages;

/** An evaluation split (train is never scored). */
export type XnliEvalSplit = Exclude<XnliSplit, "train">;

/** The task every XNLI row names (its setup, language and split in their own columns). */
export const XNLI_TASK: string = xnliTask().name;

/** The metric every XNLI row carries. */
export const XNLI_METRIC = "accuracy";

/** The language name of the derived average rows (reports/xnli_table.ts). */
export const XNLI_AVG = "avg";

/** True when XNLI's cache layout has a translate-train file for `lang`. */
export function hasTrainFile(lang: string): boolean {
  return XNLI_TRAIN_LANGUAGES.includes(lang);
}

/**
 * The old layout's result-row task name (results/legacy.ts reads it): `xnli-<setup>/<lang>` for dev scores, `xnli-<setup>/<lang>/test` for test
 * scores (`lang` may be {@link XNLI_AVG}).
 */
export function xnliTaskName(setup: XnliSetup, lang: string, split: XnliEvalSplit): string {
  return `xnli-${setup}/${lang}${split === "test" ? "/test" : ""}`;
}

/** The parts of an old-layout XNLI task name, or undefined when `task` is not one. */
export function parseXnliTask(task: string): { setup: XnliSetup; lang: string; split: XnliEvalSplit } | undefined {
  const m = /^xnli-(en|target)\/([a-z]+)(\/test)?$/.exec(task);
  if (!m) return undefined;
  return { setup: m[1] as XnliSetup, lang: m[2], split: m[3] ? "test" : "dev" };
}

/**
 * Parses a language list ("ar,de,en", "paper" for the paper's seven, "all" for XNLI's fifteen);
 * an unknown or repeated language is an InputError naming it.
 */
export function parseXnliLanguages(list: string): string[] {
  const names = list.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new InputError(`no XNLI language given; expected e.g. ar,de,en or paper or all`);
  const out: string[] = [];
  for (const name of names) {
    const group = name === "paper" ? PAPER_XNLI_LANGUAGES : name === "all" ? XNLI_LANGUAGES : [name];
    for (const lang of group) {
      if (!XNLI_LANGUAGES.includes(lang)) {
        throw new InputError(
          `unknown XNLI language "${lang}"; expected one of ${XNLI_LANGUAGES.join(", ")}, paper or all`,
        );
      }
      if (!out.includes(lang)) out.push(lang);
    }
  }
  return out;
}
