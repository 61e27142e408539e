/**
 * Save and load the Hugging Face `tokenizer.json` format: a BPE model (vocab + merges), the ByteLevel
 * pre-tokenizer and decoder with add_prefix_space false, and the special tokens as added_tokens with
 * special: true. The same file loads in Hugging Face's `tokenizers` (Rust, Python, Node) and in
 * transformers' fast tokenizers.
 */
import { InputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { type BpeSpec, BpeTokenizer } from "./bpe.ts";

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };

/** The tokenizer as tokenizer.json text: vocab in id order, merges as "left right" strings. */
export function toHfJson(tok: BpeTokenizer): string {
  const head = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [...tok.specialIds].sort((a, b) => a - b).map((id) => ({
      id,
      content: tok.tokens[id],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: null,
    decoder: BYTE_LEVEL,
  };
  const model = {
    type: "BPE",
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
  };
  // Written by hand so the vocab keeps id order (a JS object would put keys like "1" first).
  const indent = (json: string) => json.replace(/\n/g, "\n  ");
  const modelFields = JSON.stringify(model, null, 2).slice(0, -2);
  const vocab = tok.tokens.map((t, id) => `      ${JSON.stringify(t)}: ${id}`).join(",\n");
  const merges = tok.merges.map(([a, b]) => `      ${JSON.stringify(`${tok.tokens[a]} ${tok.tokens[b]}`)}`).join(",\n");
  return JSON.stringify(head, null, 2).slice(0, -2) + ",\n" +
    `  "model": ${indent(modelFields)},\n    "vocab": {\n${vocab}\n    },\n    "merges": [\n${merges}\n    ]\n  }\n}\n`;
}

/** Parses tokenizer.json text (`file` names it in errors). Accepts merges as "a b" strings or [a, b] pairs. */
export function fromHfJson(text: string, file = "tokenizer.json"): BpeTokenizer {
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, file);
  }
  const model = object(root?.model, "model", file);
  if (model.type !== "BPE") throw new InputError(`model.type: expected "BPE", got ${JSON.stringify(model.type)}`, file);
  for (
    const [field, expected] of [["continuing_subword_prefix", null], ["end_of_word_suffix", null], [
      "dropout",
      null,
    ]] as const
  ) {
    if ((model[field] ?? null) !== expected) {
      throw new InputError(`model.${field}: expected null, got ${JSON.stringify(model[field])}`, file);
    }
  }
  checkByteLevel(root.pre_tokenizer, "pre_tokenizer", file);
  if (root.decoder != null) checkByteLevel(root.decoder, "decoder", file);
  if (root.normalizer != null) {
    throw new InputError(`normalizer: expected null, got ${JSON.stringify(root.normalizer)}`, file);
  }

  const tokens: string[] = [];
  for (const [token, id] of Object.entries(object(model.vocab, "model.vocab", file))) {
    if (!Number.isInteger(id) || (id as number) < 0) {
      throw new InputError(`model.vocab[${JSON.stringify(token)}]: expected an id, got ${id}`, file);
    }
    if (tokens[id as number] !== undefined) throw new InputError(`model.vocab: id ${id} is given to two tokens`, file);
    tokens[id as number] = token;
  }
  const specialIds: number[] = [];
  for (const [i, added] of (Array.isArray(root.added_tokens) ? root.added_tokens : []).entries()) {
    const { id, content, special } = object(added, `added_tokens[${i}]`, file);
    if (!Number.isInteger(id) || typeof content !== "string") {
      throw new InputError(`added_tokens[${i}]: expected an integer id and a string content`, file);
    }
    if (special !== true) {
      throw new InputError(
        `added_tokens[${i}] ${JSON.stringify(content)}: only special added tokens are supported`,
        file,
      );
    }
    if (tokens[id as number] !== undefined && tokens[id as number] !== content) {
      throw new InputError(
        `added_tokens[${i}]: id ${id} is ${JSON.stringify(tokens[id as number])} in the vocab`,
        file,
      );
    }
    tokens[id as number] = content;
    specialIds.push(id as number);
  }
  const missing = tokens.findIndex((t) => t === undefined);
  if (missing >= 0) throw new InputError(`ids are not contiguous: no token has id ${missing}`, file);

  const idOf = new Map(tokens.map((t, id) => [t, id]));
  const rawMerges = model.merges;
  if (!Array.isArray(rawMerges)) throw new InputError(`model.merges: expected an array`, file);
  const merges = rawMerges.map((m, rank): [number, number] => {
    const parts = typeof m === "string" ? m.split(" ") : m;
    const ids = Array.isArray(parts) && parts.length === 2 ? parts.map((p) => idOf.get(p)) : [];
    if (ids.length !== 2 || ids.some((id) => id === undefined)) {
      throw new InputError(`model.merges[${rank}]: expected two vocab tokens, got ${JSON.stringify(m)}`, file);
    }
    return [ids[0]!, ids[1]!];
  });
  const spec: BpeSpec = { tokens, merges, specialIds };
  return new BpeTokenizer(spec, file);
}

/** Writes `tok` to `path` as tokenizer.json, atomically. */
export async function saveTokenizer(path: string, tok: BpeTokenizer): Promise<void> {
  await writeFileAtomic(path, toHfJson(tok));
}

/** Reads a tokenizer.json file. */
export async function loadTokenizer(path: string): Promise<BpeTokenizer> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`cannot read tokenizer: ${(e as Error).message}`, path);
  }
  return fromHfJson(text, path);
}

function object(value: unknown, what: string, file: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError(`${what}: expected an object`, file);
  }
  return value as Record<string, unknown>;
}

function checkByteLevel(value: unknown, what: string, file: string): void {
  const v = object(value, what, file);
  if (v.type !== "ByteLevel" || v.add_prefix_space !== false || v.use_regex === false) {
    throw new InputError(`${what}: expected ByteLevel with add_prefix_space false, got ${JSON.stringify(v)}`, file);
  }
}
