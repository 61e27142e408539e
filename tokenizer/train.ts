/**
 * Byte-level BPE training on a table of pre-token counts, with the standard incremental algorithm: pair
 * counts are kept for the whole table and updated only in the words a merge touches; the next merge comes
 * from a lazy max-heap. Ties go to the smaller (left id, right id) pair, and the result depends only on
 * the counts, never on the table's order, so training is deterministic.
 */
import { InputError } from "../util/errors.ts";
import { BYTE_TO_CHAR } from "./bytes.ts";
import type { BpeSpec } from "./bpe.ts";
import { PairHeap } from "./heap.ts";
import { BASE_VOCAB_SIZE, FIRST_BYTE_ID, MAX_VOCAB_SIZE, SPECIAL_TOKENS } from "./specials.ts";

/** Training settings. */
export interface TrainOptions {
  /** Target number of ids, specials and bytes included (BASE_VOCAB_SIZE to MAX_VOCAB_SIZE). */
  vocabSize: number;
  /** Stop early when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Called every `progressEvery` merges and at the end. */
  onProgress?: (merges: number, target: number) => void;
  progressEvery?: number;
}

/**
 * A pair is the int32 `(left << 16) | right` in the maps (V8 hashes small integers fast) and the same
 * bits read unsigned in the heap, where key order is (left, right) order.
 */
const pairKey = (left: number, right: number) => (left << 16) | right;

/** Learns merges from `wordCounts` (pre-token -> occurrences) until the vocabulary has `vocabSize` ids. */
export function trainBpe(wordCounts: Iterable<readonly [string, number]>, options: TrainOptions): BpeSpec {
  const { vocabSize, minFrequency = 2, onProgress, progressEvery = 1000 } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < BASE_VOCAB_SIZE || vocabSize > MAX_VOCAB_SIZE) {
    throw new InputError(
      `vocabulary size must be an integer from ${BASE_VOCAB_SIZE} to ${MAX_VOCAB_SIZE}, got ${vocabSize}`,
    );
  }

  // Every word as byte ids, flat: word w is symbols[start[w] .. start[w] + length[w]).
  const utf8 = new TextEncoder();
  const encoded: Uint8Array[] = [];
  const counts: number[] = [];
  for (const [word, count] of wordCounts) {
    if (count <= 0 || word.length === 0) continue;
    encoded.push(utf8.encode(word));
    counts.push(count);
  }
  const nWords = encoded.length;
  const start = new Int32Array(nWords + 1);
  encoded.forEach((bytes, w) => (start[w + 1] = start[w] + bytes.length));
  const length = new Int32Array(nWords);
  const symbols = new Int32Array(start[nWords]);
  encoded.forEach((bytes, w) => {
    length[w] = bytes.length;
    for (let i = 0; i < bytes.length; i++) symbols[start[w] + i] = FIRST_BYTE_ID + bytes[i];
  });
  encoded.length = 0;

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, number[]>(); // may list a word that no longer holds the pair
  const add = (key: number, delta: number, w: number) => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    let list = pairWords.get(key);
    if (list === undefined) pairWords.set(key, list = []);
    if (list[list.length - 1] !== w) list.push(w);
  };
  const remove = (key: number, delta: number) => {
    const left = pairCount.get(key)! - delta;
    if (left > 0) pairCount.set(key, left);
    else {
      pairCount.delete(key);
      pairWords.delete(key);
    }
  };
  for (let w = 0; w < nWords; w++) {
    for (let i = start[w], end = start[w] + length[w]; i + 1 < end; i++) {
      add(pairKey(symbols[i], symbols[i + 1]), counts[w], w);
    }
  }
  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key >>> 0);

  const tokens: string[] = [...SPECIAL_TOKENS, ...BYTE_TO_CHAR];
  const idOf = new Map<string, number>(BYTE_TO_CHAR.map((ch, b) => [ch, FIRST_BYTE_ID + b]));
  const merges: Array<[number, number]> = [];
  const seenAt = new Int32Array(nWords).fill(-1);
  const target = vocabSize - BASE_VOCAB_SIZE;

  while (tokens.length < vocabSize) {
    const best = popBest(heap, pairCount);
    if (best === undefined || pairCount.get(best)! < minFrequency) break;
    const a = best >>> 16, b = best & 0xffff;
    const text = tokens[a] + tokens[b];
    // Two merge paths can spell the same string ("ĠĠ"+"Ġ" and "Ġ"+"ĠĠ"): like Hugging Face, reuse its id.
    let id = idOf.get(text);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(text);
      idOf.set(text, id);
    }
    const rank = merges.push([a, b]) - 1;

    const grown = new Set<number>();
    const words = pairWords.get(best)!;
    pairCount.delete(best);
    pairWords.delete(best);
    for (const w of words) {
      if (seenAt[w] === rank) continue;
      seenAt[w] = rank;
      const c = counts[w], s = start[w], end = s + length[w];
      let j = s;
      for (let i = s; i < end;) {
        if (i + 1 < end && symbols[i] === a && symbols[i + 1] === b) {
          if (j > s) {
            const before = symbols[j - 1];
            if (pairKey(before, a) !== best) remove(pairKey(before, a), c);
            add(pairKey(before, id), c, w);
            grown.add(pairKey(before, id));
          }
          if (i + 2 < end) {
            const after = symbols[i + 2];
            if (pairKey(b, after) !== best) remove(pairKey(b, after), c);
            add(pairKey(id, after), c, w);
            grown.add(pairKey(id, after));
          }
          symbols[j++] = id;
          i += 2;
        } else {
          symbols[j++] = symbols[i++];
        }
      }
      length[w] = j - s;
    }
    for (const key of grown) {
      const count = pairCount.get(key);
      if (count !== undefined) heap.push(count, key >>> 0);
    }
    if (onProgress && merges.length % progressEvery === 0) onProgress(merges.length, target);
  }
  onProgress?.(merges.length, target);
  return { tokens, merges, specialIds: SPECIAL_TOKENS.map((_, id) => id) };
}

/** Pops the pair with the most occurrences (smallest key on ties), skipping stale heap entries. */
function popBest(heap: PairHeap, pairCount: Map<number, number>): number | undefined {
  while (heap.size > 0) {
    const stored = heap.peekPriority()!, unsigned = heap.peekKey()!;
    heap.pop();
    const actual = pairCount.get(unsigned | 0);
    if (actual === stored) return unsigned | 0;
    if (actual !== undefined && actual < stored) heap.push(actual, unsigned);
  }
  return undefined;
}
