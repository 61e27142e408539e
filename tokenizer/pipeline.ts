/**
 * Corpus -> tokenizer + token shards. Documents are split train/valid by id (data/corpus.ts splitOf),
 * spooled once to a temporary file, BPE is trained on the train split only (a seeded sample of its
 * documents when it is larger than `maxTrainBytes`), both splits are encoded into shards, and every
 * document's round trip decode(encode(text)) === text is checked. It writes into `outDir`, which must be
 * empty or absent: the artifact store (artifacts/) gives it a partial folder and renames it into place when
 * the stage is done, so a crash never leaves a half folder that looks finished.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import process from "node:process";
import { countWords, type Document, hashDocument, splitKey, splitOf } from "../data/corpus.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256 } from "../util/fs.ts";
import { Rng } from "../util/rng.ts";
import { BpeTokenizer } from "./bpe.ts";
import { toHfJson } from "./hf_json.ts";
import { documentSeparator } from "./special_roles.ts";
import type { Tokenizer } from "./tokenizer.ts";
import { PreTokenCounter } from "./pretokenize.ts";
import { dtypeFor, ShardWriter, type SplitInfo, type TokenManifest, TOKENS_FORMAT, writeManifest } from "./shards.ts";
import { MAX_VOCAB_SIZE, validateVocabSize } from "./specials.ts";
import { trainBpe } from "./train.ts";

/** What tokenizeCorpus needs. */
export interface TokenizeCorpusOptions {
  docs: AsyncIterable<Document> | Iterable<Document>;
  /** Target vocabulary size, 4096 to 65536 (specials and bytes included). */
  vocabSize: number;
  /** Seeds the train/valid split and the BPE training sample (default 0). */
  seed?: number;
  /** Share of documents held out for validation, in [0, 1) (default 0.02). */
  validFraction?: number;
  /** The folder to write into: empty or absent. */
  outDir: string;
  /** Train BPE on a seeded sample of train documents of at most this many UTF-8 bytes (default: all). */
  maxTrainBytes?: number;
  /**
   * Encode with this tokenizer instead of training one (e.g. one trained with language sampling,
   * tokenizer/sampled_bpe.ts, or any Hugging Face tokenizer.json); its vocabulary may not
   * exceed `vocabSize`. Documents end with its end-of-text token (or [SEP], special_roles.ts).
   */
  tokenizer?: Tokenizer;
  /** The given tokenizer's tokenizer.json bytes, copied as they are (default: BpeTokenizer's toHfJson). */
  tokenizerJson?: Uint8Array;
  /** Tokens per shard file at most (default 16 Mi). */
  maxShardTokens?: number;
  /** Check decode(encode(doc)) === doc for every document (default true). */
  roundTrip?: boolean;
  /** Extra facts about the corpus for the manifest's `corpus` field (paths, source names). */
  corpusInfo?: Record<string, unknown>;
  /** Progress lines during the long steps. */
  onProgress?: (message: string) => void;
}

/** Documents, words, UTF-8 bytes and tokens (end-of-text ids included) of one split. */
export interface SplitStats {
  documents: number;
  words: number;
  bytes: number;
  tokens: number;
}

/** What tokenizeCorpus did and measured. */
export interface TokenizeStats {
  outDir: string;
  vocabSize: number;
  merges: number;
  seed: number;
  validFraction: number;
  corpusSha256: string;
  splits: { train: SplitStats; valid: SplitStats };
  /** BPE training; null when the tokenizer was given. */
  bpe: { documents: number; bytes: number; preTokens: number; distinctPreTokens: number; seconds: number } | null;
  encode: { seconds: number; cpuSeconds: number; tokensPerSecond: number; tokensPerCpuSecond: number };
  roundTrip: { documents: number; failures: number; failedIds: string[]; seconds: number } | null;
  seconds: number;
}

const SPOOL_FILE = "documents.tmp.jsonl";

/** Tokenizes a corpus into `outDir` (tokenizer.json, manifest.json, shards); returns the stats. */
export async function tokenizeCorpus(options: TokenizeCorpusOptions): Promise<TokenizeStats> {
  // A given tokenizer may be smaller than the benchmark trains; the shards still need ids that fit.
  const vocabSize = options.tokenizer && options.vocabSize >= 1 && options.vocabSize <= MAX_VOCAB_SIZE
    ? options.vocabSize
    : validateVocabSize(options.vocabSize);
  const { seed = 0, validFraction = 0.02, outDir, maxTrainBytes = Infinity, roundTrip = true } = options;
  const progress = options.onProgress ?? (() => {});
  if (!Number.isInteger(seed)) throw new InputError(`seed must be an integer, got ${seed}`);
  if (!(validFraction >= 0 && validFraction < 1)) {
    throw new InputError(`validation fraction must be in [0, 1), got ${validFraction}`);
  }
  if (!(maxTrainBytes > 0)) {
    throw new InputError(`the BPE training cap must be a positive number of bytes, got ${maxTrainBytes}`);
  }
  if (await exists(outDir)) {
    for await (const e of Deno.readDir(outDir)) {
      if (!e.name.startsWith(".")) throw new InputError(`the output folder is not empty (holds ${e.name})`, outDir);
    }
  }
  if (options.tokenizer && options.tokenizer.vocabSize > vocabSize) {
    throw new InputError(
      `the given tokenizer has ${options.tokenizer.vocabSize} ids, more than the ${vocabSize} asked for`,
    );
  }
  if (options.tokenizer && !(options.tokenizer instanceof BpeTokenizer) && !options.tokenizerJson) {
    throw new Error("tokenizeCorpus: a tokenizer other than a BpeTokenizer comes with its tokenizerJson");
  }

  const started = performance.now();
  await Deno.mkdir(outDir, { recursive: true });
  // 1. Spool the documents with their split; count, hash.
  const spool = join(outDir, SPOOL_FILE);
  const corpus = await spoolDocuments(
    options.docs,
    spool,
    (doc) => splitOf(splitKey(doc), validFraction, seed),
    progress,
  );
  const { splits } = corpus;
  if (splits.train.documents === 0) {
    throw new InputError(`no training documents (${corpus.documents} documents in all)`);
  }

  // 2. Count pre-tokens of the train split (a seeded sample when over the cap) and train BPE, unless given.
  const trained = options.tokenizer
    ? null
    : await trainOnSpool(spool, corpus.trainBytes, vocabSize, maxTrainBytes, seed, progress);
  const tokenizer: Tokenizer = options.tokenizer ?? new BpeTokenizer(trained!.spec);
  const tokenizerJson = options.tokenizerJson ?? new TextEncoder().encode(toHfJson(tokenizer as BpeTokenizer));
  await Deno.writeFile(join(outDir, "tokenizer.json"), tokenizerJson);
  const eot = documentSeparator(tokenizer).id; // EOT_ID for the tokenizers trained here

  // 3. Encode both splits into shards, timing encode alone; check round trips.
  const writers = {
    train: new ShardWriter(outDir, "train", {
      dtype: dtypeFor(vocabSize),
      vocabSize,
      eot,
      maxShardTokens: options.maxShardTokens,
    }),
    valid: new ShardWriter(outDir, "valid", {
      dtype: dtypeFor(vocabSize),
      vocabSize,
      eot,
      maxShardTokens: options.maxShardTokens,
    }),
  };
  let encodeSeconds = 0, encodeCpu = 0, roundTripSeconds = 0, encoded = 0, tokens = 0;
  const failedIds: string[] = [];
  let failures = 0;
  const ids: number[] = [];
  for await (const doc of readSpool(spool)) {
    ids.length = 0;
    const wall = performance.now(), cpu = cpuSeconds();
    tokenizer.encodeInto(doc.text, ids);
    encodeSeconds += (performance.now() - wall) / 1000;
    encodeCpu += cpuSeconds() - cpu;
    await writers[doc.split].addDocument(ids);
    tokens += ids.length;
    if (roundTrip) {
      const t = performance.now();
      if (tokenizer.decode(ids) !== doc.text) {
        failures++;
        if (failedIds.length < 10) failedIds.push(doc.id);
      }
      roundTripSeconds += (performance.now() - t) / 1000;
    }
    if (++encoded % 100 === 0) progress(`encode: ${encoded}/${corpus.documents} documents, ${tokens} tokens`);
  }
  const info: Record<"train" | "valid", SplitInfo> = {
    train: await writers.train.finish(),
    valid: await writers.valid.finish(),
  };
  await Deno.remove(spool);

  const manifest: TokenManifest = {
    format: TOKENS_FORMAT,
    tokenizer: { file: "tokenizer.json", sha256: sha256(tokenizerJson) },
    vocabSize: tokenizer.vocabSize,
    dtype: dtypeFor(tokenizer.vocabSize),
    eot,
    seed,
    splits: info,
    corpus: {
      ...options.corpusInfo,
      sha256: corpus.sha256,
      documents: corpus.documents,
      words: splits.train.words + splits.valid.words,
      bytes: splits.train.bytes + splits.valid.bytes,
      validFraction,
      sources: corpus.sources,
      splits,
      bpeSample: trained &&
        {
          documents: trained.stats.documents,
          bytes: trained.stats.bytes,
          maxTrainBytes: Number.isFinite(maxTrainBytes) ? maxTrainBytes : null,
        },
    },
  };
  await writeManifest(outDir, manifest);

  const encodedTokens = info.train.tokens + info.valid.tokens;
  return {
    outDir,
    vocabSize: tokenizer.vocabSize,
    merges: tokenizer instanceof BpeTokenizer ? tokenizer.merges.length : 0,
    seed,
    validFraction,
    corpusSha256: corpus.sha256,
    splits: {
      train: { ...splits.train, tokens: info.train.tokens },
      valid: { ...splits.valid, tokens: info.valid.tokens },
    },
    bpe: trained && trained.stats,
    encode: {
      seconds: encodeSeconds,
      cpuSeconds: encodeCpu,
      tokensPerSecond: encodedTokens / encodeSeconds,
      tokensPerCpuSecond: encodedTokens / encodeCpu,
    },
    roundTrip: roundTrip ? { documents: encoded, failures, failedIds, seconds: roundTripSeconds } : null,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Trains BPE on the spooled train documents (a seeded sample of them when over `maxTrainBytes`). */
async function trainOnSpool(
  spool: string,
  trainBytes: number[],
  vocabSize: number,
  maxTrainBytes: number,
  seed: number,
  progress: (message: string) => void,
) {
  const sample = chooseSample(trainBytes, maxTrainBytes, seed);
  const counter = new PreTokenCounter();
  let sampleBytes = 0, trainIndex = 0, done = 0;
  for await (const doc of readSpool(spool)) {
    if (doc.split !== "train") continue;
    if (sample === null || sample.has(trainIndex)) {
      counter.add(doc.text);
      sampleBytes += trainBytes[trainIndex];
      if (++done % 200 === 0) progress(`count: ${done} documents, ${counter.size} distinct pre-tokens`);
    }
    trainIndex++;
  }
  const bpeStart = performance.now();
  const spec = trainBpe(counter.entries(), {
    vocabSize,
    onProgress: (merges, target) => progress(`bpe: ${merges}/${target} merges`),
  });
  const bpeSeconds = (performance.now() - bpeStart) / 1000;
  return {
    spec,
    stats: {
      documents: done,
      bytes: sampleBytes,
      preTokens: counter.total,
      distinctPreTokens: counter.size,
      seconds: bpeSeconds,
    },
  };
}

interface SpooledDocument {
  id: string;
  split: "train" | "valid";
  text: string;
}

interface SpoolSummary {
  documents: number;
  sha256: string;
  splits: Record<"train" | "valid", { documents: number; words: number; bytes: number }>;
  sources: Record<string, { documents: number; words: number }>;
  /** UTF-8 bytes of each train document, in order. */
  trainBytes: number[];
}

/** Writes documents as JSON lines with their split; hashes (id, text) and counts per split and source. */
async function spoolDocuments(
  docs: AsyncIterable<Document> | Iterable<Document>,
  path: string,
  splitOfDoc: (doc: Document) => "train" | "valid",
  progress: (message: string) => void,
): Promise<SpoolSummary> {
  const hash = createHash("sha256");
  const summary: SpoolSummary = {
    documents: 0,
    sha256: "",
    splits: { train: { documents: 0, words: 0, bytes: 0 }, valid: { documents: 0, words: 0, bytes: 0 } },
    sources: {},
    trainBytes: [],
  };
  const utf8 = new TextEncoder();
  using file = await Deno.open(path, { write: true, createNew: true });
  let batch: string[] = [], batchChars = 0;
  const flush = async () => {
    const bytes = utf8.encode(batch.join(""));
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
    batch = [];
    batchChars = 0;
  };
  for await (const doc of docs) {
    const split = splitOfDoc(doc);
    const words = countWords(doc.text);
    const bytes = utf8Length(doc.text);
    hashDocument(hash, doc);
    const side = summary.splits[split];
    side.documents++;
    side.words += words;
    side.bytes += bytes;
    const source = summary.sources[doc.source] ??= { documents: 0, words: 0 };
    source.documents++;
    source.words += words;
    if (split === "train") summary.trainBytes.push(bytes);
    const line = JSON.stringify({ id: doc.id, split, text: doc.text } satisfies SpooledDocument) + "\n";
    batch.push(line);
    batchChars += line.length;
    if (batchChars > 1 << 20) await flush();
    if (++summary.documents % 200 === 0) progress(`read: ${summary.documents} documents`);
  }
  await flush();
  summary.sha256 = hash.digest("hex");
  return summary;
}

/** Reads the spool back, one document per line. */
async function* readSpool(path: string): AsyncGenerator<SpooledDocument> {
  using file = await Deno.open(path);
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of file.readable) {
    const lines = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    for (const line of lines) yield JSON.parse(line);
  }
  if (rest + decoder.decode()) throw new Error(`${path}: spool ends without a newline`);
}

/**
 * Which train documents (by index) BPE learns from: all (null) when they fit the cap, else a seeded
 * shuffle walked in order, keeping each document that still fits (the first one always).
 */
function chooseSample(bytes: number[], cap: number, seed: number): Set<number> | null {
  if (bytes.reduce((a, b) => a + b, 0) <= cap) return null;
  const order = new Rng(seed).shuffle(bytes.map((_, i) => i));
  const chosen = new Set<number>();
  let total = 0;
  for (const i of order) {
    if (chosen.size > 0 && total + bytes[i] > cap) continue;
    chosen.add(i);
    total += bytes[i];
  }
  return chosen;
}

/** UTF-8 length of a string (a lone surrogate counts as U+FFFD's 3 bytes, as TextEncoder writes it). */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
