/**
 * Training batches for both architectures, in one shape (`LmBatch`) that both objectives read.
 */
import type { Rng } from "../util/rng.ts";
import { FIRST_REGULAR_ID, isSpecial, MASKING, maskRow, SPECIAL_IDS } from "./masking.ts";

/**
 * A language-modelling batch. `tokens` is the model input [batch·seqLen] (masked for the encoder);
 * `positions` are flat indices into it of the scored set S; `targets` the original token at each of
 * them (for the decoder: the next token). `padMask`: 1 = real token, 0 = [PAD] (encoder only).
 */
export interface LmBatch {
  tokens: Int32Array;
  batch: number;
  seqLen: number;
  positions: Int32Array;
  targets: Int32Array;
  padMask?: Uint8Array;
}

/**
 * An encoder (MLM) batch from token rows: rows shorter than the longest are padded with [PAD], then
 * each row is BERT-masked with `rng` at selection rate `select` (default 15%). If no position at all was selected (tiny batches), one regular
 * position is selected (and masked) so that S is never empty.
 */
export function makeEncoderBatch(
  rows: Int32Array[],
  rng: Rng,
  vocabSize: number,
  select: number = MASKING.select,
): LmBatch {
  if (rows.length === 0) throw new Error("makeEncoderBatch: no rows");
  const seqLen = Math.max(...rows.map((r) => r.length));
  const batch = rows.length;
  const tokens = new Int32Array(batch * seqLen); // [PAD] = 0 fills the tails
  const padMask = new Uint8Array(batch * seqLen);
  const positions: number[] = [];
  const targets: number[] = [];
  rows.forEach((row, b) => {
    const { tokens: masked, selected } = maskRow(row, rng, vocabSize, select);
    tokens.set(masked, b * seqLen);
    padMask.fill(1, b * seqLen, b * seqLen + row.length);
    for (const i of selected) {
      positions.push(b * seqLen + i);
      targets.push(row[i]);
    }
  });
  if (positions.length === 0) {
    const regular = [...tokens.keys()].filter((i) => padMask[i] && !isSpecial(tokens[i]));
    if (regular.length === 0) {
      throw new Error(`makeEncoderBatch: no regular token (id >= ${FIRST_REGULAR_ID}) to score`);
    }
    const i = regular[rng.int(regular.length)];
    positions.push(i);
    targets.push(tokens[i]);
    tokens[i] = SPECIAL_IDS.mask;
  }
  return { tokens, batch, seqLen, positions: Int32Array.from(positions), targets: Int32Array.from(targets), padMask };
}

/**
 * A decoder (causal LM) batch from windows of T+1 tokens: inputs are window[0..T), targets
 * window[1..T], and every position is scored.
 */
export function makeDecoderBatch(windows: Int32Array[]): LmBatch {
  if (windows.length === 0) throw new Error("makeDecoderBatch: no windows");
  const seqLen = windows[0].length - 1;
  if (seqLen < 1) throw new Error("makeDecoderBatch: windows need at least 2 tokens (T+1)");
  const batch = windows.length;
  const tokens = new Int32Array(batch * seqLen);
  const targets = new Int32Array(batch * seqLen);
  windows.forEach((w, b) => {
    if (w.length !== seqLen + 1) {
      throw new Error(`makeDecoderBatch: window ${b} has ${w.length} tokens, expected ${seqLen + 1} like window 0`);
    }
    tokens.set(w.subarray(0, seqLen), b * seqLen);
    targets.set(w.subarray(1), b * seqLen);
  });
  const positions = Int32Array.from({ length: batch * seqLen }, (_, i) => i);
  return { tokens, batch, seqLen, positions, targets };
}
