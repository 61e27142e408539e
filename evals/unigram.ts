/**
 * The unigram baseline a language model must beat: the cross-entropy of held-out tokens under the
 * add-one-smoothed token frequencies of the training tokens.
 */

/** Nats per token of `heldOut` under the add-one-smoothed unigram distribution of `train`. */
export function unigramCrossEntropy(train: ArrayLike<number>, heldOut: ArrayLike<number>, vocabSize: number): number {
  if (heldOut.length === 0) throw new Error("unigramCrossEntropy: no held-out tokens");
  const counts = new Float64Array(vocabSize).fill(1);
  for (let i = 0; i < train.length; i++) counts[train[i]]++;
  const total = train.length + vocabSize;
  let nll = 0;
  for (let i = 0; i < heldOut.length; i++) nll -= Math.log(counts[heldOut[i]] / total);
  return nll / heldOut.length;
}
