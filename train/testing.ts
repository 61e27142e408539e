/**
 * Test doubles for the training loop: a toy model kit with the real kit's shape (named variables,
 * a loss per objective, a FLOP count, batch makers) that trains in milliseconds, and a writer of
 * token folders in the format tokenizer/shards.ts produces, for fixtures.
 */
import { MASKING } from "../models/masking.ts";
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { ShardWriter, type TokenDtype, type TokenManifest, writeManifest } from "../tokenizer/shards.ts";
import { EOT_ID, FIRST_BYTE_ID, MASK_ID } from "../tokenizer/specials.ts";
import { sha256 } from "../util/fs.ts";
import { Rng } from "../util/rng.ts";
import type { Arch, LmBatch, ModelKit, Objective } from "./model_kit.ts";

/** Config of the toy model. */
export interface ToyConfig {
  name: "toy";
  arch: Arch;
  vocabSize: number;
  context: number;
  dModel: number;
}

/** The toy model: h = tanh(E[x] + P[pos]) W, then a softmax head or CWT against E. */
export interface ToyModel {
  params: Map<string, tf.Variable>;
}

/** Ids below this are special tokens. */
const NUM_SPECIAL = FIRST_BYTE_ID;

/** A toy config. */
export function toyConfig(arch: Arch, vocabSize = 40, context = 8, dModel = 8): ToyConfig {
  return { name: "toy", arch, vocabSize, context, dModel };
}

function createToyModel(config: ToyConfig, seed: number): ToyModel {
  const rng = new Rng(seed);
  const { vocabSize: V, context: T, dModel: d } = config;
  const init = (shape: number[], scale: number) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Float32Array.from({ length: size }, () => rng.normal() * scale), shape);
  };
  const params = new Map<string, tf.Variable>([
    ["embedding", tf.variable(init([V, d], 0.5))],
    ["position", tf.variable(init([T, d], 0.1))],
    ["mix.w", tf.variable(init([d, d], 1 / Math.sqrt(d)))],
    ["mix.b", tf.variable(tf.zeros([d]))],
    ["head.w", tf.variable(init([d, V], 1 / Math.sqrt(d)))],
    ["head.b", tf.variable(tf.zeros([V]))],
  ]);
  return { params };
}

// Gathers are written as one-hot products: tf.gather has no gradient on the wasm backend.
function toyLoss(model: ToyModel, objective: Objective, b: LmBatch): tf.Scalar {
  return tf.tidy(() => {
    const p = (n: string) => model.params.get(n)!;
    const [V, T, N, S] = [p("embedding").shape[0], p("position").shape[0], b.batch * b.seqLen, b.positions.length];
    const posIds = Int32Array.from({ length: N }, (_, i) => i % b.seqLen);
    const x = tf.oneHot(tf.tensor1d(b.tokens, "int32"), V).toFloat().matMul(p("embedding"))
      .add(tf.oneHot(tf.tensor1d(posIds, "int32"), T).toFloat().matMul(p("position"))).tanh();
    const h = x.matMul(p("mix.w")).add(p("mix.b"));
    const scored = tf.oneHot(tf.tensor1d(b.positions, "int32"), N).toFloat().matMul(h);
    if (objective === "softmax") {
      const logits = scored.matMul(p("head.w")).add(p("head.b"));
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(b.targets, "int32"), V), logits) as tf.Scalar;
    }
    const targets = tf.oneHot(tf.tensor1d(b.targets, "int32"), V).toFloat().matMul(p("embedding"));
    const scores = scored.matMul(targets.transpose());
    return tf.losses.softmaxCrossEntropy(tf.eye(S), scores) as tf.Scalar;
  });
}

/** Multiply-adds ×2 of the toy forward pass, ×3 for forward + backward. */
function toyStepFlops(config: ToyConfig, objective: Objective, s: { batch: number; seqLen: number; scored: number }) {
  const { vocabSize: V, context: T, dModel: d } = config;
  const N = s.batch * s.seqLen;
  const head = objective === "softmax" ? 2 * s.scored * d * V : 2 * s.scored * V * d + 2 * s.scored * s.scored * d;
  const forward = 2 * N * V * d + 2 * N * T * d + 2 * N * d * d + 2 * s.scored * N * d + head;
  return { forward, total: 3 * forward };
}

/** Decoder batch: inputs w[0..T), targets w[1..T], every position scored. */
export function toyDecoderBatch(windows: Int32Array[]): LmBatch {
  const T = windows[0].length - 1;
  const tokens = new Int32Array(windows.length * T);
  const targets = new Int32Array(windows.length * T);
  windows.forEach((w, r) => {
    tokens.set(w.subarray(0, T), r * T);
    targets.set(w.subarray(1), r * T);
  });
  return { tokens, batch: windows.length, seqLen: T, positions: Int32Array.from(targets, (_, i) => i), targets };
}

/** Encoder batch: each non-special token scored with probability 0.15 (BERT 80/10/10 replacement). */
export function toyEncoderBatch(rows: Int32Array[], rng: Rng, vocabSize: number): LmBatch {
  const T = rows[0].length;
  const tokens = new Int32Array(rows.length * T);
  const positions: number[] = [];
  const targets: number[] = [];
  rows.forEach((row, r) =>
    row.forEach((t, c) => {
      const i = r * T + c;
      tokens[i] = t;
      if (t < NUM_SPECIAL || rng.next() >= MASKING.select) return;
      positions.push(i);
      targets.push(t);
      const u = rng.next();
      if (u < 0.8) tokens[i] = MASK_ID;
      else if (u < 0.9) tokens[i] = NUM_SPECIAL + rng.int(vocabSize - NUM_SPECIAL);
    })
  );
  if (positions.length === 0) { // keep S non-empty so the loss is defined
    positions.push(1);
    targets.push(tokens[1]);
    tokens[1] = MASK_ID;
  }
  return {
    tokens,
    batch: rows.length,
    seqLen: T,
    positions: Int32Array.from(positions),
    targets: Int32Array.from(targets),
  };
}

/** The toy model kit. */
export const toyKit: ModelKit<ToyConfig, ToyModel> = {
  createModel: (config, seed) => createToyModel(config, seed),
  noDecay: (name) => name.endsWith(".b"),
  lmLoss: toyLoss,
  stepFlops: toyStepFlops,
  makeEncoderBatch: toyEncoderBatch,
  makeDecoderBatch: toyDecoderBatch,
};

/** Random documents of ids in [5, vocabSize), lengths in [minLen, maxLen]. */
export function randomDocuments(rng: Rng, count: number, vocabSize: number, minLen = 5, maxLen = 40): number[][] {
  return Array.from(
    { length: count },
    () =>
      Array.from(
        { length: minLen + rng.int(maxLen - minLen + 1) },
        () => NUM_SPECIAL + rng.int(vocabSize - NUM_SPECIAL),
      ),
  );
}

/**
 * Writes a token folder (manifest.json + shards, each document followed by eot) to `dir` with
 * tokenizer/shards.ts's writer, in shards of at most `shardTokens` tokens.
 */
export async function writeTokenFolder(
  dir: string,
  docs: { train: number[][]; valid: number[][] },
  opts: { vocabSize: number; dtype?: TokenDtype; shardTokens?: number },
): Promise<TokenManifest> {
  const dtype = opts.dtype ?? "uint16";
  await Deno.mkdir(dir, { recursive: true });
  const tokenizerText = JSON.stringify({ toy: true });
  await Deno.writeTextFile(join(dir, "tokenizer.json"), tokenizerText);
  const splits = {} as TokenManifest["splits"];
  for (const split of ["train", "valid"] as const) {
    const writer = new ShardWriter(dir, split, {
      dtype,
      vocabSize: opts.vocabSize,
      eot: EOT_ID,
      maxShardTokens: opts.shardTokens ?? 500,
    });
    for (const d of docs[split]) await writer.addDocument(d);
    splits[split] = await writer.finish();
  }
  const manifest: TokenManifest = {
    format: "headless-bench-tokens/1",
    tokenizer: { file: "tokenizer.json", sha256: sha256(tokenizerText) },
    vocabSize: opts.vocabSize,
    dtype,
    eot: EOT_ID,
    seed: 0,
    splits,
    corpus: { source: "train/testing.ts random documents" },
  };
  await writeManifest(dir, manifest);
  return manifest;
}
