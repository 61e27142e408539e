/**
 * Held-out loss in bits per UTF-8 byte, comparable across tokenizers: −Σ ln p(tokens) / (ln 2 · Σ bytes)
 * over documents, as lm-evaluation-harness's `bits_per_byte` (wikitext) computes it. Each document is
 * scored as `loglikelihood_rolling` scores one (lm_eval/utils.py get_rolling_token_windows with
 * context_len 1, then make_disjoint_window): the first window is the end-of-text token followed by the
 * document's first window − 1 tokens and predicts its first `window` tokens; every later window
 * predicts the next `window` tokens from the `window` tokens before each (the last window reaches back
 * for a full context and predicts only what is left). The end-of-text token after a document is not
 * scored, and a document's bytes are those of its text.
 */
import type { Model } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";
import { type BatchOptions, causalLogLikelihoods, type CausalSequence } from "./sequence_scores.ts";
import { unigramLogLikelihood } from "./unigram.ts";

/** The windows that score `tokens` under a causal model reading at most `window` tokens. */
export function rollingWindows(tokens: ArrayLike<number>, prefix: number, window: number): CausalSequence[] {
  if (!(Number.isInteger(window) && window >= 1)) throw new InputError(`window ${window}: expected a positive integer`);
  const n = tokens.length;
  const ids = Int32Array.from(tokens);
  if (n === 0) return [];
  const first = Math.min(window, n);
  const out: CausalSequence[] = [{
    input: Int32Array.from([prefix, ...ids.subarray(0, first - 1)]),
    targets: ids.slice(0, first),
  }];
  for (let predicted = first; predicted < n;) {
    const count = Math.min(n - predicted, window);
    const end = predicted + count;
    out.push({ input: ids.slice(end - window - 1, end - 1), targets: ids.slice(end - count, end) });
    predicted = end;
  }
  return out;
}

/** The documents of a token stream in which every document ends with `eot` (a token folder's split). */
export function splitDocuments(stream: Int32Array, eot: number): Int32Array[] {
  const docs: Int32Array[] = [];
  let start = 0;
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] !== eot) continue;
    docs.push(stream.slice(start, i));
    start = i + 1;
  }
  if (start !== stream.length) {
    throw new InputError(`the token stream does not end with the end-of-text id ${eot}: its last document is cut`);
  }
  return docs;
}

/** Gives each document (tokens without its end-of-text) its summed natural-log likelihood, in order. */
export interface DocumentScorer {
  score(docs: readonly Int32Array[], options?: BatchOptions): Float64Array;
}

/** A decoder: every document through its rolling windows, the first after `prefix` (end of text). */
export function causalDocumentScorer(model: Model, prefix: number): DocumentScorer {
  return {
    score(docs, options) {
      const windows: CausalSequence[] = [];
      const owner: number[] = [];
      docs.forEach((d, i) => {
        for (const w of rollingWindows(d, prefix, model.config.context)) {
          windows.push(w);
          owner.push(i);
        }
      });
      const ll = causalLogLikelihoods(model, windows, options);
      const sums = new Float64Array(docs.length);
      ll.forEach((v, k) => (sums[owner[k]] += v));
      return sums;
    },
  };
}

/** The unigram reference: Σ ln p_unigram(token) over each document's tokens. */
export function unigramDocumentScorer(logProbs: Float64Array): DocumentScorer {
  return { score: (docs) => Float64Array.from(docs, (d) => unigramLogLikelihood(logProbs, d)) };
}

/** Bits per byte of a summed natural-log likelihood over `bytes` bytes. */
export function bitsPerByte(logLikelihood: number, bytes: number): number {
  if (!(bytes > 0)) throw new InputError(`bits per byte over ${bytes} bytes: expected at least one byte`);
  return -logLikelihood / (Math.LN2 * bytes);
}
