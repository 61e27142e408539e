/**
 * BERT masking: of the non-special positions, each is selected with probability 15%; a selected token
 * becomes [MASK] 80% of the time, a random non-special token 10%, and stays as it was 10%. The scored
 * set S is the selected positions (masked, replaced or kept alike), as in BERT and the paper.
 */
import type { Rng } from "../util/rng.ts";

/** Special token ids shared with the tokenizer; regular tokens (bytes and merges) start at FIRST_REGULAR_ID. */
export const SPECIAL_IDS = { pad: 0, cls: 1, sep: 2, mask: 3, endOfText: 4 } as const;
export const FIRST_REGULAR_ID = 5;

/** The masking probabilities (BERT's). */
export const MASKING = { select: 0.15, toMask: 0.8, toRandom: 0.1 } as const;

/**
 * The expected size of S in a batch of `batch` full rows of `seqLen` tokens: every position for a
 * decoder; 15% of the non-special positions (all but [CLS] and [SEP]) for an encoder.
 */
export function expectedScored(arch: "encoder" | "decoder", batch: number, seqLen: number): number {
  return arch === "decoder" ? batch * seqLen : Math.round(MASKING.select * batch * (seqLen - 2));
}

/** True for [PAD] [CLS] [SEP] [MASK] <|endoftext|>. */
export function isSpecial(id: number): boolean {
  return id < FIRST_REGULAR_ID;
}

/** A masked copy of a row and the positions selected for scoring (ascending). */
export interface MaskedRow {
  tokens: Int32Array;
  selected: number[];
}

/**
 * Masks one row with `rng`, selecting each regular position with probability `select` (default BERT's
 * 15%). Random replacements are drawn uniformly from the regular ids [FIRST_REGULAR_ID, vocabSize).
 * Exactly the rng draws below happen, in order, so runs replay.
 */
export function maskRow(row: Int32Array, rng: Rng, vocabSize: number, select: number = MASKING.select): MaskedRow {
  if (vocabSize <= FIRST_REGULAR_ID) throw new Error(`maskRow: vocabSize ${vocabSize} leaves no regular tokens`);
  if (!(select > 0 && select < 1)) throw new Error(`maskRow: selection rate ${select} must lie in (0, 1)`);
  const tokens = row.slice();
  const selected: number[] = [];
  for (let i = 0; i < row.length; i++) {
    if (isSpecial(row[i]) || rng.next() >= select) continue;
    selected.push(i);
    const u = rng.next();
    if (u < MASKING.toMask) tokens[i] = SPECIAL_IDS.mask;
    else if (u < MASKING.toMask + MASKING.toRandom) {
      tokens[i] = FIRST_REGULAR_ID + rng.int(vocabSize - FIRST_REGULAR_ID);
    }
  }
  return { tokens, selected };
}
