/**
 * Loading any tokenizer.json: the project's own layout (byte-level BPE, specials at ids 0-4, what
 * tokenize writes) as the fast BpeTokenizer, anything else Hugging Face writes (GPT-2's, RoBERTa's,
 * BERT's WordPiece, SentencePiece Unigram...) as HfTokenizer.
 */
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";
import { fromHfJson } from "./hf_json.ts";
import { HfTokenizer } from "./hf_tokenizer.ts";
import type { Tokenizer } from "./tokenizer.ts";

/** A tokenizer with the exact bytes of its file. */
export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  /** The file's bytes, to be copied as they are (their sha256 identifies the tokenizer). */
  bytes: Uint8Array;
  sha256: string;
  /** "bpe": the project's own layout, read as BpeTokenizer; "hf": read as HfTokenizer. */
  kind: "bpe" | "hf";
}

/** Reads tokenizer.json bytes of either kind. */
export function parseAnyTokenizer(bytes: Uint8Array, file = "tokenizer.json"): LoadedTokenizer {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`not UTF-8 text`, file);
  }
  let tokenizer: Tokenizer, kind: LoadedTokenizer["kind"];
  try {
    tokenizer = fromHfJson(text, file);
    kind = "bpe";
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    tokenizer = HfTokenizer.fromJson(text, file);
    kind = "hf";
  }
  return { tokenizer, bytes, sha256: sha256(bytes), kind };
}

/** Reads a tokenizer.json file of either kind. */
export async function loadAnyTokenizer(path: string): Promise<LoadedTokenizer> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new InputError(`cannot read tokenizer: ${(e as Error).message}`, path);
  }
  return parseAnyTokenizer(bytes, path);
}
