/**
 * Hugging Face normalizers as functions text -> text: NFC/NFD/NFKC/NFKD, Lowercase, StripAccents,
 * Strip, Replace, Prepend, BertNormalizer and Sequence.
 * Characters are handled one code point at a time, as in Rust (lowercasing has no final-sigma rule).
 */
import {
  asSpec,
  booleanField,
  child,
  listField,
  patternRegex,
  type Spec,
  stringField,
  unsupported,
  type Where,
} from "./hf_spec.ts";

/** A normalizer. */
export type Normalize = (text: string) => string;

const KNOWN = [
  "NFC",
  "NFD",
  "NFKC",
  "NFKD",
  "Lowercase",
  "StripAccents",
  "Strip",
  "Replace",
  "Prepend",
  "BertNormalizer",
  "Sequence",
];

/** Rust's char::is_whitespace (Unicode White_Space). */
export const WHITESPACE = /\p{White_Space}/u;
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u; // Rust's is_control as BERT uses it: not unassigned code points
const NONSPACING_MARK = /\p{Mn}/gu;
const MARK = /\p{M}/gu;

/** The normalizer of a tokenizer.json `normalizer` field (null: none). */
export function buildNormalizer(value: unknown, where: Where): Normalize | null {
  if (value === null || value === undefined) return null;
  const spec = asSpec(value, where);
  switch (spec.type) {
    case "NFC":
    case "NFD":
    case "NFKC":
    case "NFKD": {
      const form = spec.type;
      return (s) => s.normalize(form);
    }
    case "Lowercase":
      return lowercase;
    case "StripAccents":
      return (s) => s.replace(MARK, "");
    case "Strip": {
      const left = booleanField(spec, "strip_left", where, true),
        right = booleanField(spec, "strip_right", where, true);
      return (s) => strip(s, left, right);
    }
    case "Replace": {
      const re = patternRegex(spec.pattern, child(where, "pattern"));
      const content = stringField(spec, "content", where);
      return (s) => s.replace(re, () => content);
    }
    case "Prepend": {
      const prepend = stringField(spec, "prepend", where);
      return (s) => (s.length ? prepend + s : s);
    }
    case "BertNormalizer":
      return bertNormalizer(spec, where);
    case "Sequence": {
      const parts = listField(spec, "normalizers", where).map((n, i) =>
        buildNormalizer(n, child(child(where, "normalizers"), i))
      );
      return (s) => parts.reduce((t, n) => (n ? n(t) : t), s);
    }
    default:
      throw unsupported(spec, where, KNOWN);
  }
}

/** Lowercases each code point on its own (Rust's char::to_lowercase). */
export function lowercase(s: string): string {
  let out = "";
  for (const ch of s) out += ch.toLowerCase();
  return out;
}

function strip(s: string, left: boolean, right: boolean): string {
  const chars = [...s];
  let start = 0, end = chars.length;
  if (left) { while (start < end && WHITESPACE.test(chars[start])) start++; }
  if (right) { while (end > start && WHITESPACE.test(chars[end - 1])) end--; }
  return chars.slice(start, end).join("");
}

/** BERT's CJK ideograph blocks (each such character gets spaces around it). */
function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

function bertNormalizer(spec: Spec, where: Where): Normalize {
  const cleanText = booleanField(spec, "clean_text", where, true);
  const chinese = booleanField(spec, "handle_chinese_chars", where, true);
  const lower = booleanField(spec, "lowercase", where, true);
  const stripAccents = booleanField(spec, "strip_accents", where, lower);
  return (s) => {
    let out = "";
    for (const ch of s) {
      if (cleanText) {
        // Controls go first (tab, newline and return excepted), so \v, \f and U+0085 are dropped, not spaces.
        const tnr = ch === "\t" || ch === "\n" || ch === "\r";
        if (ch === "\0" || ch === "\ufffd" || (!tnr && CONTROL.test(ch))) continue;
        if (tnr || WHITESPACE.test(ch)) {
          out += " ";
          continue;
        }
      }
      out += chinese && isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
    }
    if (stripAccents) out = out.normalize("NFD").replace(NONSPACING_MARK, "");
    return lower ? lowercase(out) : out;
  };
}
