/**
 * The multilingual corpus stage (paper section 6.3): the capped corpus of the profile's languages from the
 * fetched sources (input `sources`), one byte-level BPE trained on it with XLM-R language sampling, the
 * token shards of both splits, and languages.json with per-language documents, words and tokens.
 */
import { join } from "node:path";
import type { Stage } from "../artifacts/stage.ts";
import { tokenizeCorpus } from "./pipeline.ts";
import { InputError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import type { Document } from "../data/corpus.ts";
import { multilingualCorpus } from "../data/multilingual/corpus.ts";
import { type LanguageStats, languageStats } from "../data/multilingual/language_stats.ts";
import { trainSampledBpe } from "./sampled_bpe.ts";

/** The file of per-language figures in the stage's folder. */
export const LANGUAGES_FILE = "languages.json";

/** Everything that decides the corpus and its tokenizer (the sources folder is the input). */
export interface MultilingualCorpusSpec {
  languages: string[];
  /** Cap per language in words (characters for ja and zh). */
  capWords: number;
  tokenizer: { vocabSize: number; alpha: number; seed: number; validFraction: number };
  /** Per source: its Debian version and .deb sha256, the npm package name, or "missing". */
  sources: Record<string, string>;
}

/** The per-language figures the stage writes. */
export interface LanguagesFile {
  languages: LanguageStats[];
  tokenizer: ReturnType<typeof trainSampledBpe>["info"];
  corpus: { documents: number; sha256: string };
  notes: string[];
}

/** The stage. Input: `sources`, the folder holding multilingual/debian/<package>/ (the data or user cache). */
export const stage: Stage<MultilingualCorpusSpec> = {
  kind: "corpus-multilingual",
  module: import.meta.url,
  async run(spec, io) {
    const docs: Document[] = [];
    const notes: string[] = [];
    for await (
      const d of multilingualCorpus({
        cacheDir: io.inputs.sources,
        languages: spec.languages,
        capWordsPerLanguage: spec.capWords,
        seed: spec.tokenizer.seed,
        notes: (n) => notes.push(n),
      })
    ) docs.push(d);
    if (docs.length === 0) {
      throw new InputError(
        `no multilingual documents in ${io.inputs.sources}: fetch the sources (multilingual.fetch: true)`,
      );
    }
    const split = { validFraction: spec.tokenizer.validFraction, seed: spec.tokenizer.seed };
    const { tokenizer, info } = trainSampledBpe(docs, {
      vocabSize: spec.tokenizer.vocabSize,
      alpha: spec.tokenizer.alpha,
      ...split,
    });
    const stats = await tokenizeCorpus({
      docs,
      vocabSize: spec.tokenizer.vocabSize,
      ...split,
      tokenizer,
      outDir: io.out,
      corpusInfo: { source: "multilingual", languages: spec.languages, capWords: spec.capWords, sources: spec.sources },
    });
    const languages = languageStats(docs, spec.languages, split, tokenizer);
    const file: LanguagesFile = {
      languages,
      tokenizer: info,
      corpus: { documents: docs.length, sha256: stats.corpusSha256 },
      notes,
    };
    await writeJsonAtomic(join(io.out, LANGUAGES_FILE), file);
    io.progress.say(
      `multilingual corpus: ${docs.length} documents in ${spec.languages.length} languages, train ${stats.splits.train.tokens} tokens, ` +
        `valid ${stats.splits.valid.tokens}; ` + languages.map((l) => `${l.lang} ${l.tokens}`).join(", "),
    );
    return { documents: docs.length, corpusSha256: stats.corpusSha256, splits: stats.splits };
  },
};
