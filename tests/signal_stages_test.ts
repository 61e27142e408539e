/**
 * The BLiMP and bits-per-byte stages (evals/blimp_stage.ts, evals/bpb_stage.ts) on checkpoints written
 * the way pretraining writes them, with a real BPE tokenizer and a small fixture cache of BLiMP files:
 * result rows per paradigm, over all pairs, and after LM fine-tuning (`_lmft`, its seed and compute
 * added); the unigram reference rows (objective "unigram", fraction, FLOPs and tokens 0); examples.csv
 * lines from which each row's value is recomputed; a headless encoder scored by pseudo-log-likelihood
 * against Eᵀ; bits per byte over every valid document's bytes; clear errors for the wrong model.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { join, relative } from "node:path";
import { hashArtifactFiles, RECORD_FILE, RECORD_FORMAT } from "../artifacts/record.ts";
import { SILENT } from "../artifacts/stage.ts";
import { bitsPerByte, causalDocumentScorer, splitDocuments } from "../evals/bits_per_byte.ts";
import {
  causalSentenceScorer,
  pseudoSentenceScorer,
  scoreMinimalPairs,
  unigramSentenceScorer,
} from "../evals/blimp.ts";
import { type BlimpSpec, stage as blimpStage } from "../evals/blimp_stage.ts";
import { type BpbSpec, stage as bpbStage } from "../evals/bpb_stage.ts";
import { describeCheckpoint, loadCheckpointModel } from "../evals/checkpoint_check.ts";
import { loadScoringDecoder } from "../evals/eval_run.ts";
import { parseCsvTable } from "../results/csv.ts";
import { unigramLogProbs } from "../evals/unigram.ts";
import { writeLmFinetunedCheckpoint } from "../export/lm_checkpoint.ts";
import { initBackend } from "../backends/mod.ts";
import type { ModelConfig } from "../models/config.ts";
import { createModel, type Model } from "../models/transformer.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";
import { tokenizeCorpus } from "../tokenizer/pipeline.ts";
import { type StoredTensor, writeCheckpoint } from "../train/checkpoint.ts";
import { openTokenFolderSplit, readTokenManifest } from "../train/token_stream.ts";
import { InputError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const ROOT = await Deno.makeTempDir({ prefix: "signal-stages-test-" });
const WORDS = ("the a one some every cat cats dog dogs girl boy teacher teachers saw sees like likes ran run " +
  "walked who what that which house river city story book books is are was were will should could not and " +
  "after before while about through himself herself themselves").split(" ");
const rng = new Rng(11);
const DOCS = Array.from({ length: 50 }, (_, i) => ({
  id: `d${i}`,
  source: "test",
  text: Array.from({ length: 20 + rng.int(60) }, () => WORDS[rng.int(WORDS.length)]).join(" ") + ".",
}));
const TOKENS = join(ROOT, "tokens");
await tokenizeCorpus({ docs: DOCS, vocabSize: 4096, outDir: TOKENS, validFraction: 0.2, seed: 1 });
const TOKENIZER_FILE = join(TOKENS, "tokenizer.json");
const { tokenizer } = await loadAnyTokenizer(TOKENIZER_FILE);
const EOT = 4;
const scoringTokenizer = { encode: (s: string) => tokenizer.encode(s), eotId: EOT };

// A fixture cache: two paradigms of five pairs, in the mirror's layout and keys.
const CACHE = join(ROOT, "cache");
await Deno.mkdir(join(CACHE, "blimp"), { recursive: true });
const PAIRS = {
  adjunct_island: [
    ["Who should the girl like after seeing the dog?", "Who should the girl like the dog after seeing?"],
    ["What will the boy read while walking through the city?", "What will the boy read the city while walking?"],
    ["Who was the teacher talking about?", "Who was the teacher talking about the cat?"],
    ["What did the cats see?", "What did the cats see the dog?"],
    ["Who ran after the dog?", "Who ran the dog after?"],
  ],
  causative: [
    ["The girl had the dog walked.", "The girl had the dog walk walked."],
    ["The teachers got the books read.", "The teachers got read the books."],
    ["A boy had a story told.", "A boy had told a story."],
    ["The cats had the house seen.", "The cats seen had the house."],
    ["Every dog had the river crossed.", "Every dog crossed had the river."],
  ],
};
for (const [uid, pairs] of Object.entries(PAIRS)) {
  const lines = pairs.map(([good, bad], i) =>
    JSON.stringify({ sentence_good: good, sentence_bad: bad, UID: uid, pairID: `${i}` })
  );
  await Deno.writeTextFile(join(CACHE, "blimp", `${uid}.jsonl`), lines.join("\n") + "\n");
}
const GROUPS = Object.values(PAIRS).map((ps) => ps.map(([good, bad]) => ({ good, bad })));

function config(arch: "encoder" | "decoder"): ModelConfig {
  return {
    name: `t-${arch}`,
    arch,
    layers: 1,
    dModel: 16,
    heads: 2,
    dFF: 32,
    vocabSize: tokenizer.vocabSize,
    context: 64,
    tieHead: arch === "encoder",
  };
}

/** A model with weights far from their init scale, so scores differ clearly. */
function model(arch: "encoder" | "decoder", seed: number, head: boolean): Model {
  const m = createModel(config(arch), seed, { head });
  const r = new Rng(seed);
  for (const [name, p] of m.params) {
    const values = Float32Array.from({ length: p.size }, () => (name.endsWith(".g") ? 1 : 0) + 0.3 * r.normal());
    tf.tidy(() => p.assign(tf.tensor(values, p.shape)));
  }
  return m;
}

/** A pretraining run folder (artifact record naming the token folder, ckpt/frac-1) holding `m`. */
async function writeRun(name: string, m: Model, objective: "softmax" | "cwt"): Promise<string> {
  const runDir = join(ROOT, name);
  await Deno.mkdir(runDir, { recursive: true });
  const tensors = new Map<string, StoredTensor>();
  for (const [p, v] of m.params) tensors.set(`param/${p}`, { shape: v.shape, data: v.dataSync() as Float32Array });
  const { sha256: manifestSha256 } = await readTokenManifest(TOKENS);
  const ckpt = await writeCheckpoint(join(runDir, "ckpt"), "frac-1", {
    settingsHash: `settings-${name}`,
    counters: { step: 5, tokens: 1000, flops: 1e9, seconds: 1 },
    data: { cursor: { epoch: 0, index: 0 }, maskRngState: 0 },
    adamStep: 5,
    logWindow: { loss: 0, gradNorm: 0, steps: 0 },
    fraction: 1,
    settings: { model: m.config, objective, tokens: { manifestSha256 }, budgetFlops: 1e9, seed: 2, backend: "wasm" },
  }, tensors);
  await writeJsonAtomic(join(runDir, RECORD_FILE), {
    format: RECORD_FORMAT,
    kind: "pretrain",
    key: "0123456789abcdef",
    spec: {},
    inputs: { tokens: { key: "fedcba9876543210", path: relative(runDir, TOKENS) } },
    files: await hashArtifactFiles(runDir),
  });
  return ckpt;
}

const SOFTMAX_DECODER = await writeRun("dec-softmax", model("decoder", 1, true), "softmax");
const CWT_DECODER = await writeRun("dec-cwt", model("decoder", 2, false), "cwt");
const CWT_ENCODER = await writeRun("enc-cwt", model("encoder", 3, false), "cwt");

// The LAMBADA stage's saved LM fine-tune of the CWT decoder (here: the Eᵀ copy with its head changed).
const LMFT = await (async () => {
  const summary = await describeCheckpoint(CWT_DECODER);
  const { model: m } = await loadScoringDecoder(summary);
  const head = m.params.get("head.w")!;
  head.assign(tf.tidy(() => tf.add(head, tf.randomNormal(head.shape, 0, 0.5, "float32", 5))));
  const dir = await writeLmFinetunedCheckpoint(join(ROOT, "lambada", "lm-finetuned"), "seed-7", m, summary, {
    steps: 3,
    lr: 1e-4,
    seed: 7,
    batch: 2,
    seqLen: 16,
    tokens: 96,
    flops: 5e6,
    seconds: 0.5,
  });
  m.dispose();
  return dir;
})();

type Table = Record<string, string>[];

async function readTable(file: string): Promise<Table> {
  const { header, records } = parseCsvTable(await Deno.readTextFile(file), file);
  return records.map((r) => Object.fromEntries(header.map((h, i) => [h, r.fields[i]])));
}

async function runStage<S>(
  stage: { run(spec: S, io: Parameters<typeof blimpStage.run>[1]): Promise<unknown> },
  spec: S,
  inputs: Record<string, string>,
) {
  const out = await Deno.makeTempDir({ dir: ROOT });
  await stage.run(spec, { out, inputs, cacheDir: CACHE, progress: SILENT });
  return { results: await readTable(join(out, "results.csv")), examples: await readTable(join(out, "examples.csv")) };
}

const BLIMP: BlimpSpec = {
  scorer: "model",
  paradigms: ["adjunct_island", "causative"],
  limitPerParadigm: null,
  maxTokens: 64,
  data: {},
  backend: "wasm",
};

/** Every result row's value is the mean of its task's example predictions. */
function checkExamples(results: Table, examples: Table) {
  for (const r of results) {
    const lines = examples.filter((e) => e.task === r.task && e.seed === r.seed);
    assert(lines.length > 0, r.task);
    const mean = lines.reduce((a, e) => a + Number(e.prediction), 0) / lines.length;
    assertAlmostEquals(Number(r.value), mean, 1e-12, r.task);
    assert(lines.every((e) => e.label === "1" && e.loglik === "" && e.count === ""));
  }
}

Deno.test("BLiMP stage, headless decoder: E^T copy rows and LM-fine-tuned rows per paradigm and over all pairs", async () => {
  const { results: sorted, examples } = await runStage(blimpStage, BLIMP, {
    checkpoint: CWT_DECODER,
    tokenizer: TOKENIZER_FILE,
    "lmFinetuned:7": LMFT,
  });
  // results.csv is sorted by task: look the rows up in the order the checks below read them.
  const order = ["blimp", "blimp_adjunct_island", "blimp_causative"].flatMap((t) => [t, `${t}_lmft`]);
  const results = [0, 2, 4, 1, 3, 5].map((i) => sorted.find((r) => r.task === order[i])!);
  assertEquals(sorted.length, 6);
  assertEquals(results.map((r) => `${r.task} ${r.head} ${r.seed}`), [
    "blimp E^T copy 2",
    "blimp_adjunct_island E^T copy 2",
    "blimp_causative E^T copy 2",
    "blimp_lmft LM fine-tuned 7",
    "blimp_adjunct_island_lmft LM fine-tuned 7",
    "blimp_causative_lmft LM fine-tuned 7",
  ]);
  assert(
    results.every((r) => r.metric === "accuracy" && r.objective === "cwt" && r.arch === "decoder" && r.policy === ""),
  );
  assertEquals(results.map((r) => Number(r.flops)), [1e9, 1e9, 1e9, 1e9 + 5e6, 1e9 + 5e6, 1e9 + 5e6]);
  assertEquals(results.map((r) => r.examples), ["10", "5", "5", "10", "5", "5"]);
  assertEquals(results[3].finetune_steps, "3");

  // The values are those of the scorer run directly on the same models.
  const summary = await describeCheckpoint(CWT_DECODER);
  const { model: ownHead } = await loadScoringDecoder(summary);
  const direct = scoreMinimalPairs(causalSentenceScorer(ownHead, scoringTokenizer), GROUPS);
  ownHead.dispose();
  assertEquals(Number(results[1].value), direct[0].acc);
  assertEquals(Number(results[2].value), direct[1].acc);
  assertAlmostEquals(Number(results[0].value), (direct[0].acc + direct[1].acc) / 2, 1e-12);

  // examples.csv: every pair under its paradigm and under blimp, for both models.
  assertEquals(examples.length, 2 * 2 * 10);
  assertEquals(
    examples.filter((e) => e.task === "blimp" && e.seed === "2").map((e) => e.example),
    [0, 1, 2, 3, 4].map((i) => `adjunct_island/${i}`).concat([0, 1, 2, 3, 4].map((i) => `causative/${i}`)),
  );
  checkExamples(results, examples);
});

Deno.test("BLiMP stage, unigram reference: objective unigram, fraction, FLOPs and tokens 0", async () => {
  const { results, examples } = await runStage(blimpStage, { ...BLIMP, scorer: "unigram", backend: "" }, {
    tokens: TOKENS,
  });
  assertEquals(results.map((r) => r.task), ["blimp", "blimp_adjunct_island", "blimp_causative"]);
  for (const r of results) {
    assertEquals([r.objective, r.fraction, r.flops, r.tokens, r.arch, r.seed], [
      "unigram",
      "0",
      "0",
      "0",
      "decoder",
      "0",
    ]);
  }
  const train = await openTokenFolderSplit(TOKENS, "train");
  const direct = scoreMinimalPairs(
    unigramSentenceScorer(unigramLogProbs(train.read(0, train.length), tokenizer.vocabSize), scoringTokenizer),
    GROUPS,
  );
  assertEquals(results.slice(1).map((r) => Number(r.value)), direct.map((d) => d.acc));
  assertEquals(results.slice(1).map((r) => Number(r.ties)), direct.map((d) => d.ties));
  checkExamples(results, examples);
  // A reference's examples name its objective, so they link to its rows (results/examples.ts linkExamples).
  assert(examples.every((e) => e.objective === "unigram"));
});

Deno.test("BLiMP stage, headless encoder: pseudo-log-likelihood against Eᵀ", async () => {
  const { results, examples } = await runStage(blimpStage, { ...BLIMP, limitPerParadigm: 3 }, {
    checkpoint: CWT_ENCODER,
    tokenizer: TOKENIZER_FILE,
  });
  assertEquals(results.map((r) => `${r.task} ${r.head} ${r.arch} ${r.examples}`), [
    "blimp E^T encoder 6",
    "blimp_adjunct_island E^T encoder 3",
    "blimp_causative E^T encoder 3",
  ]);
  const summary = await describeCheckpoint(CWT_ENCODER);
  const encoder = await loadCheckpointModel(summary);
  assertEquals(encoder.hasHead(), false);
  const direct = scoreMinimalPairs(pseudoSentenceScorer(encoder, tokenizer), GROUPS.map((g) => g.slice(0, 3)));
  encoder.dispose();
  assertEquals(results.slice(1).map((r) => Number(r.value)), direct.map((d) => d.acc));
  checkExamples(results, examples);
});

const BPB: BpbSpec = { scorer: "model", limitDocuments: null, maxTokens: 256, backend: "wasm" };

Deno.test("bits-per-byte stage: every valid document, its bytes, the value recomputed from examples.csv", async () => {
  const { manifest } = await readTokenManifest(TOKENS);
  const validBytes = (manifest.corpus as { splits: { valid: { bytes: number } } }).splits.valid.bytes;
  const { results, examples } = await runStage(bpbStage, BPB, {
    checkpoint: SOFTMAX_DECODER,
    tokenizer: TOKENIZER_FILE,
  });
  assertEquals(results.length, 1);
  const [row] = results;
  assertEquals([row.task, row.metric, row.head, row.objective], ["bpb", "bits_per_byte", "own", "softmax"]);
  assertEquals(Number(row.examples), manifest.splits.valid.documents);
  assertEquals(Number(row.bytes), validBytes);
  assertEquals(examples.length, manifest.splits.valid.documents);
  assertEquals(examples.reduce((a, e) => a + Number(e.count), 0), validBytes);
  const loglik = examples.reduce((a, e) => a + Number(e.loglik), 0);
  assertAlmostEquals(Number(row.value), -loglik / (Math.LN2 * validBytes), 1e-9);
  // Scored directly: the same documents through the same model.
  const valid = await openTokenFolderSplit(TOKENS, "valid");
  const docs = splitDocuments(valid.read(0, valid.length), EOT);
  const summary = await describeCheckpoint(SOFTMAX_DECODER);
  const { model: m } = await loadScoringDecoder(summary);
  const ll = causalDocumentScorer(m, EOT).score(docs);
  m.dispose();
  assertAlmostEquals(Number(row.value), bitsPerByte(ll.reduce((a, v) => a + v, 0), validBytes), 1e-9);
  examples.forEach((e, i) => assertAlmostEquals(Number(e.loglik), ll[i], 1e-9));

  // The first documents only; and the unigram reference on the same split.
  const limited = await runStage(bpbStage, { ...BPB, limitDocuments: 2 }, {
    checkpoint: SOFTMAX_DECODER,
    tokenizer: TOKENIZER_FILE,
  });
  assertEquals(limited.examples.length, 2);
  const unigram = await runStage(bpbStage, { ...BPB, scorer: "unigram", backend: "" }, { tokens: TOKENS });
  assertEquals([unigram.results[0].objective, unigram.results[0].flops, unigram.results[0].task], [
    "unigram",
    "0",
    "bpb",
  ]);
  const train = await openTokenFolderSplit(TOKENS, "train");
  const lp = unigramLogProbs(train.read(0, train.length), tokenizer.vocabSize);
  const unigramLl = docs.reduce((a, d) => a + d.reduce((s, t) => s + lp[t], 0), 0);
  assertAlmostEquals(Number(unigram.results[0].value), bitsPerByte(unigramLl, validBytes), 1e-9);
});

Deno.test("bits-per-byte stage, headless decoder with its LM fine-tune: bpb and bpb_lmft", async () => {
  const { results } = await runStage(bpbStage, BPB, {
    checkpoint: CWT_DECODER,
    tokenizer: TOKENIZER_FILE,
    "lmFinetuned:7": LMFT,
  });
  assertEquals(results.map((r) => `${r.task} ${r.head} ${r.seed}`), ["bpb E^T copy 2", "bpb_lmft LM fine-tuned 7"]);
});

Deno.test("errors: bits per byte of an encoder; an LM fine-tune of another checkpoint", async () => {
  await assertRejects(
    () => runStage(bpbStage, BPB, { checkpoint: CWT_ENCODER, tokenizer: TOKENIZER_FILE }),
    InputError,
    "bits per byte needs a decoder, but the checkpoint is an encoder",
  );
  await assertRejects(
    () =>
      runStage(blimpStage, BLIMP, { checkpoint: SOFTMAX_DECODER, tokenizer: TOKENIZER_FILE, "lmFinetuned:7": LMFT }),
    InputError,
    "fine-tuned from another checkpoint",
  );
});

Deno.test("cleanup", async () => {
  await Deno.remove(ROOT, { recursive: true });
});
