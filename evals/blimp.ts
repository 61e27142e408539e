/**
 * BLiMP minimal pairs scored zero-shot, as lm-evaluation-harness's `blimp_*` tasks score them
 * (lm_eval/tasks/blimp/_template_yaml: output_type multiple_choice, doc_to_text "", choices
 * [sentence_good, sentence_bad]; the default target_delimiter " " makes each choice the continuation
 * " " + sentence of an empty context, which _encode_pair turns into the end-of-text token). A pair is
 * right when the good sentence's summed log-likelihood is strictly higher: a tie counts as wrong and is
 * counted apart (the harness' np.argmax would give a tie to the good sentence; with a model, ties do not
 * happen, but the unigram reference ties every pair whose sentences hold the same tokens).
 *
 * Three sentence scorers:
 * - a decoder: Σ ln p(token | end-of-text, earlier tokens) over encode(" " + sentence);
 * - an encoder: pseudo-log-likelihood of [CLS] encode(sentence) [SEP] (sequence_scores.ts), with the MLM
 *   head, or Eᵀ for a headless (CWT) encoder, which has none;
 * - the unigram reference: Σ ln p_unigram(token) over the decoder's tokens.
 */
import type { MinimalPair } from "../data/blimp.ts";
import { SPECIAL_IDS } from "../models/masking.ts";
import type { Model } from "../models/transformer.ts";
import { excerpt, InputError } from "../util/errors.ts";
import { encodeExample } from "./finetune_glue.ts";
import { encodePair, type Tokenizer, windowInput } from "./lambada.ts";
import { type BatchOptions, causalLogLikelihoods, pseudoLogLikelihoods } from "./sequence_scores.ts";
import { unigramLogLikelihood } from "./unigram.ts";

/** Gives each sentence its summed natural-log likelihood (or pseudo-log-likelihood), in order. */
export interface SentenceScorer {
  score(sentences: readonly string[], options?: BatchOptions): Float64Array;
}

/** A sentence as lm-evaluation-harness sends it: empty context, continuation " " + sentence. */
function harnessTokens(tokenizer: Tokenizer, sentence: string): { context: number[]; continuation: number[] } {
  return encodePair(tokenizer, "", " " + sentence);
}

/** A decoder's summed log-likelihood of each sentence after the end-of-text token. */
export function causalSentenceScorer(model: Model, tokenizer: Tokenizer): SentenceScorer {
  return {
    score(sentences, options) {
      const window = model.config.context;
      const seqs = sentences.map((s) => {
        const pair = harnessTokens(tokenizer, s);
        if (pair.continuation.length > window) {
          throw new InputError(
            `sentence ${excerpt(s)} has ${pair.continuation.length} tokens, more than the model's context ${window}`,
          );
        }
        return { input: windowInput(pair, window).input, targets: Int32Array.from(pair.continuation) };
      });
      return causalLogLikelihoods(model, seqs, options);
    },
  };
}

/** An encoder's pseudo-log-likelihood of each sentence, framed [CLS] sentence [SEP]. */
export function pseudoSentenceScorer(model: Model, tokenizer: Pick<Tokenizer, "encode">): SentenceScorer {
  return {
    score(sentences, options) {
      const window = model.config.context;
      const rows = sentences.map((s) => {
        const tokens = tokenizer.encode(s);
        if (tokens.length === 0 || tokens.length + 2 > window) {
          throw new InputError(
            `sentence ${excerpt(s)} has ${tokens.length} tokens; expected 1 to ${window - 2} ([CLS] and [SEP] ` +
              `take 2 of the model's context ${window})`,
          );
        }
        return encodeExample(tokenizer, s, undefined, window);
      });
      return pseudoLogLikelihoods(model, rows, SPECIAL_IDS.mask, options);
    },
  };
}

/** The unigram reference: Σ ln p(token) of the tokens a decoder would score. */
export function unigramSentenceScorer(logProbs: Float64Array, tokenizer: Tokenizer): SentenceScorer {
  return {
    score(sentences, options) {
      const out = Float64Array.from(
        sentences,
        (s) => unigramLogLikelihood(logProbs, harnessTokens(tokenizer, s).continuation),
      );
      options?.onProgress?.(sentences.length, sentences.length);
      return out;
    },
  };
}

/** How a scorer did on a list of pairs. */
export interface MinimalPairResult {
  /** Fraction of pairs whose good sentence scored strictly higher. */
  acc: number;
  n: number;
  /** 1 where the pair was right, else 0, in pair order. */
  correct: Uint8Array;
  /** Pairs whose two sentences scored exactly the same (counted wrong). */
  ties: number;
  good: Float64Array;
  bad: Float64Array;
}

/** The result of pairs whose good and bad sentences scored `good[i]` and `bad[i]`. */
export function judgePairs(good: Float64Array, bad: Float64Array): MinimalPairResult {
  const n = good.length;
  if (bad.length !== n || n === 0) throw new Error(`judgePairs: ${n} good and ${bad.length} bad scores`);
  const correct = new Uint8Array(n);
  let ties = 0;
  for (let i = 0; i < n; i++) {
    correct[i] = good[i] > bad[i] ? 1 : 0;
    if (good[i] === bad[i]) ties++;
  }
  return { acc: correct.reduce((a, c) => a + c, 0) / n, n, correct, ties, good, bad };
}

/** Scores every pair of every group with one scorer call (better batches); one result per group, in order. */
export function scoreMinimalPairs(
  scorer: SentenceScorer,
  groups: readonly (readonly MinimalPair[])[],
  options?: BatchOptions,
): MinimalPairResult[] {
  const sentences = groups.flatMap((pairs) => pairs.flatMap((p) => [p.good, p.bad]));
  const ll = scorer.score(sentences, options);
  let at = 0;
  return groups.map((pairs) => {
    const good = new Float64Array(pairs.length);
    const bad = new Float64Array(pairs.length);
    pairs.forEach((_, i) => {
      good[i] = ll[at++];
      bad[i] = ll[at++];
    });
    return judgePairs(good, bad);
  });
}
