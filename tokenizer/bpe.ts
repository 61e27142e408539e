/**
 * Byte-level BPE encoding and decoding (GPT-2 style). Text is pre-tokenised, each piece is turned into
 * its UTF-8 bytes and the merges are applied lowest rank first, left to right. Special tokens are never
 * produced from text: "<|endoftext|>" in a string is encoded as its bytes like any other text, so
 * `decode(encode(s)) === s` for every well-formed string. A lone surrogate (not valid UTF-16) is written
 * as U+FFFD's bytes, as any UTF-8 encoder does, so it comes back as U+FFFD.
 */
import { InputError } from "../util/errors.ts";
import { BYTE_TO_CHAR, tokenStringToBytes } from "./bytes.ts";
import { applyMerges, type MergeTable } from "./merge.ts";
import { scanPieces } from "./pretokenize.ts";
import { hashSlice, WordCache } from "./word_cache.ts";

/** A BPE vocabulary: what tokenizer.json holds, in ids. */
export interface BpeSpec {
  /** Token strings by id, in tokenizer.json's byte-to-unicode form (special tokens as their plain text). */
  tokens: string[];
  /** Merges in rank order, each a pair of token ids whose concatenation is also in `tokens`. */
  merges: Array<[number, number]>;
  /** Ids of the special tokens (never produced by encode). */
  specialIds: number[];
}

/** Ids must fit 16 bits: a pair is then one int32 key `(left << 16) | right`, which V8's Map hashes fast. */
export const MAX_TOKENS = 65536;
/** Word-cache entries kept before the cache is emptied (bounds memory on huge corpora). */
const MAX_CACHE_ENTRIES = 1 << 20;

/** A trained or loaded byte-level BPE tokenizer. */
export class BpeTokenizer {
  readonly tokens: readonly string[];
  readonly merges: ReadonlyArray<readonly [number, number]>;
  readonly specialIds: ReadonlySet<number>;
  /** Token id of each byte value. */
  readonly byteIds: Int32Array;
  private readonly idOf = new Map<string, number>();
  /** pair key -> merge rank, and the id each rank produces. */
  private readonly mergeTable: MergeTable;
  /** Every token's bytes, flat: token i is byteData[byteStart[i] .. byteStart[i + 1]). */
  private readonly byteData: Uint8Array;
  private readonly byteStart: Uint32Array;
  private readonly cache = new WordCache<number[]>(MAX_CACHE_ENTRIES);
  private readonly utf8 = new TextEncoder();
  private readonly utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // keep a leading U+FEFF

  /** Checks `spec` (unique tokens, every byte present, merges closed) and builds the lookup tables. */
  constructor(spec: BpeSpec, source = "tokenizer") {
    if (spec.tokens.length > MAX_TOKENS) {
      throw new InputError(`${spec.tokens.length} tokens: at most ${MAX_TOKENS}`, source);
    }
    this.tokens = spec.tokens;
    this.specialIds = new Set(spec.specialIds);
    spec.tokens.forEach((t, id) => {
      if (this.idOf.has(t)) {
        throw new InputError(`token ${JSON.stringify(t)} has two ids: ${this.idOf.get(t)} and ${id}`, source);
      }
      this.idOf.set(t, id);
    });

    const bytesById: Uint8Array[] = spec.tokens.map((t, id) => {
      if (this.specialIds.has(id)) return this.utf8.encode(t);
      const bytes = tokenStringToBytes(t);
      if (!bytes || bytes.length === 0) {
        throw new InputError(
          `token ${id} ${JSON.stringify(t)} is not a byte-level token (expected GPT-2 byte characters)`,
          source,
        );
      }
      return bytes;
    });
    this.byteStart = new Uint32Array(spec.tokens.length + 1);
    bytesById.forEach((b, id) => (this.byteStart[id + 1] = this.byteStart[id] + b.length));
    this.byteData = new Uint8Array(this.byteStart[spec.tokens.length]);
    bytesById.forEach((b, id) => this.byteData.set(b, this.byteStart[id]));

    this.byteIds = new Int32Array(256);
    BYTE_TO_CHAR.forEach((ch, b) => {
      const id = this.idOf.get(ch);
      if (id === undefined || this.specialIds.has(id)) {
        throw new InputError(`no token for byte ${b} (${JSON.stringify(ch)})`, source);
      }
      this.byteIds[b] = id;
    });

    this.merges = spec.merges;
    this.mergeTable = { rankOf: new Map(), mergeResult: new Int32Array(spec.merges.length) };
    spec.merges.forEach(([a, b], rank) => {
      const merged = spec.tokens[a] !== undefined && spec.tokens[b] !== undefined
        ? this.idOf.get(spec.tokens[a] + spec.tokens[b])
        : undefined;
      if (merged === undefined || [a, b, merged].some((id) => this.specialIds.has(id))) {
        throw new InputError(
          `merge ${rank} (${a}, ${b}): expected two byte-level tokens whose concatenation is a token`,
          source,
        );
      }
      this.mergeTable.rankOf.set((a << 16) | b, rank); // a repeated pair keeps its last rank, as in Hugging Face
      this.mergeTable.mergeResult[rank] = merged;
    });
  }

  /** Number of ids (specials included). */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /** The id of a token string (tokenizer.json form), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.idOf.get(token);
  }

  /** Encodes `text` as token ids. */
  encode(text: string): number[] {
    const out: number[] = [];
    this.encodeInto(text, out);
    return out;
  }

  /** Appends the ids of `text` to `out`; returns how many it appended. */
  encodeInto(text: string, out: number[]): number {
    const before = out.length;
    scanPieces(text, (start, end) => {
      const hash = hashSlice(text, start, end);
      let ids = this.cache.get(text, start, end, hash);
      if (ids === undefined) {
        const piece = text.slice(start, end);
        ids = this.mergeBytes(this.utf8.encode(piece));
        this.cache.set(piece, hash, ids);
      }
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    });
    return out.length - before;
  }

  /** Ids of one pre-token. */
  encodePiece(piece: string): readonly number[] {
    return this.mergeBytes(this.utf8.encode(piece));
  }

  /** Applies the merges to one piece's bytes. */
  private mergeBytes(bytes: Uint8Array): number[] {
    const symbols: number[] = new Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) symbols[i] = this.byteIds[bytes[i]];
    return applyMerges(symbols, this.mergeTable);
  }

  /** The bytes of `ids` (special tokens as their text's UTF-8 unless `skipSpecial`). */
  decodeBytes(ids: ArrayLike<number>, skipSpecial = false): Uint8Array {
    const { byteData, byteStart } = this;
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = this.checkId(ids[i], i);
      if (!(skipSpecial && this.specialIds.has(id))) total += byteStart[id + 1] - byteStart[id];
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (skipSpecial && this.specialIds.has(id)) continue;
      for (let k = byteStart[id], end = byteStart[id + 1]; k < end; k++) out[at++] = byteData[k];
    }
    return out;
  }

  /** Decodes `ids` to text; byte sequences that are not valid UTF-8 (a cut-off token run) become U+FFFD. */
  decode(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): string {
    return this.utf8Decoder.decode(this.decodeBytes(ids, options.skipSpecial ?? false));
  }

  private checkId(id: number, at: number): number {
    if (!(id >= 0 && id < this.tokens.length) || !Number.isInteger(id)) {
      throw new RangeError(`token id ${id} at position ${at} is outside the vocabulary [0, ${this.tokens.length})`);
    }
    return id;
  }
}
