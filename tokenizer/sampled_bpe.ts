/**
 * One byte-level BPE for several languages, trained on the train split with XLM-R-style language
 * sampling (q_l ∝ p_l^alpha, tokenizer/language_sampling.ts) so that small languages keep their merges.
 * The sampling is applied as weights q_l/p_l on each language's pre-token counts, not by resampling text.
 */
import { type Document, splitKey, splitOf } from "../data/corpus.ts";
import { BpeTokenizer } from "./bpe.ts";
import { trainBpe } from "./train.ts";
import { countWeights, LanguageCounts, samplingProbabilities } from "./language_sampling.ts";
import { documentLanguage, languageSources } from "../data/multilingual/sources.ts";
import { measureText } from "../data/multilingual/text.ts";

/** Settings of trainSampledBpe. */
export interface SampledBpeOptions {
  vocabSize: number;
  /** Sampling exponent (XLM-R: 0.3). */
  alpha: number;
  /** The train/valid split, as tokenizeCorpus makes it: only train documents are counted. */
  validFraction: number;
  seed: number;
  /** Progress and the sampling table (default: nowhere). */
  log?: (line: string) => void;
}

/** What the training used and gave, for stats.json and the report. */
export interface SampledBpeInfo {
  vocabSize: number;
  merges: number;
  alpha: number;
  /** Train-split size per language in its cap unit (words; characters for ja and zh). */
  sizes: Record<string, number>;
  samplingProbabilities: Record<string, number>;
  countWeights: Record<string, number>;
  distinctPreTokens: number;
  seconds: number;
}

/** Trains the tokenizer on `docs` (documents of data/multilingual/corpus.ts). */
export function trainSampledBpe(
  docs: Iterable<Document>,
  options: SampledBpeOptions,
): { tokenizer: BpeTokenizer; info: SampledBpeInfo } {
  const { vocabSize, alpha, validFraction, seed } = options;
  const log = options.log ?? (() => {});
  const started = performance.now();
  const counts = new LanguageCounts();
  for (const doc of docs) {
    if (splitOf(splitKey(doc), validFraction, seed) !== "train") continue;
    const lang = documentLanguage(doc);
    counts.add(lang, doc.text, measureText(doc.text, languageSources(lang).unit));
  }
  const { weights, counts: weighted } = counts.weighted(alpha);
  const q = samplingProbabilities(counts.sizes, alpha);
  const total = Object.values(counts.sizes).reduce((a, b) => a + b, 0);
  log(`BPE training, language sampling q_l ∝ p_l^${alpha} (XLM-R), applied as count weights q_l/p_l:`);
  for (const lang of Object.keys(counts.sizes)) {
    log(
      `  ${lang}: p ${(counts.sizes[lang] / total).toFixed(3)} -> q ${q[lang].toFixed(3)}, weight ${
        weights[lang].toFixed(2)
      }`,
    );
  }
  let last = 0;
  const spec = trainBpe(weighted, {
    vocabSize,
    onProgress: (merges, target) => {
      if (performance.now() - last < 10_000) return;
      last = performance.now();
      log(`  bpe: ${merges}/${target} merges`);
    },
  });
  const tokenizer = new BpeTokenizer(spec);
  const seconds = (performance.now() - started) / 1000;
  log(
    `  ${spec.merges.length} merges (vocab ${tokenizer.vocabSize}) from ${weighted.size} distinct pre-tokens in ${
      seconds.toFixed(1)
    } s`,
  );
  return {
    tokenizer,
    info: {
      vocabSize: tokenizer.vocabSize,
      merges: spec.merges.length,
      alpha,
      sizes: counts.sizes,
      samplingProbabilities: q,
      countWeights: countWeights(counts.sizes, alpha),
      distinctPreTokens: weighted.size,
      seconds,
    },
  };
}
