/**
 * The documents of a pretraining corpus as a stage names it: a built-in corpus by name
 * (data/corpus_by_name.ts: "default", "english"), or with the name "files" the user's own files; evenly
 * sliced to a number of documents.
 */
import { readCorpus } from "./corpus_files.ts";
import type { Document } from "./corpus.ts";
import { corpusByName, type CorpusDescription } from "./corpus_by_name.ts";

/** The name that stands for the user's own files (the tokenize stage's inputs). */
export const FILES_CORPUS = "files";

/** Picks `max` documents spread evenly over the corpus (all of them when max is null). */
export function sliceDocuments(docs: readonly Document[], max: number | null): Document[] {
  if (max === null || max >= docs.length) return [...docs];
  return Array.from({ length: max }, (_, i) => docs[Math.floor((i * docs.length) / max)]);
}

/** A corpus's slice, and the description of the whole corpus for a built-in one (null for files). */
export interface CorpusSliceDocuments {
  documents: Document[];
  description: CorpusDescription | null;
}

/**
 * The documents of built-in corpus `name` (fetching its packages into `cacheDir` or the user cache when
 * missing), or with name "files" of the user's `paths`; evenly sliced to `maxDocuments`.
 */
export async function corpusDocuments(
  name: string,
  paths: readonly string[],
  maxDocuments: number | null,
  cacheDir: string,
  log?: (line: string) => void,
): Promise<CorpusSliceDocuments> {
  if (name === FILES_CORPUS) {
    const all: Document[] = [];
    for await (const d of readCorpus([...paths])) all.push(d);
    return { documents: sliceDocuments(all, maxDocuments), description: null };
  }
  const { documents, description } = await corpusByName(name, { cacheDir, log });
  return { documents: sliceDocuments(documents, maxDocuments), description };
}
