/**
 * Hugging Face pre-tokenizers: each cuts every piece into smaller ones (merges never cross pieces).
 * ByteLevel (GPT-2's regex, then bytes written as GPT-2's characters), Whitespace, WhitespaceSplit,
 * BertPreTokenizer, Punctuation, Digits, Metaspace (SentencePiece's ▁), Split, CharDelimiterSplit and
 * Sequence.
 */
import { BYTE_TO_CHAR } from "./bytes.ts";
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
import { charSpans, type Piece, regexSpans, SPLIT_BEHAVIORS, type SplitBehavior, splitPiece } from "./hf_split.ts";
import { WHITESPACE } from "./hf_normalizers.ts";
import { InputError } from "../util/errors.ts";

/** A pre-tokenizer: pieces in, smaller pieces out. */
export type PreTokenize = (pieces: Piece[]) => Piece[];

const KNOWN = [
  "ByteLevel",
  "Whitespace",
  "WhitespaceSplit",
  "BertPreTokenizer",
  "Punctuation",
  "Digits",
  "Metaspace",
  "Split",
  "CharDelimiterSplit",
  "Sequence",
];

/** Oniguruma's \w and \s as Hugging Face's Whitespace pre-tokenizer uses them (`\w+|[^\w\s]+`). */
const WORDS_OR_SYMBOLS = /[\p{L}\p{M}\p{Nd}\p{Pc}]+|[^\p{L}\p{M}\p{Nd}\p{Pc}\p{White_Space}]+/gu;
const PUNCTUATION = /^[\p{P}!-\/:-@\[-`{-~]$/u; // Unicode punctuation and ASCII punctuation (BERT's rule)
const NUMERIC = /^\p{N}$/u;
/**
 * GPT-2's regex as Hugging Face runs it: Oniguruma's \s is Unicode White_Space (U+0085 in, U+FEFF
 * out), which JavaScript's \s is not, so the classes are spelt out. (pretokenize.ts's GPT2_PATTERN
 * uses JavaScript's \s and differs from Hugging Face on text with U+0085 or U+FEFF.)
 */
const GPT2_REGEX =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;
const isWhitespace = (ch: string) => WHITESPACE.test(ch);
const isPunctuation = (ch: string) => PUNCTUATION.test(ch);

/** Applies `cut` to every piece. */
function each(cut: (piece: Piece) => Piece[]): PreTokenize {
  return (pieces) => pieces.flatMap(cut);
}

/** The pre-tokenizer of a tokenizer.json `pre_tokenizer` field (null: none). */
export function buildPreTokenizer(value: unknown, where: Where): PreTokenize | null {
  if (value === null || value === undefined) return null;
  const spec = asSpec(value, where);
  switch (spec.type) {
    case "ByteLevel":
      return byteLevel(spec, where);
    case "Whitespace":
      return each((p) => splitPiece(p, regexSpans(p.text, WORDS_OR_SYMBOLS), "Removed", true));
    case "WhitespaceSplit":
      return each((p) => splitPiece(p, charSpans(p.text, isWhitespace), "Removed"));
    case "BertPreTokenizer":
      return each((p) =>
        splitPiece(p, charSpans(p.text, isWhitespace), "Removed")
          .flatMap((q) => splitPiece(q, charSpans(q.text, isPunctuation), "Isolated"))
      );
    case "Punctuation": {
      const behavior = behaviorField(spec, where, "Isolated");
      return each((p) => splitPiece(p, charSpans(p.text, isPunctuation), behavior));
    }
    case "Digits": {
      const individual = booleanField(spec, "individual_digits", where, false);
      const isDigit = (ch: string) => NUMERIC.test(ch);
      return each((p) => splitPiece(p, charSpans(p.text, isDigit), individual ? "Isolated" : "Contiguous"));
    }
    case "Metaspace":
      return metaspace(spec, where);
    case "Split": {
      const re = patternRegex(spec.pattern, child(where, "pattern"));
      const behavior = behaviorField(spec, where);
      const invert = booleanField(spec, "invert", where, false);
      return each((p) => splitPiece(p, regexSpans(p.text, re), behavior, invert));
    }
    case "CharDelimiterSplit": {
      const delimiter = stringField(spec, "delimiter", where);
      return each((p) => splitPiece(p, charSpans(p.text, (ch) => ch === delimiter), "Removed"));
    }
    case "Sequence": {
      const steps = listField(spec, "pretokenizers", where)
        .map((s, i) => buildPreTokenizer(s, child(child(where, "pretokenizers"), i)));
      return (pieces) => steps.reduce((ps, step) => (step ? step(ps) : ps), pieces);
    }
    default:
      throw unsupported(spec, where, KNOWN);
  }
}

function behaviorField(spec: Spec, where: Where, fallback?: SplitBehavior): SplitBehavior {
  const b = spec.behavior ?? fallback;
  if (!SPLIT_BEHAVIORS.includes(b as SplitBehavior)) {
    throw new InputError(
      `${where.path}.behavior: expected one of ${SPLIT_BEHAVIORS.join(", ")}, got ${JSON.stringify(spec.behavior)}`,
      where.file,
    );
  }
  return b as SplitBehavior;
}

/** GPT-2's pre-tokenizer: optional leading space, the GPT-2 regex, then each piece's UTF-8 bytes as characters. */
function byteLevel(spec: Spec, where: Where): PreTokenize {
  const addPrefixSpace = booleanField(spec, "add_prefix_space", where, true);
  const useRegex = booleanField(spec, "use_regex", where, true);
  return each((piece) => {
    const p = addPrefixSpace && !piece.text.startsWith(" ") ? { ...piece, text: " " + piece.text } : piece;
    const parts = useRegex ? splitPiece(p, regexSpans(p.text, GPT2_REGEX), "Isolated") : [p];
    return parts.map((q) => ({ ...q, text: byteChars(q.text) }));
  });
}

/** The UTF-8 bytes of well-formed `text` written as GPT-2's byte characters (TextEncoder is slow on short strings). */
function byteChars(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out += BYTE_TO_CHAR[c];
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00) c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
    if (c < 0x800) out += BYTE_TO_CHAR[0xc0 | (c >> 6)];
    else if (c < 0x10000) out += BYTE_TO_CHAR[0xe0 | (c >> 12)] + BYTE_TO_CHAR[0x80 | ((c >> 6) & 0x3f)];
    else {
      out += BYTE_TO_CHAR[0xf0 | (c >> 18)] + BYTE_TO_CHAR[0x80 | ((c >> 12) & 0x3f)] +
        BYTE_TO_CHAR[0x80 | ((c >> 6) & 0x3f)];
    }
    out += BYTE_TO_CHAR[0x80 | (c & 0x3f)];
  }
  return out;
}

/** SentencePiece's way: spaces become ▁ (and one is put in front), then pieces start at each ▁. */
function metaspace(spec: Spec, where: Where): PreTokenize {
  const replacement = stringField(spec, "replacement", where, "▁");
  if ([...replacement].length !== 1) {
    throw new InputError(
      `${where.path}.replacement: expected one character, got ${JSON.stringify(replacement)}`,
      where.file,
    );
  }
  // Older files say add_prefix_space: true|false instead of prepend_scheme.
  const legacy = spec.add_prefix_space === undefined ? undefined : (spec.add_prefix_space ? "always" : "never");
  const scheme = spec.prepend_scheme ?? legacy ?? "always";
  if (!["always", "first", "never"].includes(scheme as string)) {
    throw new InputError(
      `${where.path}.prepend_scheme: expected always, first or never, got ${JSON.stringify(scheme)}`,
      where.file,
    );
  }
  const split = booleanField(spec, "split", where, true);
  return each((piece) => {
    let text = piece.text.replaceAll(" ", replacement);
    const prepend = scheme === "always" || (scheme === "first" && piece.atStart);
    if (prepend && !text.startsWith(replacement)) text = replacement + text;
    const p = { ...piece, text };
    return split ? splitPiece(p, charSpans(text, (ch) => ch === replacement), "MergedWithNext") : [p];
  });
}
