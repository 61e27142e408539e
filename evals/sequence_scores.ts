/**
 * Summed log-likelihoods of many short sequences, batched by length: sequences of one length share a
 * forward pass with no padding at all (BLiMP sentences and token windows come in few distinct lengths),
 * at most `maxTokens` tokens a call.
 * - causal: a decoder reads `input` and predicts `targets` at its last targets.length positions;
 * - pseudo-log-likelihood (Salazar et al. 2020, "Masked Language Model Scoring"): an encoder row
 *   [CLS] t1 … tn [SEP] is copied once per token ti with ti replaced by [MASK], and the sequence's
 *   score is Σ ln p(ti | row with ti masked); [CLS] and [SEP] are never masked nor scored.
 */
import type { Model } from "../models/transformer.ts";
import { InputError } from "../util/errors.ts";
import { targetLogProbs } from "./token_logprobs.ts";

/** A decoder input and the tokens it predicts at its last targets.length positions. */
export interface CausalSequence {
  input: Int32Array;
  targets: Int32Array;
}

/** Batching of model calls. */
export interface BatchOptions {
  /** Most tokens (rows × length) per forward pass (default 4096). */
  maxTokens?: number;
  /** Called after each forward pass with the sequences finished so far and their total. */
  onProgress?: (done: number, total: number) => void;
}

/** Groups indices by length, each group cut into runs of at most max(1, ⌊maxTokens / length⌋) entries. */
export function lengthBatches(lengths: readonly number[], maxTokens: number): number[][] {
  if (!(Number.isInteger(maxTokens) && maxTokens >= 1)) {
    throw new InputError(`maxTokens is ${maxTokens}; expected a positive integer`);
  }
  const byLength = new Map<number, number[]>();
  lengths.forEach((n, i) => {
    if (!byLength.has(n)) byLength.set(n, []);
    byLength.get(n)!.push(i);
  });
  const batches: number[][] = [];
  for (const n of [...byLength.keys()].sort((a, b) => b - a)) {
    const ids = byLength.get(n)!;
    const per = Math.max(1, Math.floor(maxTokens / Math.max(1, n)));
    for (let k = 0; k < ids.length; k += per) batches.push(ids.slice(k, k + per));
  }
  return batches;
}

/** Σ ln p(target) of each sequence under a decoder, in input order. */
export function causalLogLikelihoods(
  model: Model,
  seqs: readonly CausalSequence[],
  options: BatchOptions = {},
): Float64Array {
  const window = model.config.context;
  seqs.forEach((s, i) => {
    if (s.input.length < 1 || s.input.length > window || s.targets.length > s.input.length) {
      throw new InputError(
        `sequence ${i}: ${s.input.length} input tokens and ${s.targets.length} targets; expected 1 to ${window} ` +
          `inputs (the model's context) and no more targets than inputs`,
      );
    }
  });
  const sums = new Float64Array(seqs.length);
  let done = 0;
  for (const batch of lengthBatches(seqs.map((s) => s.input.length), options.maxTokens ?? 4096)) {
    const seqLen = seqs[batch[0]].input.length;
    const tokens = new Int32Array(batch.length * seqLen);
    const positions: number[] = [];
    const targets: number[] = [];
    batch.forEach((i, r) => {
      const { input, targets: t } = seqs[i];
      tokens.set(input, r * seqLen);
      t.forEach((id, j) => {
        positions.push(r * seqLen + seqLen - t.length + j);
        targets.push(id);
      });
    });
    const lp = targetLogProbs(model, {
      tokens,
      batch: batch.length,
      seqLen,
      positions: Int32Array.from(positions),
      targets: Int32Array.from(targets),
    });
    let at = 0;
    for (const i of batch) for (let j = 0; j < seqs[i].targets.length; j++) sums[i] += lp[at++];
    done += batch.length;
    options.onProgress?.(done, seqs.length);
  }
  return sums;
}

/**
 * Pseudo-log-likelihood of each framed encoder row ([CLS] … [SEP], at most the model's context), in
 * input order: every inner token masked in turn (`maskId`) and scored.
 */
export function pseudoLogLikelihoods(
  model: Model,
  rows: readonly Int32Array[],
  maskId: number,
  options: BatchOptions = {},
): Float64Array {
  const window = model.config.context;
  rows.forEach((r, i) => {
    if (r.length < 3 || r.length > window) {
      throw new InputError(
        `row ${i} has ${r.length} tokens; expected [CLS], at least one token and [SEP], at most ${window} in all`,
      );
    }
  });
  // One masked copy per (row, inner position); copies of rows of one length batch together.
  const total = rows.reduce((n, r) => n + r.length - 2, 0);
  const copyRow = new Int32Array(total);
  const copyAt = new Int32Array(total);
  const copyLength: number[] = new Array(total);
  let k = 0;
  rows.forEach((r, row) => {
    for (let at = 1; at < r.length - 1; at++, k++) [copyRow[k], copyAt[k], copyLength[k]] = [row, at, r.length];
  });
  const sums = new Float64Array(rows.length);
  const left = rows.map((r) => r.length - 2);
  let done = 0;
  for (const batch of lengthBatches(copyLength, options.maxTokens ?? 4096)) {
    const seqLen = copyLength[batch[0]];
    const tokens = new Int32Array(batch.length * seqLen);
    const positions = new Int32Array(batch.length);
    const targets = new Int32Array(batch.length);
    batch.forEach((c, r) => {
      const row = rows[copyRow[c]];
      tokens.set(row, r * seqLen);
      tokens[r * seqLen + copyAt[c]] = maskId;
      positions[r] = r * seqLen + copyAt[c];
      targets[r] = row[copyAt[c]];
    });
    const lp = targetLogProbs(model, { tokens, batch: batch.length, seqLen, positions, targets });
    batch.forEach((c, r) => {
      sums[copyRow[c]] += lp[r];
      if (--left[copyRow[c]] === 0) done++;
    });
    options.onProgress?.(done, rows.length);
  }
  return sums;
}
