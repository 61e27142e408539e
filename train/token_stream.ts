/**
 * Training data order. A token folder (format "headless-bench-tokens/1": manifest.json plus raw
 * little-endian shards, each document followed by <|endoftext|>) is read as one long stream per
 * split and cut into non-overlapping windows: decoder windows of T+1 tokens at stride T (every
 * token is a target once per epoch), encoder rows of T-2 tokens at stride T-2, framed [CLS] ... [SEP].
 * Each epoch visits every window once, in an order shuffled by a keyed permutation of (seed, epoch),
 * so the whole data position is the cursor {epoch, index}. Validation windows are the first ones of
 * the valid split, in file order, the same for every evaluation.
 */
import { join } from "node:path";
import { openTokenSplit, readManifest, type TokenManifest } from "../tokenizer/shards.ts";
import { CLS_ID, SEP_ID } from "../tokenizer/specials.ts";
import { InputError } from "../util/errors.ts";
import { sha256File } from "../util/fs.ts";
import { epochKey, permuteIndex } from "./permutation.ts";

export type { TokenManifest };

/** A split's tokens, readable by range. */
export interface TokenSplit {
  readonly length: number;
  /** Tokens [start, end) as a new Int32Array. */
  read(start: number, end: number): Int32Array;
}

/** Reads and checks `dir/manifest.json`; returns it with the sha256 of its bytes (the run manifest's data hash). */
export async function readTokenManifest(dir: string): Promise<{ manifest: TokenManifest; sha256: string }> {
  const manifest = await readManifest(dir);
  return { manifest, sha256: await sha256File(join(dir, "manifest.json")) };
}

/**
 * Opens one split of a token folder (tokenizer/shards.ts checks every shard's size and sha256, an
 * error names the shard) and holds it in memory in its stored width: windows are read in shuffled
 * order, which would reload a shard per window from a shard-at-a-time reader. Fine up to a few
 * hundred million tokens.
 */
export async function openTokenFolderSplit(dir: string, split: "train" | "valid"): Promise<TokenSplit> {
  const source = await openTokenSplit(dir, split);
  const data = source.manifest.dtype === "uint16" ? new Uint16Array(source.length) : new Uint32Array(source.length);
  let at = 0;
  for (const shard of source.manifest.splits[split].shards) {
    data.set(source.read(at, at + shard.tokens), at);
    at += shard.tokens;
  }
  return {
    length: data.length,
    read: (start, end) => {
      if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= data.length)) {
        throw new RangeError(`range [${start}, ${end}) is outside the ${split} split's ${data.length} tokens`);
      }
      return Int32Array.from(data.subarray(start, end));
    },
  };
}

/** Position in the data order: the epoch and how many windows of it were consumed. */
export interface StreamCursor {
  epoch: number;
  index: number;
}

/** Non-overlapping windows of a split (`length` tokens every `stride`), in a seeded order per epoch. */
export class WindowStream {
  /** Windows per epoch. */
  readonly count: number;
  cursor: StreamCursor;

  constructor(
    readonly split: TokenSplit,
    readonly length: number,
    readonly stride: number,
    readonly seed: number,
    cursor: StreamCursor = { epoch: 0, index: 0 },
  ) {
    this.count = windowCount(split.length, length, stride);
    if (this.count < 1) throw new InputError(`a split of ${split.length} tokens holds no window of ${length} tokens`);
    if (!(cursor.index >= 0 && cursor.index < this.count)) {
      throw new InputError(
        `data cursor index ${cursor.index} is outside this split's ${this.count} windows (was the token folder changed?)`,
      );
    }
    this.cursor = { ...cursor };
  }

  /** The next window in the data order. */
  next(): Int32Array {
    const { epoch, index } = this.cursor;
    const start = permuteIndex(index, this.count, epochKey(this.seed, epoch)) * this.stride;
    this.cursor = index + 1 === this.count ? { epoch: epoch + 1, index: 0 } : { epoch, index: index + 1 };
    return this.split.read(start, start + this.length);
  }
}

/** How many windows of `length` tokens at `stride` fit in `tokens` tokens. */
export function windowCount(tokens: number, length: number, stride: number): number {
  return tokens < length ? 0 : Math.floor((tokens - length) / stride) + 1;
}

/** Window geometry per architecture for sequence length T: decoder T+1 at stride T, encoder T-2 at stride T-2. */
export const WINDOW_SHAPE = {
  decoder: (seqLen: number) => ({ length: seqLen + 1, stride: seqLen }),
  encoder: (seqLen: number) => ({ length: seqLen - 2, stride: seqLen - 2 }),
} as const;

/** [CLS] body [SEP]. */
export function frameEncoderRow(body: Int32Array): Int32Array {
  const row = new Int32Array(body.length + 2);
  row[0] = CLS_ID;
  row.set(body, 1);
  row[row.length - 1] = SEP_ID;
  return row;
}

/** The first `count` windows of a split in file order (fewer if the split is short): validation data. */
export function leadingWindows(split: TokenSplit, length: number, stride: number, count: number): Int32Array[] {
  const n = Math.min(count, windowCount(split.length, length, stride));
  return Array.from({ length: n }, (_, i) => split.read(i * stride, i * stride + length));
}
