/**
 * A pre-LayerNorm transformer (learned absolute positions, GELU MLP, final LayerNorm) as an encoder
 * (bidirectional attention with a key padding mask) or a decoder (causal attention), plus its softmax
 * head. Built only from the fast ops in ops.ts, so one model serves both objectives.
 *
 * Parameter names are stable (`blocks.0.attn.qkv.w`): every bias ends in `.b` and every LayerNorm gain
 * in `.g`, which is what `noDecay` reads. Softmax heads:
 * - encoder: BERT's MLM head, transform (dense d->d, GELU, LayerNorm) then logits = t Eᵀ + b, tied to
 *   the input embedding E, as in the paper's vanilla baseline (HF BertForMaskedLM);
 * - decoder: logits = h W with an untied W [d, V] (`head.w`) when `tieHead` is false (Pythia), else h Eᵀ.
 * The `nce-untied` ablation adds a target embedding `target.w` [V, d] that CWT scores against instead of E.
 *
 * Dropout (BERT's places: the embedding sum, and each residual branch before it is added) applies only
 * when `hidden` is given one, i.e. while fine-tuning; pretraining and scoring run without.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../util/rng.ts";
import type { ModelConfig } from "./config.ts";
import {
  addBias,
  attention,
  crossEntropy,
  embed,
  gelu,
  layerNorm,
  linear,
  matMulNT,
  scoreCrossEntropy,
} from "./ops.ts";
import { useFastPath } from "./accelerator.ts";

/** A transformer's parameters and forward pass. Create with `createModel`. */
export interface Model {
  readonly config: ModelConfig;
  /** Every trainable variable by stable name. The engine name of each is `<model id>/<stable name>`. */
  readonly params: Map<string, tf.Variable>;
  /** The input embedding E [V, d] (also `params.get("embed.tok.w")`). */
  readonly embedding: tf.Variable;
  /**
   * Final hidden states [batch·seqLen, d] (after the final LayerNorm) of `tokens` [batch·seqLen].
   * `padMask` (encoder only): 1 = real token, 0 = padding, never attended to.
   */
  hidden(tokens: Int32Array, batch: number, seqLen: number, padMask?: Uint8Array, dropout?: Dropout): tf.Tensor2D;
  /** Softmax-head logits [n, V] for hidden rows h [n, d]. Throws when the model has no head. */
  logits(h: tf.Tensor2D): tf.Tensor2D;
  /**
   * Mean cross-entropy of logits(h) against `targets`, through scoreCrossEntropy where the head is a
   * product with E (or W), so a backend that blocks it never holds all [n, V] logits at once. Optional:
   * without it the softmax objective takes crossEntropy(logits(h), targets).
   */
  headCrossEntropy?(h: tf.Tensor2D, targets: Int32Array): tf.Scalar;
  /** True when the softmax head's parameters exist (a tied decoder always has one: E itself). */
  hasHead(): boolean;
  /** The target embedding of the `nce-untied` objective [V, d]; throws when the model has none. */
  targetEmbedding(): tf.Variable;
  /** Frees every variable. */
  dispose(): void;
}

/** Options of `createModel`. */
export interface CreateModelOptions {
  /** Create the softmax head's own parameters (default true). Headless (CWT) runs may skip them. */
  head?: boolean;
  /** Create a separate target embedding `target.w` (default false; the `nce-untied` objective). */
  targetEmbedding?: boolean;
}

/** The parameter name of the separate target embedding. */
export const TARGET_EMBEDDING = "target.w";

/**
 * Dropout while training: each activation it applies to is zeroed with probability `rate` and the others
 * scaled by 1/(1 − rate), with masks drawn from `rng` (so a seeded run replays).
 */
export interface Dropout {
  rate: number;
  rng: Rng;
}

/** `x` with dropout applied (unchanged without one or at rate 0). */
export function applyDropout<T extends tf.Tensor>(x: T, d: Dropout | undefined): T {
  if (!d || d.rate === 0) return x;
  if (!(d.rate > 0 && d.rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${d.rate}`);
  const scale = 1 / (1 - d.rate);
  const mask = new Float32Array(x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = d.rng.next() < d.rate ? 0 : scale;
  return tf.mul(x, tf.tensor(mask, x.shape)) as T;
}

/** Standard deviation of weight and embedding init (BERT, GPT-2, Pythia's small-init scale). */
export const INIT_STD = 0.02;

/** Name -> shape and init, in creation order. */
interface ParamSpec {
  name: string;
  shape: number[];
  init: "normal" | "zeros" | "ones";
  std?: number;
}

/** True for parameters that AdamW should not decay: biases (`.b`) and LayerNorm gains (`.g`). */
export function noDecay(name: string): boolean {
  return name.endsWith(".b") || name.endsWith(".g");
}

/** The body's parameters: embeddings, blocks, final LayerNorm. */
function bodySpecs(c: ModelConfig): ParamSpec[] {
  const d = c.dModel;
  const residualStd = INIT_STD / Math.sqrt(2 * c.layers); // GPT-2: scale the projections into the residual
  const specs: ParamSpec[] = [
    { name: "embed.tok.w", shape: [c.vocabSize, d], init: "normal" },
    { name: "embed.pos.w", shape: [c.context, d], init: "normal" },
  ];
  for (let i = 0; i < c.layers; i++) {
    const p = `blocks.${i}`;
    specs.push(
      { name: `${p}.ln1.g`, shape: [d], init: "ones" },
      { name: `${p}.ln1.b`, shape: [d], init: "zeros" },
      { name: `${p}.attn.qkv.w`, shape: [d, 3 * d], init: "normal" },
      { name: `${p}.attn.qkv.b`, shape: [3 * d], init: "zeros" },
      { name: `${p}.attn.out.w`, shape: [d, d], init: "normal", std: residualStd },
      { name: `${p}.attn.out.b`, shape: [d], init: "zeros" },
      { name: `${p}.ln2.g`, shape: [d], init: "ones" },
      { name: `${p}.ln2.b`, shape: [d], init: "zeros" },
      { name: `${p}.mlp.fc.w`, shape: [d, c.dFF], init: "normal" },
      { name: `${p}.mlp.fc.b`, shape: [c.dFF], init: "zeros" },
      { name: `${p}.mlp.proj.w`, shape: [c.dFF, d], init: "normal", std: residualStd },
      { name: `${p}.mlp.proj.b`, shape: [d], init: "zeros" },
    );
  }
  specs.push({ name: "ln_f.g", shape: [d], init: "ones" }, { name: "ln_f.b", shape: [d], init: "zeros" });
  return specs;
}

/** The softmax head's own parameters (none for a tied decoder). */
function headSpecs(c: ModelConfig): ParamSpec[] {
  const d = c.dModel;
  if (c.arch === "encoder") {
    return [
      { name: "head.transform.w", shape: [d, d], init: "normal" },
      { name: "head.transform.b", shape: [d], init: "zeros" },
      { name: "head.ln.g", shape: [d], init: "ones" },
      { name: "head.ln.b", shape: [d], init: "zeros" },
      { name: "head.b", shape: [c.vocabSize], init: "zeros" },
    ];
  }
  return c.tieHead ? [] : [{ name: "head.w", shape: [d, c.vocabSize], init: "normal" }];
}

/** FNV-1a of a string, for per-parameter seeds. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Initial values of one parameter. Each draws from its own Rng seeded by (seed, name), so a model with
 * and without a head (or with more layers) shares the same values for the parameters it has in common.
 */
function initialValues(spec: ParamSpec, seed: number): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (spec.init === "ones") values.fill(1);
  if (spec.init !== "normal") return values;
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ hashString(spec.name)) >>> 0);
  const std = spec.std ?? INIT_STD;
  for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
  return values;
}

let nextModelId = 0;

class Transformer implements Model {
  readonly params = new Map<string, tf.Variable>();
  readonly id = `model${nextModelId++}`;

  constructor(readonly config: ModelConfig, readonly seed: number, options: CreateModelOptions) {
    const specs = modelSpecs(config, options);
    for (const spec of specs) this.setParam(spec.name, tf.tensor(initialValues(spec, seed), spec.shape));
  }

  get embedding(): tf.Variable {
    return this.param("embed.tok.w");
  }

  /** Replaces (or adds) parameter `name` with a new variable holding `value`; `value` is not kept. */
  setParam(name: string, value: tf.Tensor): tf.Variable {
    this.params.get(name)?.dispose();
    const v = tf.variable(value, true, `${this.id}/${name}`);
    value.dispose();
    this.params.set(name, v);
    return v;
  }

  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`model ${this.config.name} has no parameter ${name}`);
    return v;
  }

  hidden(tokens: Int32Array, batch: number, seqLen: number, padMask?: Uint8Array, dropout?: Dropout): tf.Tensor2D {
    const c = this.config;
    const n = batch * seqLen;
    checkInputs(c, tokens, batch, seqLen, padMask);
    const positions = new Int32Array(n);
    for (let i = 0; i < n; i++) positions[i] = i % seqLen;
    let x = applyDropout(
      tf.add(
        embed(tokens, this.param("embed.tok.w") as tf.Tensor2D),
        embed(positions, this.param("embed.pos.w") as tf.Tensor2D),
      ) as tf.Tensor2D,
      dropout,
    );
    const mask = { causal: c.arch === "decoder", padMask: c.arch === "encoder" ? padMask : undefined };
    for (let i = 0; i < c.layers; i++) {
      const p = (s: string) => this.param(`blocks.${i}.${s}`);
      const a = layerNorm(x, p("ln1.g") as tf.Tensor1D, p("ln1.b") as tf.Tensor1D);
      const qkv = linear(a, p("attn.qkv.w") as tf.Tensor2D, p("attn.qkv.b") as tf.Tensor1D);
      const att = attention(qkv, batch, seqLen, c.heads, mask);
      x = tf.add(x, applyDropout(linear(att, p("attn.out.w") as tf.Tensor2D, p("attn.out.b") as tf.Tensor1D), dropout));
      const m = layerNorm(x, p("ln2.g") as tf.Tensor1D, p("ln2.b") as tf.Tensor1D);
      const f = gelu(linear(m, p("mlp.fc.w") as tf.Tensor2D, p("mlp.fc.b") as tf.Tensor1D)) as tf.Tensor2D;
      x = tf.add(x, applyDropout(linear(f, p("mlp.proj.w") as tf.Tensor2D, p("mlp.proj.b") as tf.Tensor1D), dropout));
    }
    return layerNorm(x, this.param("ln_f.g") as tf.Tensor1D, this.param("ln_f.b") as tf.Tensor1D);
  }

  hasHead(): boolean {
    return headSpecs(this.config).every((s) => this.params.has(s.name));
  }

  targetEmbedding(): tf.Variable {
    const v = this.params.get(TARGET_EMBEDDING);
    if (!v) throw new Error(`model ${this.config.name} was created without a target embedding (${TARGET_EMBEDDING})`);
    return v;
  }

  logits(h: tf.Tensor2D): tf.Tensor2D {
    const head = this.head(h);
    if ("linear" in head) return linear(h, head.linear);
    const scores = matMulNT(head.rows, head.classes);
    return head.bias ? addBias(scores, head.bias) : scores;
  }

  headCrossEntropy(h: tf.Tensor2D, targets: Int32Array): tf.Scalar {
    const head = this.head(h);
    if (!("linear" in head)) return scoreCrossEntropy(head.rows, head.classes, targets, head.bias);
    // An untied head W [d, V] as scores against Wᵀ only where the scores are blocked (same values).
    if (useFastPath("fusedScores")) return scoreCrossEntropy(h, tf.transpose(head.linear), targets);
    return crossEntropy(linear(h, head.linear), targets);
  }

  /** The softmax head as scores rows·classesᵀ (+ bias), or an untied [d, V] matrix. */
  private head(
    h: tf.Tensor2D,
  ): { rows: tf.Tensor2D; classes: tf.Tensor2D; bias?: tf.Tensor1D } | { linear: tf.Tensor2D } {
    if (!this.hasHead()) {
      throw new Error(`model ${this.config.name} was created without a softmax head (see initHeadFromEmbedding)`);
    }
    const E = this.embedding as tf.Tensor2D;
    if (this.config.arch === "encoder") {
      const t = gelu(
        linear(h, this.param("head.transform.w") as tf.Tensor2D, this.param("head.transform.b") as tf.Tensor1D),
      );
      const u = layerNorm(
        t as tf.Tensor2D,
        this.param("head.ln.g") as tf.Tensor1D,
        this.param("head.ln.b") as tf.Tensor1D,
      );
      return { rows: u, classes: E, bias: this.param("head.b") as tf.Tensor1D };
    }
    return this.config.tieHead ? { rows: h, classes: E } : { linear: this.param("head.w") as tf.Tensor2D };
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** Checks shapes and ids before they reach kernels that would fail obscurely (or not at all). */
function checkInputs(c: ModelConfig, tokens: Int32Array, batch: number, seqLen: number, padMask?: Uint8Array) {
  if (!(batch > 0 && seqLen > 0 && tokens.length === batch * seqLen)) {
    throw new Error(`hidden: ${tokens.length} tokens do not make ${batch} rows of ${seqLen}`);
  }
  if (seqLen > c.context) throw new Error(`hidden: seqLen ${seqLen} exceeds ${c.name}'s context ${c.context}`);
  if (padMask && padMask.length !== tokens.length) {
    throw new Error(`hidden: padMask has ${padMask.length} entries, expected ${tokens.length}`);
  }
  for (let i = 0; i < tokens.length; i++) {
    if (!(tokens[i] >= 0 && tokens[i] < c.vocabSize)) {
      throw new Error(`hidden: token id ${tokens[i]} at ${i} is outside ${c.name}'s vocabulary [0, ${c.vocabSize})`);
    }
  }
}

/** The parameters a model of `config` with `options` has. */
function modelSpecs(config: ModelConfig, options: CreateModelOptions): ParamSpec[] {
  return [
    ...bodySpecs(config),
    ...((options.head ?? true) ? headSpecs(config) : []),
    ...(options.targetEmbedding
      ? [{ name: TARGET_EMBEDDING, shape: [config.vocabSize, config.dModel], init: "normal" as const }]
      : []),
  ];
}

/** Builds a model with deterministic initial weights from `seed`. */
export function createModel(config: ModelConfig, seed: number, options: CreateModelOptions = {}): Model {
  return new Transformer(config, seed, options);
}

/**
 * Gives a decoder a fresh untied LM head W = Eᵀ (a copy, trained separately from E from then on), as
 * the paper does before LM fine-tuning a headless decoder; a model with a target embedding (`nce-untied`)
 * gets a copy of that instead, the table its outputs were trained to score against. A tied decoder's
 * head already is E: no-op.
 */
export function initHeadFromEmbedding(model: Model): void {
  const c = model.config;
  if (c.arch !== "decoder") {
    throw new Error(`initHeadFromEmbedding: ${c.name} is an ${c.arch}; only decoders get an LM head`);
  }
  if (c.tieHead) return;
  const table = model.params.get(TARGET_EMBEDDING) ?? model.embedding;
  (model as Transformer).setParam("head.w", tf.tidy(() => tf.transpose(table)));
}

/** The shape of every parameter `createModel(config, seed, options)` makes, by name, without allocating. */
export function parameterShapes(config: ModelConfig, options: CreateModelOptions = {}): Map<string, number[]> {
  return new Map(modelSpecs(config, options).map((s) => [s.name, s.shape]));
}

/** Total number of scalar parameters. */
export function countParams(model: Model): number {
  let n = 0;
  for (const v of model.params.values()) n += v.size;
  return n;
}
