/**
 * The tokenize stage: a corpus -> tokenizer.json (byte-level BPE trained on the train split) and the token
 * shards of both splits, in the stage's folder. The spec names the corpus and carries its sha256, so the
 * artifact's key changes with the text; the user's corpus files are the stage's inputs.
 */
import { corpusDocuments } from "../data/corpora.ts";
import type { Stage } from "../artifacts/stage.ts";
import { InputError } from "../util/errors.ts";
import { tokenizeCorpus, type TokenizeStats } from "./pipeline.ts";

/** What the tokenize stage makes. */
export interface TokenizeSpec {
  /** A built-in corpus by name, or "files" (the inputs), sliced to maxDocuments, with the slice's sha256 and size. */
  corpus: { name: string; maxDocuments: number | null; sha256: string; documents: number };
  vocabSize: number;
  seed: number;
  validFraction: number;
  /** Train BPE on a seeded sample of at most this many bytes (null: all of the train split). */
  maxTrainBytes: number | null;
}

/** The stage. Inputs: the corpus files or folders, in order, when `corpus.name` is "files". */
export const stage: Stage<TokenizeSpec> = {
  kind: "tokenize",
  module: import.meta.url,
  async run(spec, io): Promise<Omit<TokenizeStats, "outDir">> {
    const { documents: docs } = await corpusDocuments(
      spec.corpus.name,
      Object.values(io.inputs),
      spec.corpus.maxDocuments,
      io.cacheDir,
      io.progress.say,
    );
    io.progress.say(`tokenize: ${docs.length} documents of corpus ${spec.corpus.name}, vocab ${spec.vocabSize}`);
    const { outDir: _, ...stats } = await tokenizeCorpus({
      docs,
      vocabSize: spec.vocabSize,
      seed: spec.seed,
      validFraction: spec.validFraction,
      maxTrainBytes: spec.maxTrainBytes ?? Infinity,
      outDir: io.out,
      corpusInfo: { name: spec.corpus.name, maxDocuments: spec.corpus.maxDocuments },
    });
    if (stats.corpusSha256 !== spec.corpus.sha256) {
      throw new InputError(
        `corpus ${spec.corpus.name} changed since the run was planned (sha256 ${stats.corpusSha256.slice(0, 12)}…, ` +
          `planned ${spec.corpus.sha256.slice(0, 12)}…); run the command again`,
      );
    }
    return stats;
  },
};
