/**
 * Hugging Face decoders: token strings -> text pieces, joined afterwards. ByteLevel, WordPiece,
 * Metaspace, BPEDecoder, Replace, ByteFallback, Fuse, Strip and Sequence. Without a decoder the tokens
 * are joined with spaces (the Rust library's rule).
 */
import { tokenStringToBytes } from "./bytes.ts";
import {
  asSpec,
  booleanField,
  child,
  listField,
  patternRegex,
  stringField,
  unsupported,
  type Where,
} from "./hf_spec.ts";

/** A decoder: the tokens of a sequence in, the pieces of its text out. */
export type Decode = (tokens: string[]) => string[];

const KNOWN = [
  "ByteLevel",
  "WordPiece",
  "Metaspace",
  "BPEDecoder",
  "Replace",
  "ByteFallback",
  "Fuse",
  "Strip",
  "Sequence",
];
const UTF8 = new TextEncoder();

/** The decoder of a tokenizer.json `decoder` field (null: join with spaces). */
export function buildDecoder(value: unknown, where: Where): Decode {
  if (value === null || value === undefined) return (tokens) => [tokens.join(" ")];
  const spec = asSpec(value, where);
  switch (spec.type) {
    case "ByteLevel":
      return byteLevel;
    case "WordPiece": {
      const prefix = stringField(spec, "prefix", where, "##");
      const cleanup = booleanField(spec, "cleanup", where, true);
      return (tokens) =>
        tokens.map((t, i) => {
          const s = i === 0 ? t : t.startsWith(prefix) ? t.slice(prefix.length) : " " + t;
          return cleanup ? cleanUpTokenization(s) : s;
        });
    }
    case "Metaspace": {
      const replacement = stringField(spec, "replacement", where, "▁");
      const legacy = spec.add_prefix_space === undefined ? undefined : (spec.add_prefix_space ? "always" : "never");
      const dropFirst = (spec.prepend_scheme ?? legacy ?? "always") !== "never";
      return (tokens) =>
        tokens.map((t, i) => [...t].map((c) => c === replacement ? (i === 0 && dropFirst ? "" : " ") : c).join(""));
    }
    case "BPEDecoder": {
      const suffix = stringField(spec, "suffix", where, "</w>");
      return (tokens) => tokens.map((t, i) => t.replaceAll(suffix, i === tokens.length - 1 ? "" : " "));
    }
    case "Replace": {
      const re = patternRegex(spec.pattern, child(where, "pattern"));
      const content = stringField(spec, "content", where);
      return (tokens) => tokens.map((t) => t.replace(re, () => content));
    }
    case "ByteFallback":
      return byteFallback;
    case "Fuse":
      return (tokens) => [tokens.join("")];
    case "Strip": {
      const content = stringField(spec, "content", where);
      const start = Number(spec.start ?? 0), stop = Number(spec.stop ?? 0);
      return (tokens) => tokens.map((t) => stripChars(t, content, start, stop));
    }
    case "Sequence": {
      const steps = listField(spec, "decoders", where).map((d, i) =>
        buildDecoder(d, child(child(where, "decoders"), i))
      );
      return (tokens) => steps.reduce((ts, step) => step(ts), tokens);
    }
    default:
      throw unsupported(spec, where, KNOWN);
  }
}

/** GPT-2's characters back to bytes (a token with a character outside the table keeps its own UTF-8). */
function byteLevel(tokens: string[]): string[] {
  const bytes: number[] = [];
  for (const t of tokens) for (const b of tokenStringToBytes(t) ?? UTF8.encode(t)) bytes.push(b);
  return [new TextDecoder("utf-8", { ignoreBOM: true }).decode(Uint8Array.from(bytes))];
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/** Runs of <0xXX> tokens back to text; a run that is not valid UTF-8 gives one U+FFFD per byte. */
function byteFallback(tokens: string[]): string[] {
  const out: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (!run.length) return;
    try {
      out.push(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(run)));
    } catch {
      out.push(...run.map(() => "\ufffd"));
    }
    run = [];
  };
  for (const t of tokens) {
    const m = BYTE_TOKEN.exec(t);
    if (m) run.push(parseInt(m[1], 16));
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}

/** Removes up to `start` leading and `stop` trailing `content` characters. */
function stripChars(t: string, content: string, start: number, stop: number): string {
  const chars = [...t];
  let a = 0, b = chars.length;
  while (a < start && a < b && chars[a] === content) a++;
  while (chars.length - b < stop && b > a && chars[b - 1] === content) b--;
  return chars.slice(a, b).join("");
}

/** The WordPiece decoder's clean-up of spaces before punctuation and contractions. */
function cleanUpTokenization(s: string): string {
  return s.replaceAll(" .", ".").replaceAll(" ?", "?").replaceAll(" !", "!").replaceAll(" ,", ",")
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" do not", " don't")
    .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}
