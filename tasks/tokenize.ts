/**
 * `deno run -A tasks/tokenize.ts --vocab 16384 [--corpus PATH...] [--seed N] [--out DIR]
 * [--valid-fraction F] [--max-train-bytes N] [--tokenizer FILE] [--force]`: trains the byte-level BPE
 * tokenizer on the corpus's train split (or uses any Hugging Face tokenizer.json given with
 * --tokenizer, copied into the folder as it is) and writes the token shards of both splits. The default
 * output folder is runs/tokenize/<short hash of the settings and the corpus>; an existing one is left as it is.
 */
import { join } from "node:path";
import { defaultCorpus, type Document, readCorpus } from "../data/corpus.ts";
import { numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256 } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { corpusSha256, tokenizeCorpus, type TokenizeStats } from "../tokenizer/pipeline.ts";
import { readManifest, TOKENS_FORMAT } from "../tokenizer/shards.ts";
import { validateVocabSize } from "../tokenizer/specials.ts";
import { HfTokenizer } from "../tokenizer/hf_tokenizer.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";

const FLAGS = {
  vocab: { type: "string" as const, help: "vocabulary size, 4096 to 65536 (specials and bytes included)" },
  corpus: {
    type: "string" as const,
    multiple: true,
    help: "corpus .txt/.jsonl file or folder (repeatable; default: the embedded corpus)",
  },
  seed: { type: "string" as const, default: "0", help: "seed of the train/valid split and of the BPE sample" },
  out: { type: "string" as const, help: "output folder (default runs/tokenize/<hash of settings and corpus>)" },
  "valid-fraction": { type: "string" as const, default: "0.02", help: "share of documents held out for validation" },
  "max-train-bytes": {
    type: "string" as const,
    help: "train BPE on a seeded sample of at most this many bytes of train text",
  },
  tokenizer: {
    type: "string" as const,
    help:
      "encode with this tokenizer.json (any Hugging Face one) instead of training BPE; --vocab defaults to its size",
  },
  force: { type: "boolean" as const, help: "replace the output folder if it exists" },
};

async function main() {
  const { values, positionals } = parseFlags("tokenize", FLAGS);
  if (positionals.length) {
    throw new InputError(`unexpected argument ${JSON.stringify(positionals[0])} (corpus paths go after --corpus)`);
  }
  const given = values.tokenizer === undefined ? undefined : await loadAnyTokenizer(values.tokenizer as string);
  if (values.vocab === undefined && !given) throw new InputError("--vocab is required (e.g. --vocab 16384)");
  const vocabSize = given
    ? (values.vocab === undefined ? given.tokenizer.vocabSize : numberFlag("vocab", values.vocab))
    : validateVocabSize(numberFlag("vocab", values.vocab), "--vocab");
  // A lossy tokenizer (lowercasing, normalizing) cannot give back every document: no round-trip check.
  const roundTrip = !(given?.tokenizer instanceof HfTokenizer) || given.tokenizer.lossless;
  const seed = numberFlag("seed", values.seed);
  const validFraction = numberFlag("valid-fraction", values["valid-fraction"]);
  const maxTrainBytes = values["max-train-bytes"] === undefined
    ? Infinity
    : numberFlag("max-train-bytes", values["max-train-bytes"]);
  const paths = (values.corpus as string[] | undefined) ?? [];
  const docs = (): AsyncIterable<Document> => paths.length ? readCorpus(paths) : defaultCorpus();

  let outDir = values.out as string | undefined;
  if (outDir === undefined) {
    const corpus = await corpusSha256(docs());
    const settings = {
      format: TOKENS_FORMAT,
      vocabSize,
      seed,
      validFraction,
      maxTrainBytes: String(maxTrainBytes),
      corpus,
      ...(given ? { tokenizer: given.sha256 } : {}),
    };
    outDir = join(REPO_ROOT, "runs", "tokenize", sha256(JSON.stringify(settings)).slice(0, 12));
  }
  if (await exists(outDir)) {
    if (!values.force) {
      const m = await readManifest(outDir);
      console.log(
        `already tokenized: ${outDir} (train ${m.splits.train.tokens} tokens, valid ${m.splits.valid.tokens}); --force redoes it`,
      );
      return;
    }
    await Deno.remove(outDir, { recursive: true });
  }

  console.log(
    `tokenize: vocab ${vocabSize}, seed ${seed}, valid fraction ${validFraction}, corpus ${
      paths.length ? paths.join(" ") : "default"
    }${given ? `, tokenizer ${values.tokenizer} (sha256 ${given.sha256})` : ""}`,
  );
  if (!roundTrip) console.log("note: the tokenizer normalizes text, so decode(encode(doc)) is not checked");
  const stats = await tokenizeCorpus({
    docs: docs(),
    vocabSize,
    seed,
    validFraction,
    outDir,
    maxTrainBytes,
    tokenizer: given?.tokenizer,
    tokenizerJson: given?.bytes,
    roundTrip,
    corpusInfo: { paths: paths.length ? paths : "default" },
    onProgress: progressPrinter(),
  });
  clearProgressLine();
  report(stats);
  if (!given && stats.vocabSize < vocabSize) {
    console.log(`note: the corpus ran out of pairs seen twice at ${stats.vocabSize} ids (asked for ${vocabSize})`);
  }
  if (stats.roundTrip && stats.roundTrip.failures > 0) Deno.exit(1);
}

function report(s: TokenizeStats) {
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
      `BPE: ${n(s.merges)} merges (vocab ${n(s.vocabSize)}) learnt in ${s.bpe.seconds.toFixed(2)} s from ${
        n(s.bpe.documents)
      } documents, ` +
        `${n(s.bpe.preTokens)} pre-tokens (${n(s.bpe.distinctPreTokens)} distinct)`,
    );
  }
  console.log(
    `encode: ${n(s.splits.train.tokens + s.splits.valid.tokens)} tokens in ${s.encode.seconds.toFixed(2)} s = ` +
      `${n(Math.round(s.encode.tokensPerSecond))} tokens/s (${
        n(Math.round(s.encode.tokensPerCpuSecond))
      } per CPU second)`,
  );
  if (s.roundTrip) {
    const r = s.roundTrip;
    console.log(
      `round trip decode(encode(doc)) === doc: ${n(r.documents - r.failures)}/${
        n(r.documents)
      } documents, ${r.failures} failures` +
        (r.failedIds.length ? ` (${r.failedIds.join(", ")})` : "") + ` [${r.seconds.toFixed(2)} s]`,
    );
  }
  console.log(`wrote ${s.outDir} in ${s.seconds.toFixed(1)} s`);
}

/** Progress on one rewritten line on a terminal, or a line every 5 s otherwise. */
function progressPrinter(): (message: string) => void {
  const tty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  let last = 0;
  return (message) => {
    const now = performance.now();
    if (now - last < (tty ? 200 : 5000)) return;
    last = now;
    if (tty) Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${message}`));
    else console.error(message);
  };
}

function clearProgressLine() {
  if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
}

if (import.meta.main) await runMain(main);
