/**
 * What tokenizing and evaluating need from a tokenizer, whichever kind it is: our byte-level
 * BpeTokenizer (bpe.ts) or any Hugging Face tokenizer.json read by HfTokenizer (hf_tokenizer.ts).
 * `encode` never adds special tokens around the text (callers frame sequences themselves).
 */
export interface Tokenizer {
  /** Number of ids (one more than the largest id, added tokens included). */
  readonly vocabSize: number;
  /** Ids of the special tokens (added tokens marked special in tokenizer.json). */
  readonly specialIds: ReadonlySet<number>;
  /** Token ids of `text`. */
  encode(text: string): number[];
  /** Appends the ids of `text` to `out`; returns how many it appended. */
  encodeInto(text: string, out: number[]): number;
  /** Text of `ids` (special tokens as their text unless `skipSpecial`). */
  decode(ids: ArrayLike<number>, options?: { skipSpecial?: boolean }): string;
  /** The id of a token string as tokenizer.json writes it, or undefined. */
  tokenToId(token: string): number | undefined;
}
