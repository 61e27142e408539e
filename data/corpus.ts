/**
 * The pretraining corpus: documents, their deterministic train/valid split and per-source counts.
 * The embedded default corpus lives in corpus_default.ts, user corpora (.txt, folders, .jsonl) in
 * corpus_files.ts; both are re-exported here so callers import one module.
 */
import { createHash } from "node:crypto";
import { sha256 } from "../util/fs.ts";
import { InputError } from "../util/errors.ts";

export { brownToText, DEFAULT_SOURCES, defaultCorpus, packageDir } from "./corpus_default.ts";
export { CORPUS_EXTENSIONS, readCorpus } from "./corpus_files.ts";

/** One document of a pretraining corpus. `id` is stable across runs (source + file/index). */
export interface Document {
  id: string;
  source: string;
  text: string;
  /**
   * Documents of one group fall on the same side of the train/valid split (e.g. one Bible book in every
   * translation and commentary, so no held-out text has a near copy in training); default: the id alone.
   */
  group?: string;
}

/** What decides a document's side of the split: its group, else its id. */
export function splitKey(doc: Pick<Document, "id" | "group">): string {
  return doc.group ?? doc.id;
}

/** Which side of the split a document falls on. */
export type Split = "train" | "valid";

/**
 * Deterministic split by document: the first 32 bits of sha256(`${seed}:${id}`), read as a fraction of
 * 2^32, fall below `validFraction` for "valid" documents. The same id and seed give the same side on every
 * run and machine, whatever the order the documents arrive in.
 */
export function splitOf(id: string, validFraction: number, seed = 0): Split {
  if (!(validFraction >= 0 && validFraction <= 1)) {
    throw new InputError(`validation fraction must be in [0, 1], got ${validFraction}`);
  }
  const u = parseInt(sha256(`${seed}:${id}`).slice(0, 8), 16) / 2 ** 32;
  return u < validFraction ? "valid" : "train";
}

/** Number of whitespace-separated words in `text`: runs of characters that `\s` does not match. */
export function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A char loop is ~3x faster than counting /\S+/g matches; printable ASCII takes the first branch.
    const space = c > 32 && c < 128 ? false : c <= 32 ? c === 32 || (c >= 9 && c <= 13) : isUnicodeSpace(c);
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      words++;
    }
  }
  return words;
}

/** The non-ASCII characters `\s` matches. */
function isUnicodeSpace(c: number): boolean {
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Documents and words. */
export interface Counts {
  documents: number;
  words: number;
}

/** Counts of one source on one side of the split. */
export interface StatsRow extends Counts {
  source: string;
  split: Split;
}

/** Per-source-and-split rows (sorted by source, then train before valid), and the totals. */
export interface CorpusStats {
  rows: StatsRow[];
  train: Counts;
  valid: Counts;
  total: Counts;
}

/** Counts documents and whitespace-separated words per source and split (see splitOf). */
export async function corpusStats(
  docs: AsyncIterable<Document> | Iterable<Document>,
  validFraction: number,
  seed = 0,
): Promise<CorpusStats> {
  const bySourceSplit = new Map<string, StatsRow>();
  const sides: Record<Split | "total", Counts> = {
    train: { documents: 0, words: 0 },
    valid: { documents: 0, words: 0 },
    total: { documents: 0, words: 0 },
  };
  for await (const doc of docs) {
    const split = splitOf(splitKey(doc), validFraction, seed);
    const key = `${doc.source}\u0000${split}`;
    let row = bySourceSplit.get(key);
    if (!row) bySourceSplit.set(key, row = { source: doc.source, split, documents: 0, words: 0 });
    const words = countWords(doc.text);
    for (const counts of [row, sides[split], sides.total]) {
      counts.documents++;
      counts.words += words;
    }
  }
  const rows = [...bySourceSplit.values()].sort((a, b) =>
    a.source < b.source ? -1 : a.source > b.source ? 1 : a.split < b.split ? -1 : a.split > b.split ? 1 : 0
  );
  return { rows, ...sides };
}

/** sha256 over every document's id and text, in order: the corpus part of an output folder's name. */
export async function corpusSha256(docs: AsyncIterable<Document> | Iterable<Document>): Promise<string> {
  const hash = createHash("sha256");
  for await (const doc of docs) hashDocument(hash, doc);
  return hash.digest("hex");
}

export function hashDocument(hash: ReturnType<typeof createHash>, doc: Document): void {
  hash.update(doc.id).update("\0").update(doc.text).update("\0");
}
