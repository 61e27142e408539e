/**
 * Added tokens (tokenizer.json `added_tokens`): found in the text before anything else and given
 * their ids whole, as Hugging Face's AddedVocabulary does. Tokens with `normalized: false` (specials,
 * usually) are looked for in the raw text, the others in the normalized text between them; the
 * longest token wins at the leftmost place. `single_word` skips a match inside a word; `lstrip` and
 * `rstrip` take the whitespace beside a match into it.
 */
import { InputError } from "../util/errors.ts";
import { escapeRegex } from "./hf_spec.ts";
import type { Piece } from "./hf_split.ts";
import { type Normalize, WHITESPACE } from "./hf_normalizers.ts";

/** One entry of `added_tokens`. */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** A piece of text, or an added token found in it (with its id). */
export interface Segment extends Piece {
  id?: number;
}

const WORD_CHAR = /^[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]$/u;

/** Reads `added_tokens` (absent: none). */
export function readAddedTokens(value: unknown, file: string): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InputError(`added_tokens: expected a list`, file);
  return value.map((t, i) => {
    const { id, content, special = false, single_word = false, lstrip = false, rstrip = false } = t ?? {};
    const normalized = t?.normalized ?? !special;
    const flags = [special, single_word, lstrip, rstrip, normalized];
    if (
      !Number.isInteger(id) || id < 0 || typeof content !== "string" || content === "" ||
      flags.some((f) => typeof f !== "boolean")
    ) {
      throw new InputError(`added_tokens[${i}]: expected an id, a non-empty content and boolean flags`, file);
    }
    return { id, content, special, singleWord: single_word, lstrip, rstrip, normalized };
  });
}

/** A matcher for a set of added tokens: one regex of their contents, longest first. */
interface TokenSet {
  re: RegExp | null;
  byContent: Map<string, AddedToken>;
}

function tokenSet(tokens: AddedToken[], contentOf: (t: AddedToken) => string): TokenSet {
  const byContent = new Map(tokens.map((t) => [contentOf(t), t]));
  const contents = [...byContent.keys()].filter((c) => c.length > 0).sort((a, b) => b.length - a.length);
  return { re: contents.length ? new RegExp(contents.map(escapeRegex).join("|"), "gu") : null, byContent };
}

/** The added tokens of a tokenizer and the splitting of text around them. */
export class AddedVocabulary {
  private readonly raw: TokenSet;
  private readonly normalizedSet: TokenSet;

  constructor(readonly tokens: AddedToken[], private readonly normalize: Normalize | null) {
    this.raw = tokenSet(tokens.filter((t) => !t.normalized), (t) => t.content);
    // Normalized tokens are matched by their normalized content, as Hugging Face stores them.
    this.normalizedSet = tokenSet(
      tokens.filter((t) => t.normalized),
      (t) => normalize ? normalize(t.content) : t.content,
    );
  }

  /** `text` cut into added tokens and normalized text pieces, in order (empty pieces left out). */
  extract(text: string): Segment[] {
    const out: Segment[] = [];
    for (const seg of this.find({ text, atStart: true }, this.raw)) {
      if (seg.id !== undefined) {
        out.push(seg);
        continue;
      }
      const normalized = this.normalize ? this.normalize(seg.text) : seg.text;
      for (const s of this.find({ text: normalized, atStart: seg.atStart }, this.normalizedSet)) {
        if (s.id !== undefined || s.text.length > 0) out.push(s);
      }
    }
    return out;
  }

  private find(piece: Piece, set: TokenSet): Segment[] {
    const { text } = piece;
    if (!set.re || text.length === 0) return [piece];
    const out: Segment[] = [];
    let done = 0;
    for (const m of text.matchAll(set.re)) {
      let start = m.index!, stop = start + m[0].length;
      if (start < done) continue;
      const token = set.byContent.get(m[0])!;
      if (token.singleWord && (isWordChar(lastChar(text, start)) || isWordChar(firstChar(text, stop)))) continue;
      if (token.lstrip) {
        while (start > done && WHITESPACE.test(lastChar(text, start))) start -= lastChar(text, start).length;
      }
      if (token.rstrip) {
        while (stop < text.length && WHITESPACE.test(firstChar(text, stop))) stop += firstChar(text, stop).length;
      }
      if (done < start) out.push({ text: text.slice(done, start), atStart: piece.atStart && done === 0 });
      out.push({ text: text.slice(start, stop), atStart: piece.atStart && start === 0, id: token.id });
      done = stop;
    }
    if (done < text.length) out.push({ text: text.slice(done), atStart: piece.atStart && done === 0 });
    return out;
  }
}

function isWordChar(ch: string): boolean {
  return ch !== "" && WORD_CHAR.test(ch);
}

/** The code point ending at `at` ("" at the start). */
function lastChar(text: string, at: number): string {
  if (at <= 0) return "";
  const low = text.charCodeAt(at - 1);
  return at >= 2 && low >= 0xdc00 && low < 0xe000 ? text.slice(at - 2, at) : text.slice(at - 1, at);
}

/** The code point starting at `at` ("" at the end). */
function firstChar(text: string, at: number): string {
  if (at >= text.length) return "";
  return String.fromCodePoint(text.codePointAt(at)!);
}
