/**
 * Token shards: a folder with `manifest.json`, the tokenizer and raw little-endian token-id files per
 * split, each document followed by the `<|endoftext|>` id. A shard holds at most `maxShardTokens` tokens
 * (16 Mi by default) and is cut exactly there, so a document may continue in the next shard; a shard's
 * `documents` counts the documents that end in it.
 */
import { join } from "node:path";
import { InputError } from "../util/errors.ts";
import { sha256, sha256File, writeFileAtomic, writeJsonAtomic } from "../util/fs.ts";

export const TOKENS_FORMAT = "headless-bench-tokens/1";
export const MANIFEST_FILE = "manifest.json";
/** Default shard size in tokens. */
export const DEFAULT_SHARD_TOKENS = 16 * 1024 * 1024;

export type TokenDtype = "uint16" | "uint32";
const DTYPE_BYTES: Record<TokenDtype, number> = { uint16: 2, uint32: 4 };

/** One shard file as the manifest lists it. */
export interface ShardInfo {
  file: string;
  tokens: number;
  documents: number;
  sha256: string;
}

/** One split: totals and its shards in order. */
export interface SplitInfo {
  tokens: number;
  documents: number;
  shards: ShardInfo[];
}

/** manifest.json of a token folder. */
export interface TokenManifest {
  format: typeof TOKENS_FORMAT;
  tokenizer: { file: string; sha256: string };
  vocabSize: number;
  dtype: TokenDtype;
  eot: number;
  seed: number;
  splits: { train: SplitInfo; valid: SplitInfo };
  corpus: Record<string, unknown>;
}

/** uint16 when every id fits (vocab <= 65536), else uint32. */
export function dtypeFor(vocabSize: number): TokenDtype {
  return vocabSize <= 65536 ? "uint16" : "uint32";
}

/** Writes one split's shards into `dir`, document by document. */
export class ShardWriter {
  private buffer: Uint32Array;
  private readonly maxShardTokens: number;
  private filled = 0;
  private documentsInShard = 0;
  private readonly shards: ShardInfo[] = [];
  private totalTokens = 0;
  private totalDocuments = 0;

  constructor(
    readonly dir: string,
    readonly split: string,
    readonly options: { dtype: TokenDtype; vocabSize: number; eot: number; maxShardTokens?: number },
  ) {
    const max = options.maxShardTokens ?? DEFAULT_SHARD_TOKENS;
    if (!(Number.isInteger(max) && max > 0)) {
      throw new RangeError(`maxShardTokens must be a positive integer, got ${max}`);
    }
    if (options.vocabSize > 2 ** (8 * DTYPE_BYTES[options.dtype])) {
      throw new RangeError(`vocabulary of ${options.vocabSize} ids does not fit ${options.dtype}`);
    }
    this.maxShardTokens = max;
    this.buffer = new Uint32Array(Math.min(max, 1 << 16));
  }

  /** Appends a document's ids and the end-of-text id. */
  async addDocument(ids: ArrayLike<number>): Promise<void> {
    const { vocabSize, eot } = this.options;
    for (let i = 0; i <= ids.length; i++) {
      const id = i < ids.length ? ids[i] : eot;
      if (!(id >= 0 && id < vocabSize)) {
        throw new RangeError(`token id ${id} is outside the vocabulary [0, ${vocabSize})`);
      }
      if (this.filled === this.buffer.length) this.grow();
      this.buffer[this.filled++] = id;
      if (i === ids.length) {
        this.documentsInShard++;
        this.totalDocuments++;
      }
      if (this.filled === this.maxShardTokens) await this.flush();
    }
  }

  /** Writes the last shard and returns the split's manifest entry. */
  async finish(): Promise<SplitInfo> {
    if (this.filled > 0) await this.flush();
    return { tokens: this.totalTokens, documents: this.totalDocuments, shards: this.shards };
  }

  private grow(): void {
    const bigger = new Uint32Array(Math.min(this.maxShardTokens, this.buffer.length * 2));
    bigger.set(this.buffer);
    this.buffer = bigger;
  }

  private async flush(): Promise<void> {
    const file = `${this.split}-${String(this.shards.length).padStart(5, "0")}.bin`;
    const bytes = toLittleEndian(this.buffer.subarray(0, this.filled), this.options.dtype);
    await writeFileAtomic(join(this.dir, file), bytes);
    this.shards.push({ file, tokens: this.filled, documents: this.documentsInShard, sha256: sha256(bytes) });
    this.totalTokens += this.filled;
    this.filled = 0;
    this.documentsInShard = 0;
  }
}

/** Writes `manifest` as `dir/manifest.json`. */
export async function writeManifest(dir: string, manifest: TokenManifest): Promise<void> {
  await writeJsonAtomic(join(dir, MANIFEST_FILE), manifest);
}

/** Reads and checks `dir/manifest.json` (errors name the file and the field). */
export async function readManifest(dir: string): Promise<TokenManifest> {
  const file = join(dir, MANIFEST_FILE);
  let m: TokenManifest;
  try {
    m = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new InputError(
      `cannot read a token manifest (${(e as Error).message}); expected a folder made by tasks/tokenize.ts`,
      file,
    );
  }
  const isCount = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
  const problems: string[] = [];
  if (m?.format !== TOKENS_FORMAT) {
    problems.push(`format: expected "${TOKENS_FORMAT}", got ${JSON.stringify(m?.format)}`);
  }
  if (!(m?.dtype in DTYPE_BYTES)) {
    problems.push(`dtype: expected "uint16" or "uint32", got ${JSON.stringify(m?.dtype)}`);
  }
  if (!(isCount(m?.vocabSize) && isCount(m?.eot) && m.eot < m.vocabSize)) {
    problems.push(`vocabSize and eot: expected ids with eot < vocabSize`);
  }
  for (const split of ["train", "valid"] as const) {
    const s = m?.splits?.[split];
    const shardsOk = Array.isArray(s?.shards) &&
      s.shards.every((x) =>
        typeof x?.file === "string" && !x.file.includes("/") && isCount(x.tokens) && isCount(x.documents) &&
        typeof x.sha256 === "string"
      );
    if (!shardsOk) {
      problems.push(`splits.${split}: expected { tokens, documents, shards: [{ file, tokens, documents, sha256 }] }`);
    } else if (s.tokens !== s.shards.reduce((n, x) => n + x.tokens, 0)) {
      problems.push(`splits.${split}.tokens differs from the sum over its shards`);
    }
  }
  if (problems.length) throw new InputError(problems.join("; "), file);
  return m;
}

/** A split's tokens as one stream, loaded shard by shard. */
export interface TokenSplit {
  readonly split: string;
  readonly manifest: TokenManifest;
  /** Tokens in the split (end-of-text ids included). */
  readonly length: number;
  /** Documents in the split. */
  readonly documents: number;
  /** Tokens [start, end) as a new Int32Array (reads the shards it needs, keeping the last one loaded). */
  read(start: number, end: number): Int32Array;
}

/**
 * Opens one split of a token folder. Every shard's size and sha256 are checked against the manifest first
 * (`verify: false` skips the hashing); a mismatch is an InputError naming the shard file.
 */
export async function openTokenSplit(
  dir: string,
  split: "train" | "valid",
  options: { verify?: boolean } = {},
): Promise<TokenSplit> {
  const manifest = await readManifest(dir);
  const info = manifest.splits[split];
  const width = DTYPE_BYTES[manifest.dtype];
  for (const shard of info.shards) {
    const file = join(dir, shard.file);
    let size: number;
    try {
      size = (await Deno.stat(file)).size;
    } catch (e) {
      throw new InputError(`cannot read a shard listed in ${MANIFEST_FILE} (${(e as Error).message})`, file);
    }
    if (size !== shard.tokens * width) {
      throw new InputError(
        `shard has ${size} bytes; ${MANIFEST_FILE} says ${shard.tokens} ${manifest.dtype} tokens (${
          shard.tokens * width
        } bytes)`,
        file,
      );
    }
    if (options.verify ?? true) {
      const digest = await sha256File(file);
      if (digest !== shard.sha256) {
        throw new InputError(`sha256 ${digest} differs from ${MANIFEST_FILE}'s ${shard.sha256}`, file);
      }
    }
  }
  const starts = [0];
  for (const shard of info.shards) starts.push(starts[starts.length - 1] + shard.tokens);
  const length = starts[starts.length - 1];
  let loaded: { index: number; ids: Uint16Array | Uint32Array } | undefined;
  const shardIds = (index: number) => {
    if (loaded?.index !== index) {
      const bytes = Deno.readFileSync(join(dir, info.shards[index].file));
      loaded = { index, ids: fromLittleEndian(bytes, manifest.dtype) };
    }
    return loaded.ids;
  };
  return {
    split,
    manifest,
    length,
    documents: info.documents,
    read(start: number, end: number): Int32Array {
      if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= length)) {
        throw new RangeError(`range [${start}, ${end}) is outside the ${split} split's ${length} tokens`);
      }
      const out = new Int32Array(end - start);
      let shard = upperBound(starts, start) - 1;
      for (let at = start; at < end; shard++) {
        const ids = shardIds(shard);
        const from = at - starts[shard], to = Math.min(end, starts[shard + 1]) - starts[shard];
        out.set(ids.subarray(from, to), at - start);
        at += to - from;
      }
      return out;
    },
  };
}

/** Index of the first element of sorted `xs` greater than `x`. */
function upperBound(xs: number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toLittleEndian(ids: Uint32Array, dtype: TokenDtype): Uint8Array {
  const typed = dtype === "uint16" ? Uint16Array.from(ids) : Uint32Array.from(ids);
  const bytes = new Uint8Array(typed.buffer);
  if (!LITTLE_ENDIAN_HOST) swapBytes(bytes, DTYPE_BYTES[dtype]);
  return bytes;
}

function fromLittleEndian(bytes: Uint8Array, dtype: TokenDtype): Uint16Array | Uint32Array {
  const own = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  if (!LITTLE_ENDIAN_HOST) swapBytes(own, DTYPE_BYTES[dtype]);
  return dtype === "uint16"
    ? new Uint16Array(own.buffer, own.byteOffset, own.byteLength / 2)
    : new Uint32Array(own.buffer, own.byteOffset, own.byteLength / 4);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}
