/**
 * GPT-2's pre-tokenisation: text is cut into pieces (contractions, letter runs, digit runs, punctuation
 * runs, whitespace) before BPE, each piece keeping at most one leading space. Merges never cross pieces.
 * This is the pattern of Hugging Face's ByteLevel pre-tokenizer (use_regex: true).
 */
import { hashSlice, WordCache } from "./word_cache.ts";

/** The GPT-2 pattern, with `\p{L}` / `\p{N}` unicode classes. `\s+(?!\S)` leaves the last space of a
 * whitespace run to the word that follows it. */
export const GPT2_PATTERN: RegExp = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * Calls `visit(start, end)` for each pre-token text[start, end) in order. The pattern matches at every
 * position (any character is a letter, a digit, a space or something else), so the pieces are contiguous
 * and a sticky `test()` finds each end without building a match object.
 */
export function scanPieces(text: string, visit: (start: number, end: number) => void): void {
  const re = new RegExp(GPT2_PATTERN.source, "uy");
  for (let start = 0; start < text.length;) {
    re.lastIndex = start;
    if (!re.test(text)) throw new Error(`pre-tokenizer found no piece at offset ${start}`);
    const end = re.lastIndex;
    visit(start, end);
    start = end;
  }
}

/** The pre-tokens of `text`. */
export function preTokenize(text: string): string[] {
  const pieces: string[] = [];
  scanPieces(text, (start, end) => pieces.push(text.slice(start, end)));
  return pieces;
}

/** Counts pre-tokens over many texts (the table BPE training learns from). */
export class PreTokenCounter {
  private readonly cache = new WordCache<{ count: number }>(Infinity);
  private readonly order: Array<[string, { count: number }]> = [];
  /** Pre-tokens seen, repeats included. */
  total = 0;

  /** Adds the pre-tokens of `text`. */
  add(text: string): void {
    scanPieces(text, (start, end) => {
      const hash = hashSlice(text, start, end);
      const cell = this.cache.get(text, start, end, hash);
      if (cell) cell.count++;
      else {
        const piece = text.slice(start, end);
        const fresh = { count: 1 };
        this.cache.set(piece, hash, fresh);
        this.order.push([piece, fresh]);
      }
      this.total++;
    });
  }

  /** Distinct pre-tokens. */
  get size(): number {
    return this.order.length;
  }

  /** (pre-token, count) pairs in first-seen order. */
  *entries(): IterableIterator<[string, number]> {
    for (const [piece, cell] of this.order) yield [piece, cell.count];
  }
}
