/**
 * Per-language figures of a multilingual corpus: documents (and how many are held out), words, the cap's
 * unit (words; characters for ja and zh), UTF-8 bytes, the amount each source gave and, given a
 * tokenizer, tokens and tokens per word (per character for ja and zh).
 */
import { countWords, type Document, splitKey, splitOf } from "../corpus.ts";
import { documentLanguage, languageSources } from "./sources.ts";
import { measureText } from "./text.ts";

/** One language's figures. */
export interface LanguageStats {
  lang: string;
  unit: "words" | "characters";
  documents: number;
  validDocuments: number;
  words: number;
  /** Words, or characters for ja/zh: the cap's unit. */
  units: number;
  bytes: number;
  /** Units per source ("libreoffice-help", "manpages", "fortunes", "quran"). */
  sources: Record<string, number>;
  /** Tokens (end-of-text ids not included), when a tokenizer was given. */
  tokens?: number;
  /** tokens / words (tokens / characters for ja and zh), when a tokenizer was given. */
  tokensPerUnit?: number;
}

/** The figures of every language in `languages` (in that order), from `docs`. */
export function languageStats(
  docs: Iterable<Document>,
  languages: readonly string[],
  split: { validFraction: number; seed: number },
  tokenizer?: { encode(text: string): ArrayLike<number> },
): LanguageStats[] {
  const rows = new Map(languages.map((lang) => [lang, {
    lang,
    unit: languageSources(lang).unit,
    documents: 0,
    validDocuments: 0,
    words: 0,
    units: 0,
    bytes: 0,
    sources: {},
    ...(tokenizer ? { tokens: 0 } : {}),
  } as LanguageStats]));
  const utf8 = new TextEncoder();
  for (const doc of docs) {
    const row = rows.get(documentLanguage(doc));
    if (!row) continue;
    const units = measureText(doc.text, row.unit);
    row.documents++;
    if (splitOf(splitKey(doc), split.validFraction, split.seed) === "valid") row.validDocuments++;
    row.words += countWords(doc.text);
    row.units += units;
    row.bytes += utf8.encode(doc.text).length;
    const origin = doc.source.slice(doc.source.indexOf("/") + 1);
    row.sources[origin] = (row.sources[origin] ?? 0) + units;
    if (tokenizer) row.tokens! += tokenizer.encode(doc.text).length;
  }
  for (const row of rows.values()) {
    if (row.tokens !== undefined) {
      row.tokensPerUnit = row.units ? row.tokens / row.units : 0;
    }
  }
  return [...rows.values()];
}
