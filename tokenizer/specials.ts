/** The special tokens and the fixed layout of the id space: specials, then the 256 bytes, then merges. */
import { InputError } from "../util/errors.ts";

/** Special tokens in id order: `[PAD]`=0, `[CLS]`=1, `[SEP]`=2, `[MASK]`=3, `<|endoftext|>`=4. */
export const SPECIAL_TOKENS: readonly string[] = ["[PAD]", "[CLS]", "[SEP]", "[MASK]", "<|endoftext|>"];
export const PAD_ID = 0;
export const CLS_ID = 1;
export const SEP_ID = 2;
export const MASK_ID = 3;
/** `<|endoftext|>`, written after every document in the token shards. */
export const EOT_ID = 4;
/** Id of byte 0; byte b is token `FIRST_BYTE_ID + b`. */
export const FIRST_BYTE_ID = SPECIAL_TOKENS.length;
/** Specials plus bytes: the vocabulary before any merge. */
export const BASE_VOCAB_SIZE = FIRST_BYTE_ID + 256;

/** Bounds on the vocabulary size the benchmark trains (4k to 64k; ids must fit uint16 shards). */
export const MIN_VOCAB_SIZE = 4096;
export const MAX_VOCAB_SIZE = 65536;

/** Returns `n` when it is an integer in [MIN_VOCAB_SIZE, MAX_VOCAB_SIZE], else throws an InputError. */
export function validateVocabSize(n: number, what = "vocabulary size"): number {
  if (!Number.isInteger(n) || n < MIN_VOCAB_SIZE || n > MAX_VOCAB_SIZE) {
    throw new InputError(`${what} must be an integer from ${MIN_VOCAB_SIZE} to ${MAX_VOCAB_SIZE}, got ${n}`);
  }
  return n;
}
