/**
 * Encoder fine-tuning on any TaskSpec (the GLUE tasks or a custom one), as the paper's GLUE protocol
 * describes it (Godey et al. 2023, section 4 and appendix E.1), with the slips of the released script
 * fixed:
 * - input `[CLS] a [SEP] b [SEP]` (or `[CLS] a [SEP]`), cut longest-first to the model's context;
 *   padding is masked out of attention;
 * - dropout while training (`dropout`, BERT's 0.1; default 0) in the encoder (embeddings, each residual
 *   branch) and on the head's input, as BertForSequenceClassification; none when scoring;
 * - a linear head on the final hidden state of the first token ([CLS]), initialised N(0, 0.02):
 *   softmax over the classes with plain or balanced cross-entropy (evals/balanced_ce.ts, one
 *   log-softmax), or one output with mean squared error for a regression task;
 * - the training step of train/optimizer_step.ts: AdamW (biases and LayerNorm gains not decayed),
 *   gradients clipped to norm 1 (the Hugging Face Trainer's default), learning rate linear warmup over
 *   the first 10% of the steps then constant; a non-finite loss, gradient norm or weight stops it;
 * - a set number of epochs, the whole dev set(s) scored after each with the spec's metrics; both the
 *   best epoch (by one selection metric, as the paper reports) and the last epoch are returned.
 *
 * The training set may be capped (`maxTrain`) to a seeded subset; dev sets are always whole. Batches
 * are built by length (shuffled pools of 50 batches, sorted by length inside a pool), and each batch runs
 * through the model in groups of equal or near-equal length (evals/length_groups.ts) under one gradient,
 * so padding is almost never computed; dev sets are scored in such groups too.
 * The encoder's MLM head, if the model has one, is not used and not trained.
 */
import * as tf from "@tensorflow/tfjs";
import type { Example, TaskSpec } from "../data/task_spec.ts";
import { SPECIAL_IDS } from "../models/masking.ts";
import { embed, linear } from "../models/ops.ts";
import { stepFlops } from "../models/flops.ts";
import { applyDropout, type Dropout, INIT_STD, type Model, noDecay } from "../models/transformer.ts";
import { accumulateGradients } from "../train/grad_accum.ts";
import { ADAMW_DEFAULTS, type AdamWConstants, OptimizerStep } from "../train/optimizer_step.ts";
import { scheduleFor } from "../train/schedule.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { CLASSIFICATION_LOSSES, type ClassificationLossName } from "./balanced_ce.ts";
import { groupByLength } from "./length_groups.ts";
import { type MetricName, METRICS } from "./metrics.ts";

/** Turns text into token ids, adding no special tokens (tokenizer/BpeTokenizer is one). */
export interface TextTokenizer {
  encode(text: string): number[];
}

/** A fine-tuning protocol's defaults (the paper's two GLUE protocols, by loss name). */
export interface GlueProtocol {
  lr: number;
  weightDecay: number;
  batch: number;
  epochs: number;
}

/**
 * The paper's protocols: balanced CE with lr 1e-5 and no weight decay (its table of hyper-parameters;
 * the text says 0.01), and plain CE with lr 5e-6 and weight decay 0.01 (table 13); batch 32, 10 epochs.
 */
export const GLUE_PROTOCOLS: Readonly<Record<ClassificationLossName, GlueProtocol>> = {
  balanced: { lr: 1e-5, weightDecay: 0, batch: 32, epochs: 10 },
  plain: { lr: 5e-6, weightDecay: 0.01, batch: 32, epochs: 10 },
};

/** Options of {@link finetuneTask}. */
export interface FinetuneOptions {
  /** Classification loss (ignored for regression tasks, which use MSE). */
  loss: ClassificationLossName;
  lr: number;
  /** Training examples per step. */
  batch: number;
  epochs: number;
  /** Seeds the head, the training subset and the batch order. */
  seed: number;
  /** Share of the steps spent in linear warmup (default 0.1). */
  warmupFrac?: number;
  /** Dropout rate while training (default 0: none); its masks are drawn from the run seed. */
  dropout?: number;
  /** AdamW decoupled weight decay (default 0). */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Global gradient-norm limit (default 1; 0 disables). */
  clip?: number;
  /** Train on a seeded subset of at most this many examples (default: all). */
  maxTrain?: number;
  /** Longest input in tokens (default and maximum: the model's context). */
  maxLen?: number;
  /** Score key that picks the best epoch (default: the spec's first metric, pooled over several dev sets). */
  selectBy?: string;
  /** Examples per evaluation forward pass (default 64). */
  evalBatch?: number;
  /** Called after each epoch's evaluation. */
  onEpoch?: (epoch: EpochResult) => void;
}

/** The examples of one task: a training set and one or more named dev sets. */
export interface TaskData {
  train: Example[];
  /** Dev sets by name (one for most tasks; MNLI has matched and mismatched). */
  dev: Record<string, Example[]>;
}

/** One epoch: mean training loss and the dev scores after it. */
export interface EpochResult {
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  /** Optimizer steps taken so far. */
  steps: number;
  /** Wall-clock seconds since fine-tuning began. */
  seconds: number;
  /**
   * Dev scores: `metric` with one dev set; `metric_NAME` per dev set and `metric_pooled` over all of
   * them with several (the keys evals/glue_score.ts uses).
   */
  scores: Record<string, number>;
}

/** What {@link finetuneTask} returns. */
export interface FinetuneResult {
  task: string;
  seed: number;
  loss: ClassificationLossName | "mse";
  /** The score key the best epoch was chosen by. */
  selectBy: string;
  epochs: EpochResult[];
  /** The epoch with the highest `selectBy` score (the earliest on ties; NaN counts as lowest). */
  best: EpochResult;
  last: EpochResult;
  /** Training examples used, and how many the training set held. */
  trainExamples: number;
  trainAvailable: number;
  /** Examples of each dev set (always all of them). */
  devExamples: Record<string, number>;
  steps: number;
  /** Analytic FLOPs of the training steps (encoder body forward + backward; the linear head is ignored). */
  flops: number;
  seconds: number;
  /** Per dev set: the gold labels, and the predictions (class ids or scores) of the best and of the last epoch. */
  predictions: DevPredictions;
}

/** Per-example outputs of a fine-tuning run on its dev sets, by dev set name. */
export interface DevPredictions {
  labels: Record<string, number[]>;
  best: Record<string, Float64Array>;
  last: Record<string, Float64Array>;
}

/** A padded batch of encoded examples. `padMask`: 1 = real token, 0 = [PAD]. */
export interface EncodedBatch {
  tokens: Int32Array;
  padMask: Uint8Array;
  batch: number;
  seqLen: number;
  /** Index of each row's example in the list the batch was cut from. */
  indices: number[];
}

/** The classifier head's parameters. */
export interface Head {
  w: tf.Variable;
  b: tf.Variable;
}

/** The optimizer settings of a fine-tuning: the peak rate, the others optional (defaults per caller). */
export type FinetuneOptimizerSettings = Pick<
  FinetuneOptions,
  "lr" | "warmupFrac" | "weightDecay" | "beta1" | "beta2" | "eps" | "clip"
>;

/**
 * The AdamW step of a fine-tuning over `totalSteps`: linear warmup to a constant rate, no weight decay on
 * biases and norms (noDecay), the gradient norm clipped at 1 unless `clip` says otherwise; settings left
 * out take `defaults`.
 */
export function finetuneOptimizer(
  params: Map<string, tf.Variable>,
  totalSteps: number,
  settings: FinetuneOptimizerSettings,
  defaults: AdamWConstants & { warmupFrac: number; weightDecay: number },
  label: string,
): OptimizerStep {
  const schedule = scheduleFor({
    peak: settings.lr,
    totalSteps,
    warmupFrac: settings.warmupFrac ?? defaults.warmupFrac,
    kind: "constant",
    floorFrac: 1,
  });
  return untracked(() =>
    new OptimizerStep(params, {
      beta1: settings.beta1 ?? defaults.beta1,
      beta2: settings.beta2 ?? defaults.beta2,
      eps: settings.eps ?? defaults.eps,
      weightDecay: settings.weightDecay ?? defaults.weightDecay,
      noDecay,
      schedule,
      clip: settings.clip ?? 1,
      label,
    })
  );
}

/** Head parameter names in the optimizer (`.b` is excluded from weight decay by `noDecay`). */
const HEAD_W = "classifier.w";
const HEAD_B = "classifier.b";

/** How many batches make one length-sorted pool. */
const POOL_BATCHES = 50;

/** Independent random streams derived from the run seed. */
const STREAM = { head: 0x68656164, subset: 0x73756273, order: 0x6f726472, dropout: 0x64726f70 } as const;

function streamRng(seed: number, stream: number): Rng {
  return new Rng(Math.imul(seed >>> 0, 0x9e3779b1) ^ stream);
}

/**
 * `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`, cut to at most `maxLen` tokens by dropping the last
 * token of the longer text until it fits, of b on a tie (Hugging Face's `longest_first`).
 */
export function encodeExample(
  tokenizer: TextTokenizer,
  textA: string,
  textB: string | undefined,
  maxLen: number,
): Int32Array {
  const specials = textB === undefined ? 2 : 3;
  if (!(Number.isInteger(maxLen) && maxLen >= specials)) {
    throw new InputError(
      `maxLen ${maxLen} leaves no room for the ${specials} special tokens; expected an integer >= ${specials}`,
    );
  }
  const a = tokenizer.encode(textA);
  const b = textB === undefined ? [] : tokenizer.encode(textB);
  let [na, nb] = [a.length, b.length];
  const excess = na + nb + specials - maxLen;
  for (let k = 0; k < excess; k++) {
    if (na > nb) na--;
    else nb--;
  }
  const { cls, sep } = SPECIAL_IDS;
  const ids = textB === undefined
    ? [cls, ...a.slice(0, na), sep]
    : [cls, ...a.slice(0, na), sep, ...b.slice(0, nb), sep];
  return Int32Array.from(ids);
}

/** Rows `indices` of `rows`, right-padded with [PAD] to the longest of them. */
export function padBatch(rows: Int32Array[], indices: number[]): EncodedBatch {
  if (indices.length === 0) throw new Error("padBatch: no rows");
  const seqLen = Math.max(...indices.map((i) => rows[i].length));
  const tokens = new Int32Array(indices.length * seqLen); // [PAD] = 0
  const padMask = new Uint8Array(indices.length * seqLen);
  indices.forEach((i, r) => {
    tokens.set(rows[i], r * seqLen);
    padMask.fill(1, r * seqLen, r * seqLen + rows[i].length);
  });
  return { tokens, padMask, batch: indices.length, seqLen, indices };
}

/**
 * Training batches of example indices for one epoch: the indices are shuffled, cut into pools of
 * `POOL_BATCHES` batches, each pool sorted by length and cut into batches, and the batches shuffled.
 * Every index appears exactly once.
 */
export function lengthBucketedBatches(lengths: number[], batch: number, rng: Rng): number[][] {
  const order = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const pool = batch * POOL_BATCHES;
  for (let start = 0; start < order.length; start += pool) {
    const sorted = order.slice(start, start + pool).sort((x, y) => lengths[x] - lengths[y] || x - y);
    for (let i = 0; i < sorted.length; i += batch) batches.push(sorted.slice(i, i + batch));
  }
  return rng.shuffle(batches);
}

/** A seeded subset of at most `max` examples, in their original order (all of them when fewer). */
export function subsample<T>(examples: T[], max: number | undefined, rng: Rng): T[] {
  if (max === undefined || examples.length <= max) return examples;
  const keep = rng.shuffle(examples.map((_, i) => i)).slice(0, max).sort((a, b) => a - b);
  return keep.map((i) => examples[i]);
}

/** Number of head outputs: the class count, or 1 for regression. */
function outputCount(spec: TaskSpec): number {
  return spec.labels.type === "classes" ? spec.labels.classes.length : 1;
}

/** Checks every label against the spec; a bad one is an InputError naming task, split and example. */
export function checkLabels(spec: TaskSpec, split: string, examples: Example[]): void {
  const labels = spec.labels;
  examples.forEach((ex, i) => {
    const ok = labels.type === "classes"
      ? Number.isInteger(ex.label) && ex.label >= 0 && ex.label < labels.classes.length
      : Number.isFinite(ex.label) && ex.label >= labels.range[0] && ex.label <= labels.range[1];
    if (!ok) {
      const expected = labels.type === "classes"
        ? `a class index in [0, ${labels.classes.length}) (classes ${labels.classes.join(", ")})`
        : `a score in [${labels.range[0]}, ${labels.range[1]}]`;
      throw new InputError(`task ${spec.name}, ${split} example ${i}: label ${ex.label} is not ${expected}`);
    }
    if (spec.textB !== undefined && ex.textB === undefined) {
      throw new InputError(`task ${spec.name}, ${split} example ${i}: no text B, but the task is a sentence-pair task`);
    }
  });
}

/** Encodes examples, checking every id fits the model's vocabulary (else the tokenizer is not the model's). */
function encodeAll(
  tokenizer: TextTokenizer,
  examples: Example[],
  maxLen: number,
  vocabSize: number,
  what: string,
): Int32Array[] {
  return examples.map((ex, i) => {
    const ids = encodeExample(tokenizer, ex.textA, ex.textB, maxLen);
    for (const id of ids) {
      if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
        throw new InputError(
          `${what} example ${i}: the tokenizer produced id ${id}, outside the model's vocabulary [0, ${vocabSize}); ` +
            `the tokenizer does not match the checkpoint`,
        );
      }
    }
    return ids;
  });
}

/** A new classifier head: d -> outputs, weights N(0, 0.02) from the seed's head stream, zero bias. */
export function createHead(d: number, outputs: number, seed: number): Head {
  const rng = streamRng(seed, STREAM.head);
  const w = Float32Array.from({ length: d * outputs }, () => rng.normal() * INIT_STD);
  return untracked(() => ({ w: tf.variable(tf.tensor2d(w, [d, outputs])), b: tf.variable(tf.zeros([outputs])) }));
}

/**
 * Runs `make` in a tf.tidy and returns what it built. A variable shares its initial tensor's data, so
 * the initial tensors (AdamW's zero moments too) must be disposed or they keep that data alive after
 * the variables are disposed; the tidy disposes them, and variables survive it.
 */
export function untracked<T>(make: () => T): T {
  let built: T;
  tf.tidy(() => {
    built = make();
  });
  return built!;
}

/** Head outputs [batch, outputs] from the final hidden state of each row's first token (dropout while training). */
function headOutputs(model: Model, head: Head, b: EncodedBatch, dropout?: Dropout): tf.Tensor2D {
  const h = model.hidden(b.tokens, b.batch, b.seqLen, b.padMask, dropout);
  const first = Int32Array.from({ length: b.batch }, (_, r) => r * b.seqLen);
  return linear(applyDropout(embed(first, h), dropout), head.w as tf.Tensor2D, head.b as tf.Tensor1D);
}

/** The final hidden state of each row's first token, [batch, d] (what the head reads). */
export function firstTokenStates(model: Model, b: EncodedBatch): tf.Tensor2D {
  return tf.tidy(() => {
    const h = model.hidden(b.tokens, b.batch, b.seqLen, b.padMask);
    return embed(Int32Array.from({ length: b.batch }, (_, r) => r * b.seqLen), h);
  });
}

/**
 * Head outputs for examples `indices` of `rows`, computed in length groups (little or no padding) and
 * concatenated in `order` (the indices regrouped); `tokens` real and `computed` padded token counts.
 */
export function headOutputsByLength(
  model: Model,
  head: Head,
  rows: Int32Array[],
  indices: number[],
  dropout?: Dropout,
) {
  const groups = groupByLength(indices.map((i) => rows[i].length)).map((g) => g.map((k) => indices[k]));
  const batches = groups.map((g) => padBatch(rows, g));
  const parts = batches.map((b) => headOutputs(model, head, b, dropout));
  const outputs = parts.length === 1 ? parts[0] : tf.concat(parts, 0) as tf.Tensor2D;
  return { outputs, order: groups.flat(), batches };
}

/** The parameters fine-tuning trains: the model's, but its MLM head (`head.*`, not part of this computation), and the classifier's. */
export function finetuneParams(model: Model, head: Head): Map<string, tf.Variable> {
  const params = new Map([...model.params].filter(([name]) => !name.startsWith("head.")));
  params.set(HEAD_W, head.w);
  params.set(HEAD_B, head.b);
  return params;
}

/** What one {@link trainOnBatch} step did. */
export interface BatchStep {
  loss: number;
  /** Analytic FLOPs of the groups computed (encoder body forward + backward). */
  flops: number;
  /** Real tokens of the batch, and the tokens computed with the groups' padding. */
  tokens: number;
  computed: number;
}

/**
 * One fine-tuning step on examples `indices` of `rows` with labels `labels` (indexed like rows): the
 * loss and gradients of the whole batch, run through the model in length groups, then `optimizer`'s
 * step over its parameters (see {@link finetuneParams}).
 */
export function trainOnBatch(
  model: Model,
  head: Head,
  optimizer: OptimizerStep,
  rows: Int32Array[],
  labels: number[],
  indices: number[],
  regression: boolean,
  loss: ClassificationLossName,
  dropout?: Dropout,
): BatchStep {
  let batches: EncodedBatch[] = [];
  const { loss: lossValue, grads } = accumulateGradients(optimizer.params, 1, () => {
    const grouped = headOutputsByLength(model, head, rows, indices, dropout);
    batches = grouped.batches;
    return batchLoss(grouped.outputs, grouped.order.map((i) => labels[i]), regression, loss);
  });
  optimizer.apply(grads, lossValue);
  let flops = 0;
  for (const b of batches) {
    flops += stepFlops(model.config, "cwt", { batch: b.batch, seqLen: b.seqLen, scored: 0 }).total;
  }
  return {
    loss: lossValue,
    flops,
    tokens: indices.reduce((s, i) => s + rows[i].length, 0),
    computed: batches.reduce((s, b) => s + b.batch * b.seqLen, 0),
  };
}

/** The training loss of a batch. */
function batchLoss(
  outputs: tf.Tensor2D,
  labels: number[],
  regression: boolean,
  loss: ClassificationLossName,
): tf.Scalar {
  if (regression) return tf.mean(tf.square(tf.sub(tf.reshape(outputs, [-1]), tf.tensor1d(labels)))) as tf.Scalar;
  return CLASSIFICATION_LOSSES[loss](outputs, labels);
}

/**
 * Predictions for every encoded row, in row order: class ids (argmax) or regression values. Rows run in
 * length groups of at most `batch` (evals/length_groups.ts), so padding is almost never computed.
 */
export function predict(
  model: Model,
  head: Head,
  rows: Int32Array[],
  batch: number,
  regression: boolean,
): Float64Array {
  const out = new Float64Array(rows.length);
  for (const indices of groupByLength(rows.map((r) => r.length), { maxRows: batch })) {
    const values = tf.tidy(() => {
      const y = headOutputs(model, head, padBatch(rows, indices));
      return regression ? tf.reshape(y, [-1]) : tf.argMax(y, 1);
    });
    const data = values.dataSync();
    values.dispose();
    indices.forEach((i, r) => (out[i] = data[r]));
  }
  return out;
}

/** The spec's metrics on one set of predictions. */
function metricScores(
  spec: TaskSpec,
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  suffix: string,
): Record<string, number> {
  const scores: Record<string, number> = {};
  for (const metric of spec.metrics) {
    const fn = METRICS[metric as MetricName];
    if (!fn) {
      throw new InputError(
        `task ${spec.name}: unknown metric ${JSON.stringify(metric)}; expected one of ${
          Object.keys(METRICS).join(", ")
        }`,
      );
    }
    scores[metric + suffix] = fn(predictions, labels);
  }
  return scores;
}

/**
 * The spec's scores of predictions on its dev sets, keyed as {@link EpochResult.scores}: `metric` with one
 * dev set; `metric_NAME` per dev set and `metric_pooled` over all of them with several.
 */
export function devScores(
  spec: TaskSpec,
  dev: Record<string, { predictions: ArrayLike<number>; labels: ArrayLike<number> }>,
): Record<string, number> {
  const sets = Object.entries(dev);
  if (sets.length === 1) return metricScores(spec, sets[0][1].predictions, sets[0][1].labels, "");
  const scores: Record<string, number> = {};
  for (const [name, d] of sets) Object.assign(scores, metricScores(spec, d.predictions, d.labels, `_${name}`));
  const pooled = (key: "predictions" | "labels") => sets.flatMap(([, d]) => Array.from(d[key]));
  Object.assign(scores, metricScores(spec, pooled("predictions"), pooled("labels"), "_pooled"));
  return scores;
}

/** The score key that picks the best epoch when none is given. */
export function defaultSelectBy(spec: TaskSpec, devNames: string[]): string {
  return devNames.length === 1 ? spec.metrics[0] : `${spec.metrics[0]}_pooled`;
}

/** Index of the epoch with the highest `key` score (the earliest on ties; NaN lowest). */
function bestEpochIndex(epochs: EpochResult[], key: string): number {
  const value = (e: EpochResult) => (Number.isNaN(e.scores[key]) ? -Infinity : e.scores[key]);
  return epochs.reduce((best, e, i) => (value(e) > value(epochs[best]) ? i : best), 0);
}

function checkOptions(spec: TaskSpec, model: Model, data: TaskData, o: FinetuneOptions): void {
  if (model.config.arch !== "encoder") {
    throw new InputError(
      `task ${spec.name}: fine-tuning needs an encoder, but model ${model.config.name} is a ${model.config.arch}`,
    );
  }
  const positiveInt = { batch: o.batch, epochs: o.epochs, evalBatch: o.evalBatch ?? 1 };
  for (const [k, v] of Object.entries(positiveInt)) {
    if (!(Number.isInteger(v) && v >= 1)) throw new InputError(`${k} must be a positive integer, got ${v}`);
  }
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) {
    throw new InputError(`dropout must be in [0, 1), got ${o.dropout}`);
  }
  if (o.maxTrain !== undefined && !(Number.isInteger(o.maxTrain) && o.maxTrain >= 1)) {
    throw new InputError(`the training cap must be a positive integer, got ${o.maxTrain}`);
  }
  if (!(o.loss in CLASSIFICATION_LOSSES)) {
    throw new InputError(
      `unknown loss ${JSON.stringify(o.loss)}; expected one of ${Object.keys(CLASSIFICATION_LOSSES).join(", ")}`,
    );
  }
  if (data.train.length === 0) {
    throw new InputError(`task ${spec.name}: the training set has no examples; expected at least one`);
  }
  const devNames = Object.keys(data.dev);
  if (devNames.length === 0) throw new InputError(`task ${spec.name}: no dev set; expected at least one`);
  for (const name of devNames) {
    if (data.dev[name].length === 0) {
      throw new InputError(`task ${spec.name}: dev set "${name}" has no examples; expected at least one`);
    }
  }
}

/**
 * Fine-tunes `model` (an encoder, changed in place: pass a fresh copy per run) with a new head on
 * `spec`, scoring the dev sets after every epoch. Errors on bad input (a label outside the spec, an
 * empty dev set, a decoder, ids outside the model's vocabulary) are InputErrors saying what differs.
 */
export function finetuneTask(
  model: Model,
  tokenizer: TextTokenizer,
  spec: TaskSpec,
  data: TaskData,
  options: FinetuneOptions,
): FinetuneResult {
  checkOptions(spec, model, data, options);
  const config = model.config;
  const maxLen = options.maxLen ?? config.context;
  if (maxLen > config.context) throw new InputError(`maxLen ${maxLen} exceeds the model's context ${config.context}`);
  const devNames = Object.keys(data.dev);
  checkLabels(spec, "train", data.train);
  for (const name of devNames) checkLabels(spec, `dev "${name}"`, data.dev[name]);
  const selectBy = options.selectBy ?? defaultSelectBy(spec, devNames);
  const regression = spec.labels.type === "regression";
  const loss = options.loss;

  const train = subsample(data.train, options.maxTrain, streamRng(options.seed, STREAM.subset));
  const trainRows = encodeAll(tokenizer, train, maxLen, config.vocabSize, `task ${spec.name} train`);
  const trainLabels = train.map((e) => e.label);
  const dev = devNames.map((name) => ({
    name,
    rows: encodeAll(tokenizer, data.dev[name], maxLen, config.vocabSize, `task ${spec.name} dev "${name}"`),
    labels: data.dev[name].map((e) => e.label),
  }));

  const head = createHead(config.dModel, outputCount(spec), options.seed);
  // The encoder's MLM head (`head.*`) is not part of this model's computation: leave it out.
  const params = finetuneParams(model, head);
  const stepsPerEpoch = Math.ceil(train.length / options.batch);
  const optimizer = finetuneOptimizer(
    params,
    stepsPerEpoch * options.epochs,
    options,
    { ...ADAMW_DEFAULTS, warmupFrac: 0.1, weightDecay: 0 },
    `fine-tuning task ${spec.name}, seed ${options.seed}`,
  );
  const orderRng = streamRng(options.seed, STREAM.order);
  const dropout = options.dropout ? { rate: options.dropout, rng: streamRng(options.seed, STREAM.dropout) } : undefined;
  const evalBatch = options.evalBatch ?? 64;
  const t0 = performance.now();
  const epochs: EpochResult[] = [];
  const epochPredictions: Float64Array[][] = [];
  let step = 0;
  let flops = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      let lossSum = 0;
      const batches = lengthBucketedBatches(trainRows.map((r) => r.length), options.batch, orderRng);
      for (const indices of batches) {
        const done = trainOnBatch(model, head, optimizer, trainRows, trainLabels, indices, regression, loss, dropout);
        lossSum += done.loss;
        step++;
        flops += done.flops;
      }
      const predictions = dev.map((d) => predict(model, head, d.rows, evalBatch, regression));
      epochPredictions.push(predictions);
      const scores = devScores(
        spec,
        Object.fromEntries(dev.map((d, k) => [d.name, { predictions: predictions[k], labels: d.labels }])),
      );
      const result: EpochResult = {
        epoch,
        trainLoss: lossSum / batches.length,
        steps: step,
        seconds: (performance.now() - t0) / 1000,
        scores,
      };
      epochs.push(result);
      options.onEpoch?.(result);
    }
  } finally {
    optimizer.dispose();
    head.w.dispose();
    head.b.dispose();
  }
  if (!(selectBy in epochs[0].scores)) {
    throw new InputError(
      `task ${spec.name}: no score "${selectBy}" to pick the best epoch by; scores are ${
        Object.keys(epochs[0].scores).join(", ")
      }`,
    );
  }
  const best = bestEpochIndex(epochs, selectBy);
  const byDev = (k: number) => Object.fromEntries(dev.map((d, i) => [d.name, epochPredictions[k][i]]));
  return {
    task: spec.name,
    seed: options.seed,
    loss: regression ? "mse" : loss,
    selectBy,
    epochs,
    best: epochs[best],
    last: epochs[epochs.length - 1],
    trainExamples: train.length,
    trainAvailable: data.train.length,
    devExamples: Object.fromEntries(devNames.map((n) => [n, data.dev[n].length])),
    steps: step,
    flops,
    seconds: (performance.now() - t0) / 1000,
    predictions: {
      labels: Object.fromEntries(dev.map((d) => [d.name, d.labels])),
      best: byDev(best),
      last: byDev(epochs.length - 1),
    },
  };
}

/** Which epoch's figure a result row reports. */
export type EpochPolicy = "best" | "last";

/** Mean and sample standard deviation (n − 1; 0 for one value) of numbers. */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n };
}

/** Per score key, the mean and std over seeds of the best- or last-epoch figure. */
export function summarizeSeeds(
  results: FinetuneResult[],
  policy: EpochPolicy,
): Record<string, { mean: number; std: number; n: number }> {
  if (results.length === 0) return {};
  const keys = Object.keys(results[0][policy].scores);
  return Object.fromEntries(keys.map((k) => [k, meanStd(results.map((r) => r[policy].scores[k]))]));
}
