/**
 * The unigram baseline a language model must beat: held-out tokens scored by the add-one-smoothed
 * token frequencies of the training tokens, with no context at all.
 */

/** ln p(id) for every id under the add-one-smoothed unigram distribution of `train`. */
export function unigramLogProbs(train: ArrayLike<number>, vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize).fill(1);
  for (let i = 0; i < train.length; i++) counts[train[i]]++;
  const logTotal = Math.log(train.length + vocabSize);
  return counts.map((c) => Math.log(c) - logTotal);
}

/** Nats per token of `heldOut` under the add-one-smoothed unigram distribution of `train`. */
export function unigramCrossEntropy(train: ArrayLike<number>, heldOut: ArrayLike<number>, vocabSize: number): number {
  if (heldOut.length === 0) throw new Error("unigramCrossEntropy: no held-out tokens");
  const logProbs = unigramLogProbs(train, vocabSize);
  let nll = 0;
  for (let i = 0; i < heldOut.length; i++) nll -= logProbs[heldOut[i]];
  return nll / heldOut.length;
}

/**
 * Σ ln p(id) over `ids`, added in ascending id order, so that two sequences holding the same tokens in
 * another order get exactly the same sum (a word-order minimal pair is an exact tie, not a rounding coin flip).
 */
export function unigramLogLikelihood(logProbs: Float64Array, ids: ArrayLike<number>): number {
  const sorted = Int32Array.from(ids).sort();
  let sum = 0;
  for (const id of sorted) {
    if (!(id >= 0 && id < logProbs.length)) {
      throw new RangeError(`token id ${id} is outside the unigram's vocabulary [0, ${logProbs.length})`);
    }
    sum += logProbs[id];
  }
  return sum;
}
