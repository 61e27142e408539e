/**
 * `deno task tokenize --vocab 16384 [--corpus PATH...] [--corpus-name NAME] [--max-documents N] [--seed N]
 * [--valid-fraction F] [--max-train-bytes N] [--out DIR] [--force]`: trains the byte-level BPE tokenizer on
 * the corpus's train split and writes the token shards of both splits (tokenizer/tokenize_stage.ts). The
 * default output folder is runs/tokenize/<corpus>-<key>; a finished one with the same settings is left as it is.
 */
import { resolveCacheDir } from "../data/cache.ts";
import { corpusDocuments, FILES_CORPUS } from "../data/corpora.ts";
import { buildFromCli } from "../artifacts/cli.ts";
import { type TokenizeStats } from "../tokenizer/pipeline.ts";
import { corpusSha256 } from "../data/corpus.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";
import { validateVocabSize } from "../tokenizer/specials.ts";
import { stage, type TokenizeSpec } from "../tokenizer/tokenize_stage.ts";
import { type FlagSpec, integerFlag, numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { sharedFlags } from "../util/flags.ts";

const FLAGS = {
  ...sharedFlags({
    vocab: { defaultHelp: "the size of --tokenizer; required without it" },
    tokenizer: { defaultHelp: "none: train a byte-level BPE" },
    "cache-dir": true,
    seed: { default: "0" },
    "valid-fraction": { default: "0.02" },
    out: { defaultHelp: "runs/tokenize/<corpus>-<key>" },
    force: true,
  }),
  corpus: {
    type: "string",
    multiple: true,
    help: "corpus .txt/.jsonl file or folder",
    defaultHelp: "the built-in corpus --corpus-name",
  },
  "corpus-name": {
    type: "string",
    default: "default",
    help: "built-in corpus (data/corpora.ts) when no --corpus is given",
  },
  "max-documents": { type: "string", help: "take this many documents, spread evenly over the corpus (default all)" },
  "max-train-bytes": { type: "string", help: "train BPE on a seeded sample of at most this many bytes of train text" },
} satisfies FlagSpec;

async function main() {
  const { values: v } = parseFlags("tokenize", FLAGS);
  const given = v.tokenizer === undefined ? null : await loadAnyTokenizer(v.tokenizer as string);
  if (v.vocab === undefined && !given) throw new InputError("--vocab is required (e.g. --vocab 16384)");
  const paths = (v.corpus as string[] | undefined) ?? [];
  const name = paths.length ? FILES_CORPUS : v["corpus-name"] as string;
  const maxDocuments = v["max-documents"] === undefined ? null : integerFlag("max-documents", v["max-documents"], 2);
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const { documents: docs } = await corpusDocuments(name, paths, maxDocuments, cacheDir, console.log);
  const spec: TokenizeSpec = {
    corpus: { name, maxDocuments, sha256: await corpusSha256(docs), documents: docs.length },
    vocabSize: given
      ? (v.vocab === undefined ? given.tokenizer.vocabSize : integerFlag("vocab", v.vocab, given.tokenizer.vocabSize))
      : validateVocabSize(numberFlag("vocab", v.vocab), "--vocab"),
    seed: integerFlag("seed", v.seed),
    validFraction: numberFlag("valid-fraction", v["valid-fraction"]),
    maxTrainBytes: v["max-train-bytes"] === undefined ? null : integerFlag("max-train-bytes", v["max-train-bytes"], 1),
    givenTokenizer: given ? { sha256: given.sha256 } : null,
  };
  const inputs: Record<string, { dir: string }> = Object.fromEntries(paths.map((p, i) => [`corpus:${i}`, { dir: p }]));
  if (given) inputs.tokenizer = { dir: v.tokenizer as string };
  const { record } = await buildFromCli(stage, spec, inputs, {
    out: v.out as string | undefined,
    label: name,
    force: v.force === true,
  });
  report(record.details as TokenizeStats);
}

/** The split sizes, BPE, encoding and round-trip figures of a tokenize artifact's record. */
function report(s: Omit<TokenizeStats, "outDir">) {
  const n = (x: number) => x.toLocaleString("en-US");
  for (const split of ["train", "valid"] as const) {
    const t = s.splits[split];
    console.log(
      `${split.padEnd(5)}: ${n(t.documents)} documents, ${n(t.words)} words, ${n(t.bytes)} bytes -> ${
        n(t.tokens)
      } tokens`,
    );
  }
  if (s.bpe) {
    console.log(
      `BPE: ${n(s.merges)} merges (vocab ${n(s.vocabSize)}) learnt in ${s.bpe.seconds.toFixed(2)} s from ` +
        `${n(s.bpe.documents)} documents, ${n(s.bpe.preTokens)} pre-tokens (${n(s.bpe.distinctPreTokens)} distinct)`,
    );
  }
  const tokens = s.splits.train.tokens + s.splits.valid.tokens;
  console.log(
    `encode: ${n(tokens)} tokens in ${s.encode.seconds.toFixed(2)} s = ${
      n(Math.round(s.encode.tokensPerSecond))
    } tokens/s`,
  );
  if (s.roundTrip) {
    const r = s.roundTrip;
    console.log(
      `round trip decode(encode(doc)) === doc: ${n(r.documents - r.failures)}/${n(r.documents)} documents, ` +
        `${r.failures} failures` + (r.failedIds.length ? ` (${r.failedIds.join(", ")})` : ""),
    );
    if (r.failures > 0) Deno.exit(1);
  }
}

if (import.meta.main) await runMain(main);
