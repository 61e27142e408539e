/**
 * XNLI with an encoder, in the paper's two setups (Godey et al. 2023, Table 5):
 * - "en": fine-tune once on the English training set, then score the model zero-shot on the dev (or
 *   test) set of every requested language after each epoch;
 * - "target": fine-tune a fresh copy of the model on each language's own (machine-translated) training
 *   set and score it on that language. A language with no translate-train file in XNLI's cache layout
 *   (data/xnli.ts XNLI_TRAIN_LANGUAGES; of the paper's seven, hi) is not run and is reported as such.
 *
 * Fine-tuning is evals/finetune_glue.ts's (balanced or plain CE, linear head on [CLS], AdamW, warmup
 * then constant). Which epoch is "best": the one with the highest dev accuracy in the fine-tuning
 * language only (English for "en", the language itself for "target"), so that a zero-shot score never
 * picks its epoch by looking at the language it is scored on, and a test score never by looking at
 * test data (when the test split is scored, the fine-tuning language's dev set is scored too, only to
 * pick the epoch). The last epoch is reported as well.
 */
import type { Example } from "../data/task_spec.ts";
import { loadXnli, XNLI_TRAIN_LANGUAGES, xnliSpec } from "../data/xnli.ts";
import type { Model } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import {
  type FinetuneOptions,
  type FinetuneResult,
  finetuneTask,
  subsample,
  type TextTokenizer,
} from "./finetune_glue.ts";

export {
  hasTrainFile,
  PAPER_XNLI_LANGUAGES,
  parseXnliLanguages,
  parseXnliTask,
  XNLI_AVG,
  XNLI_METRIC,
  XNLI_SETUPS,
  XNLI_TASK,
  type XnliEvalSplit,
  type XnliSetup,
  xnliTaskName,
} from "./xnli_tasks.ts";
import { hasTrainFile, XNLI_METRIC, type XnliEvalSplit, type XnliSetup, xnliTaskName } from "./xnli_tasks.ts";

/** One setup's data: training sets by language and evaluation sets by language. */
export interface XnliData {
  split: XnliEvalSplit;
  /** Training sets by language ("en" only for the en setup). */
  train: Record<string, Example[]>;
  /** Evaluation sets by language. */
  eval: Record<string, Example[]>;
  /** Requested languages with no translate-train file (target setup only); not run. */
  missingTrain: string[];
  /** Examples each evaluation set held before any cap. */
  evalAvailable: Record<string, number>;
  /**
   * With the test split: the dev set of each fine-tuning language, scored only to pick the best epoch
   * (capped like the evaluation sets). Absent with the dev split, whose own scores pick it.
   */
  selection?: Record<string, Example[]>;
}

/** Options of {@link loadXnliData}. */
export interface LoadXnliOptions {
  /** Score a seeded subset of at most this many examples per language (smoke runs; default all). */
  maxEval?: number;
  /** Seeds the evaluation subset (default 0); the same subset is used for every fine-tuning seed. */
  evalSeed?: number;
}

/**
 * Loads what a setup needs from the data cache: for "en", the English train file and the evaluation
 * split of every language in `langs` plus English (it picks the best epoch); for "target", the train
 * file and evaluation split of each language that has a train file, the others listed in `missingTrain`.
 */
export async function loadXnliData(
  setup: XnliSetup,
  langs: readonly string[],
  split: XnliEvalSplit,
  cacheDir: string,
  options: LoadXnliOptions = {},
): Promise<XnliData> {
  if (options.maxEval !== undefined && !(Number.isInteger(options.maxEval) && options.maxEval >= 1)) {
    throw new InputError(`the evaluation cap must be a positive integer, got ${options.maxEval}`);
  }
  const missingTrain = setup === "target" ? langs.filter((l) => !hasTrainFile(l)) : [];
  const evalLangs = setup === "en" ? ["en", ...langs.filter((l) => l !== "en")] : langs.filter(hasTrainFile);
  const trainLangs = setup === "en" ? ["en"] : evalLangs;
  const train: Record<string, Example[]> = {};
  for (const lang of trainLangs) train[lang] = (await loadXnli(lang, "train", cacheDir)).examples;
  const capped = (examples: Example[]) =>
    subsample(examples, options.maxEval, new Rng((options.evalSeed ?? 0) ^ 0x65766131));
  const evalSets: Record<string, Example[]> = {};
  const evalAvailable: Record<string, number> = {};
  for (const lang of evalLangs) {
    const all = (await loadXnli(lang, split, cacheDir)).examples;
    evalAvailable[lang] = all.length;
    evalSets[lang] = capped(all);
  }
  const data: XnliData = { split, train, eval: evalSets, missingTrain, evalAvailable };
  if (split === "test") {
    data.selection = {};
    for (const lang of trainLangs) data.selection[lang] = capped((await loadXnli(lang, "dev", cacheDir)).examples);
  }
  return data;
}

/** One language's score in one fine-tuning run. */
export interface XnliScore {
  setup: XnliSetup;
  lang: string;
  split: XnliEvalSplit;
  /** Result-row task name ({@link xnliTaskName}). */
  task: string;
  seed: number;
  policy: "best-epoch" | "last-epoch";
  /** The epoch the value is from (1-based). */
  epoch: number;
  /** Accuracy, a fraction. */
  value: number;
  /** The fine-tuning run behind it: its language, training examples, steps, FLOPs and seconds. */
  trainLang: string;
  trainExamples: number;
  evalExamples: number;
  steps: number;
  finetuneFlops: number;
  finetuneSeconds: number;
}

/** What a setup returns for one fine-tuning seed. */
export interface XnliSetupResult {
  setup: XnliSetup;
  seed: number;
  /** Best- and last-epoch score per evaluated language. */
  scores: XnliScore[];
  /** Languages not run for lack of a translate-train file (target setup). */
  missingTrain: string[];
  /** The fine-tuning runs (one for "en", one per language for "target"). */
  runs: { trainLang: string; result: FinetuneResult }[];
}

/** The fine-tuning options a setup takes: everything but what the setup decides itself. */
export type XnliFinetuneOptions = Omit<FinetuneOptions, "selectBy">;

/** Score key of dev set `name` in a run with dev sets `devNames` (finetune_glue.ts: no suffix with one set). */
function scoreKey(name: string, devNames: string[]): string {
  return devNames.length === 1 ? XNLI_METRIC : `${XNLI_METRIC}_${name}`;
}

/** Name of the selection-only dev set of `lang` among the scored sets. */
const selectionSet = (lang: string) => `${lang}_dev_select`;

/** The sets a run scores each epoch, and the score key that picks its best epoch. */
function devSetsFor(
  data: XnliData,
  trainLang: string,
  langs: string[],
): { dev: Record<string, Example[]>; selectBy: string } {
  const dev = Object.fromEntries(langs.map((l) => [l, data.eval[l]]));
  const select = data.selection?.[trainLang];
  if (data.split === "test" && !select) {
    throw new InputError(`scoring the test split needs the ${trainLang} dev set to pick the best epoch`);
  }
  if (select) dev[selectionSet(trainLang)] = select;
  const names = Object.keys(dev);
  return { dev, selectBy: scoreKey(select ? selectionSet(trainLang) : trainLang, names) };
}

/** The best- and last-epoch scores of `langs` from one fine-tuning run. */
function scoresOf(
  setup: XnliSetup,
  split: XnliEvalSplit,
  trainLang: string,
  result: FinetuneResult,
  langs: string[],
): XnliScore[] {
  const devNames = Object.keys(result.devExamples);
  return langs.flatMap((lang) =>
    ([["best-epoch", result.best], ["last-epoch", result.last]] as const).map(([policy, epoch]) => ({
      setup,
      lang,
      split,
      task: xnliTaskName(setup, lang, split),
      seed: result.seed,
      policy,
      epoch: epoch.epoch,
      value: epoch.scores[scoreKey(lang, devNames)],
      trainLang,
      trainExamples: result.trainExamples,
      evalExamples: result.devExamples[lang],
      steps: result.steps,
      finetuneFlops: result.flops,
      finetuneSeconds: result.seconds,
    }))
  );
}

/**
 * The "en" setup: fine-tunes `model` (changed in place) on English and scores every evaluation set in
 * `data` after each epoch; the best epoch is the one best on English (its dev set; see the module comment).
 */
export function finetuneOnEnglish(
  model: Model,
  tokenizer: TextTokenizer,
  data: XnliData,
  options: XnliFinetuneOptions,
): XnliSetupResult {
  const train = data.train.en;
  if (!train) {
    throw new InputError(
      `the en setup needs the English training set; the data holds ${Object.keys(data.train).join(", ") || "none"}`,
    );
  }
  if (!data.eval.en) throw new InputError(`the en setup needs the English ${data.split} set to pick the best epoch`);
  const langs = Object.keys(data.eval);
  const { dev, selectBy } = devSetsFor(data, "en", langs);
  const result = finetuneTask(model, tokenizer, { ...xnliSpec("en", "train"), name: "XNLI-en" }, { train, dev }, {
    ...options,
    selectBy,
  });
  return {
    setup: "en",
    seed: options.seed,
    scores: scoresOf("en", data.split, "en", result, langs),
    missingTrain: [],
    runs: [{ trainLang: "en", result }],
  };
}

/**
 * The "target" setup: for each language with a training set in `data`, fine-tunes a fresh model from
 * `freshModel()` (disposed afterwards) on it and scores that language; languages without a train file
 * are returned in `missingTrain`.
 */
export function finetunePerLanguage(
  freshModel: () => Model,
  tokenizer: TextTokenizer,
  data: XnliData,
  options: XnliFinetuneOptions,
  onLanguage?: (lang: string, result: FinetuneResult) => void,
): XnliSetupResult {
  const scores: XnliScore[] = [];
  const runs: XnliSetupResult["runs"] = [];
  for (const lang of Object.keys(data.eval)) {
    const train = data.train[lang];
    if (!train) {
      throw new InputError(
        `the target setup has no training set for "${lang}"; languages without one must be left out of the evaluation sets`,
      );
    }
    const { dev, selectBy } = devSetsFor(data, lang, [lang]);
    const model = freshModel();
    let result: FinetuneResult;
    try {
      result = finetuneTask(model, tokenizer, { ...xnliSpec(lang, "train"), name: `XNLI-${lang}` }, { train, dev }, {
        ...options,
        selectBy,
      });
    } finally {
      model.dispose();
    }
    runs.push({ trainLang: lang, result });
    scores.push(...scoresOf("target", data.split, lang, result, [lang]));
    onLanguage?.(lang, result);
  }
  return { setup: "target", seed: options.seed, scores, missingTrain: [...data.missingTrain], runs };
}

/** One line per language that has no translate-train file, for logs and reports. */
export function missingTrainNote(missing: readonly string[]): string {
  return missing.length === 0
    ? "every requested language has a translate-train file"
    : `no translate-train file for ${missing.join(", ")} (XNLI's cache layout has train files for ${
      XNLI_TRAIN_LANGUAGES.join(", ")
    }): ` +
      `not run in the target setup`;
}
