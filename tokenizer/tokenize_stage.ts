/**
 * The tokenize stage: a corpus -> tokenizer.json (byte-level BPE trained on the train split) and the token
 * shards of both splits, in the stage's folder. The spec names the corpus and carries its sha256, so the
 * artifact's key changes with the text; the user's corpus files are the stage's inputs.
 */
import { corpusDocuments } from "../data/corpora.ts";
import type { Stage } from "../artifacts/stage.ts";
import { InputError } from "../util/errors.ts";
import { HfTokenizer } from "./hf_tokenizer.ts";
import { loadAnyTokenizer } from "./load_any.ts";
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
  /** Encode with a given tokenizer.json (the input `tokenizer`, any Hugging Face one) instead of training BPE. */
  givenTokenizer: { sha256: string } | null;
}

/**
 * The stage. Inputs: `corpus:<n>`, the corpus files or folders in order, when `corpus.name` is "files";
 * `tokenizer`, the tokenizer.json to use, when `givenTokenizer` is set.
 */
export const stage: Stage<TokenizeSpec> = {
  kind: "tokenize",
  module: import.meta.url,
  async run(spec, io): Promise<Omit<TokenizeStats, "outDir">> {
    const { documents: docs } = await corpusDocuments(
      spec.corpus.name,
      Object.entries(io.inputs).filter(([n]) => n.startsWith("corpus:")).map(([, p]) => p),
      spec.corpus.maxDocuments,
      io.cacheDir,
      io.progress.say,
    );
    io.progress.say(`tokenize: ${docs.length} documents of corpus ${spec.corpus.name}, vocab ${spec.vocabSize}`);
    const given = spec.givenTokenizer ? await loadAnyTokenizer(io.inputs.tokenizer) : null;
    if (given && given.sha256 !== spec.givenTokenizer!.sha256) {
      throw new InputError(
        `the tokenizer changed since the run was planned (sha256 ${given.sha256})`,
        io.inputs.tokenizer,
      );
    }
    // A tokenizer that normalizes text (lowercasing, say) cannot give every document back: no round-trip check.
    const roundTrip = !(given?.tokenizer instanceof HfTokenizer) || given.tokenizer.lossless;
    if (!roundTrip) io.progress.say("note: the tokenizer normalizes text, so decode(encode(doc)) is not checked");
    const { outDir: _, ...stats } = await tokenizeCorpus({
      tokenizer: given?.tokenizer,
      tokenizerJson: given?.bytes,
      roundTrip,
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
