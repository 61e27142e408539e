/**
 * Any Hugging Face tokenizer.json (BPE, WordPiece, Unigram or WordLevel model), read in TypeScript and
 * encoding as the Rust library's `encode(text, add_special_tokens=False)` does: added tokens are found
 * first, the rest is normalized, pre-tokenized and given to the model; `decode` runs the file's decoder.
 * The post-processor, truncation and padding settings are not applied (callers frame sequences).
 *
 * Why not the npm `tokenizers` package itself: it loads under Deno, but its encode and decode return
 * Promises, while the project's tokenizer users (tokenizeCorpus, GLUE and LAMBADA encoding) are
 * synchronous; tests check this reader against it.
 */
import { InputError } from "../util/errors.ts";
import { AddedVocabulary, readAddedTokens } from "./hf_added_tokens.ts";
import { buildDecoder, type Decode } from "./hf_decoders.ts";
import { buildModel, type HfModel } from "./hf_models.ts";
import { buildNormalizer } from "./hf_normalizers.ts";
import { buildPreTokenizer, type PreTokenize } from "./hf_pre_tokenizers.ts";
import { asSpec, type Spec } from "./hf_spec.ts";
import { BYTE_TO_CHAR } from "./bytes.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** Pre-token -> ids entries kept before the cache is emptied. */
const MAX_CACHE_ENTRIES = 1 << 20;

/** A tokenizer read from a Hugging Face tokenizer.json. */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly specialIds: ReadonlySet<number>;
  /** The model's type (BPE, WordPiece, Unigram, WordLevel). */
  readonly modelType: string;
  /** True when decode(encode(s)) === s for every string: byte-level BPE with no normalizer. */
  readonly lossless: boolean;
  private readonly model: HfModel;
  private readonly added: AddedVocabulary;
  private readonly preTokenize: PreTokenize | null;
  private readonly decoder: Decode;
  private readonly idOf = new Map<string, number>();
  private readonly tokenOf: string[] = [];
  private readonly cache = new Map<string, number[]>();

  /** Builds the tokenizer from parsed tokenizer.json (`file` names it in errors). */
  constructor(root: Spec, readonly file = "tokenizer.json") {
    const at = (path: string) => ({ file, path });
    const normalize = buildNormalizer(root.normalizer, at("normalizer"));
    this.preTokenize = buildPreTokenizer(root.pre_tokenizer, at("pre_tokenizer"));
    this.model = buildModel(root.model, at("model"));
    this.decoder = buildDecoder(root.decoder, at("decoder"));
    const addedTokens = readAddedTokens(root.added_tokens, file);
    this.added = new AddedVocabulary(addedTokens, normalize);
    for (const [token, id] of this.model.vocab) this.setToken(token, id);
    for (const t of addedTokens) this.setToken(t.content, t.id);
    this.vocabSize = this.tokenOf.length;
    this.specialIds = new Set(addedTokens.filter((t) => t.special).map((t) => t.id));
    this.modelType = String(asSpec(root.model, at("model")).type ?? "BPE");
    this.lossless = normalize === null && this.modelType === "BPE" && isByteLevel(root.decoder) &&
      byteLevelPreTokenizer(root.pre_tokenizer) && BYTE_TO_CHAR.every((ch) => this.model.vocab.has(ch));
  }

  /** Parses tokenizer.json text. */
  static fromJson(text: string, file = "tokenizer.json"): HfTokenizer {
    let root: unknown;
    try {
      root = JSON.parse(text);
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, file);
    }
    return new HfTokenizer(asSpec(root, { file, path: "(top level)" }), file);
  }

  private setToken(token: string, id: number): void {
    this.idOf.set(token, id);
    this.tokenOf[id] = token;
  }

  tokenToId(token: string): number | undefined {
    return this.idOf.get(token);
  }

  /** The token string of `id`, or undefined. */
  idToToken(id: number): string | undefined {
    return this.tokenOf[id];
  }

  encode(text: string): number[] {
    const out: number[] = [];
    this.encodeInto(text, out);
    return out;
  }

  encodeInto(text: string, out: number[]): number {
    const before = out.length;
    for (const seg of this.added.extract(text.toWellFormed())) {
      if (seg.id !== undefined) {
        out.push(seg.id);
        continue;
      }
      for (const piece of this.preTokenize ? this.preTokenize([seg]) : [seg]) {
        let ids = this.cache.get(piece.text);
        if (ids === undefined) {
          ids = this.model.tokenize(piece.text);
          if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
          this.cache.set(piece.text, ids);
        }
        for (const id of ids) out.push(id);
      }
    }
    return out.length - before;
  }

  decode(ids: ArrayLike<number>, options: { skipSpecial?: boolean } = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const token = this.tokenOf[ids[i]];
      if (token === undefined) {
        throw new RangeError(`token id ${ids[i]} at position ${i} is not in the vocabulary of ${this.file}`);
      }
      if (!(options.skipSpecial && this.specialIds.has(ids[i]))) tokens.push(token);
    }
    return this.decoder(tokens).join("");
  }
}

function isByteLevel(spec: unknown, prefixSpace?: boolean): boolean {
  const s = spec as Spec | null;
  return s?.type === "ByteLevel" && (prefixSpace === undefined || (s.add_prefix_space ?? true) === prefixSpace);
}

/** A ByteLevel pre-tokenizer without a prefix space, alone or after Splits that keep all text. */
function byteLevelPreTokenizer(spec: unknown): boolean {
  const s = spec as Spec | null;
  if (isByteLevel(s, false)) return true;
  if (s?.type !== "Sequence" || !Array.isArray(s.pretokenizers)) return false;
  const steps = s.pretokenizers as Spec[];
  return isByteLevel(steps.at(-1), false) &&
    steps.slice(0, -1).every((p) => p?.type === "Split" && p.behavior !== "Removed" && p.invert !== true);
}
