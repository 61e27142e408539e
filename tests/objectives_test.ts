/**
 * The objectives: CWT on hand-computed examples, its identity with softmax cross-entropy when S
 * holds every vocabulary token once, the log n floor for duplicates, and model-level behaviour
 * (E gets gradient as a target, unused heads get none, padding and causality are respected); the dense
 * softmax head against the sparse one, the ce+cwt and nce-untied ablations, and dropout.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig } from "../models/config.ts";
import { matMulNT } from "../models/ops.ts";
import { applyDropout, createModel, initHeadFromEmbedding, noDecay, TARGET_EMBEDDING } from "../models/transformer.ts";
import { cwtLoss, lmLoss, lossAndGrads, parseObjective, softmaxLoss } from "../models/objectives.ts";
import { type LmBatch, makeDecoderBatch, makeEncoderBatch } from "../models/batches.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const value = (f: () => tf.Tensor) => tf.tidy(() => f().dataSync()[0]);

function randn(rng: Rng, rows: number, cols: number, scale = 1): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal() * scale), [rows, cols]);
}

Deno.test("CWT on 3 positions with d=2 equals the hand computation", () => {
  // Outputs o0=(1,0), o1=(0,1), o2=(1,1); targets e(a)=(1,0), e(b)=(0,1), e(c)=(1,1).
  // Scores O Tᵀ: row0 [1, 0, 1], row1 [0, 1, 1], row2 [1, 1, 2].
  // Row losses lse(row) - diagonal: log(2e + 1) - 1, log(2e + 1) - 1, log(2e + e²) - 2 = log(2 + e) - 1.
  // Mean: (2 log(2e + 1) + log(2 + e) - 3) / 3 = (2·1.861995 + 1.551444 - 3) / 3 = 0.758478.
  const expected = (2 * Math.log(2 * Math.E + 1) + Math.log(2 + Math.E) - 3) / 3;
  assertAlmostEquals(expected, 0.758478, 1e-6);
  const loss = value(() => cwtLoss(tf.tensor2d([[1, 0], [0, 1], [1, 1]]), tf.tensor2d([[1, 0], [0, 1], [1, 1]])));
  assertAlmostEquals(loss, expected, 1e-6);
  // Gradient w.r.t. the outputs, row 2: (Σ_j p_2j t_j - t_2)/3 with p_2 = (e, e, e²)/(2e + e²).
  const g = tf.tidy(() =>
    tf.grad((o) => cwtLoss(o as tf.Tensor2D, tf.tensor2d([[1, 0], [0, 1], [1, 1]])))(
      tf.tensor2d([[1, 0], [0, 1], [1, 1]]),
    ).arraySync()
  ) as number[][];
  const p = [Math.E, Math.E, Math.E ** 2].map((x) => x / (2 * Math.E + Math.E ** 2));
  assertAlmostEquals(g[2][0], (p[0] + p[2] - 1) / 3, 1e-6);
  assertAlmostEquals(g[2][1], (p[1] + p[2] - 1) / 3, 1e-6);
});

Deno.test("CWT equals full softmax cross-entropy when S holds each vocabulary token once and the head is Eᵀ", () => {
  const rng = new Rng(21);
  const [V, d] = [12, 5];
  const O = randn(rng, V, d);
  const E = randn(rng, V, d);
  const targets = Int32Array.from(rng.shuffle([...Array(V).keys()]));
  const cwt = (o: tf.Tensor2D, e: tf.Tensor2D) => cwtLoss(o, tf.gather(e, tf.tensor1d(targets, "int32")));
  const softmax = (o: tf.Tensor2D, e: tf.Tensor2D) => softmaxLoss(matMulNT(o, e), targets);
  const [a, b] = [value(() => cwt(O, E)), value(() => softmax(O, E))];
  assertAlmostEquals(a, b, 1e-5 * b);
  assert(b > 0.5, "a non-trivial loss");
  // The same function of (O, E), so the same gradient w.r.t. O too.
  const [ga, gb] = tf.tidy(() => [cwt, softmax].map((f) => tf.grad((o) => f(o as tf.Tensor2D, E))(O).dataSync()));
  ga.forEach((x, i) => assertAlmostEquals(x, gb[i], 1e-6));
});

Deno.test("CWT keeps duplicates: a token scored n times cannot go below log n", () => {
  const rng = new Rng(22);
  // Every target the same token: all columns of the score matrix are equal, so the loss is exactly log n.
  const e = randn(rng, 1, 4);
  const loss4 = value(() => cwtLoss(randn(rng, 4, 4, 3), tf.tile(e, [4, 1]) as tf.Tensor2D));
  assertAlmostEquals(loss4, Math.log(4), 1e-5);
  // Tokens a, a, b with orthogonal embeddings, each output pointing hard at its own target: the loss
  // approaches its floor (2 log 2 + log 1)/3 from above, and never crosses it.
  const T = tf.tensor2d([[1, 0], [1, 0], [0, 1]]);
  const floor = (2 * Math.log(2)) / 3;
  for (const scale of [1, 5, 50]) {
    const loss = value(() => cwtLoss(tf.mul(T, scale) as tf.Tensor2D, T));
    assert(loss >= floor - 1e-6, `scale ${scale}: ${loss} < ${floor}`);
    if (scale === 50) assertAlmostEquals(loss, floor, 1e-5);
  }
});

const tiny = (arch: "encoder" | "decoder", tieHead = false) => loadModelConfig("tiny", { arch, tieHead });

function decoderBatch(seed: number): LmBatch {
  const rng = new Rng(seed);
  return makeDecoderBatch(Array.from({ length: 2 }, () => Int32Array.from({ length: 9 }, () => 5 + rng.int(40))));
}

Deno.test("CWT gives the input embedding E gradient as a target, not only as an input", () => {
  const model = createModel(tiny("decoder"), 3);
  // Token 47 only appears as the last target of window 0, never as an input.
  const batch = decoderBatch(4);
  batch.targets[batch.seqLen - 1] = 47;
  assert(!batch.tokens.includes(47));
  const row47 = (objective: "softmax" | "cwt") => {
    const { grads } = lossAndGrads(model, objective, batch);
    const g = grads.get("embed.tok.w")!.slice([47, 0], [1, 16]).dataSync();
    for (const t of grads.values()) t.dispose();
    return Math.max(...g.map(Math.abs));
  };
  assert(row47("cwt") > 1e-4, "CWT: E[47] is a target, so it gets gradient");
  assertEquals(row47("softmax"), 0, "softmax with an untied head: E[47] is never used");
  model.dispose();
});

Deno.test("lossAndGrads: CWT leaves the softmax head without gradient; softmax reaches every parameter", () => {
  for (const arch of ["encoder", "decoder"] as const) {
    const model = createModel(tiny(arch, arch === "encoder"), 5);
    const batch = arch === "decoder"
      ? decoderBatch(6)
      : makeEncoderBatch([Int32Array.from({ length: 12 }, (_, i) => 5 + i)], new Rng(1), 48);
    const names = (objective: "softmax" | "cwt") => {
      const { loss, grads } = lossAndGrads(model, objective, batch);
      assert(Number.isFinite(loss));
      const keys = [...grads.keys()].sort();
      for (const t of grads.values()) t.dispose();
      return keys;
    };
    assertEquals(names("softmax"), [...model.params.keys()].sort());
    assertEquals(names("cwt"), [...model.params.keys()].filter((n) => !n.startsWith("head.")).sort());
    model.dispose();
  }
});

Deno.test("at initialisation the softmax loss is close to log V", () => {
  const model = createModel(tiny("decoder"), 7);
  assertAlmostEquals(value(() => lmLoss(model, "softmax", decoderBatch(8))), Math.log(48), 0.1);
  model.dispose();
});

Deno.test("encoder: tokens at padded positions do not change either loss", () => {
  const model = createModel(tiny("encoder", true), 9);
  const rows = [Int32Array.from([1, 10, 11, 12, 13, 14, 15, 16, 2]), Int32Array.from([1, 20, 21, 22, 2])];
  const batch = makeEncoderBatch(rows, new Rng(2), 48);
  assertEquals(Array.from(batch.padMask!.subarray(9)), [1, 1, 1, 1, 1, 0, 0, 0, 0]);
  const changed = { ...batch, tokens: batch.tokens.map((t, i) => (batch.padMask![i] ? t : 30 + (i % 10))) };
  for (const objective of ["softmax", "cwt"] as const) {
    assertAlmostEquals(
      value(() => lmLoss(model, objective, changed)),
      value(() => lmLoss(model, objective, batch)),
      1e-6,
    );
  }
  model.dispose();
});

Deno.test("decoder: a token changes no hidden state before its position (causal)", () => {
  const model = createModel(tiny("decoder"), 10);
  const tokens = Int32Array.from([5, 6, 7, 8, 9, 10]);
  const changed = tokens.slice();
  changed[4] = 40;
  const [a, b] = [tokens, changed].map((t) => tf.tidy(() => model.hidden(t, 1, 6).arraySync()));
  for (let i = 0; i < 4; i++) a[i].forEach((x, j) => assertAlmostEquals(b[i][j], x, 1e-6));
  assert(Math.abs(a[4][0] - b[4][0]) > 1e-4, "position 4 itself does change");
  model.dispose();
});

Deno.test("models are deterministic per seed, and a headless model shares the body init", () => {
  const config = tiny("decoder");
  const [a, b, c] = [createModel(config, 1), createModel(config, 1), createModel(config, 2)];
  const headless = createModel(config, 1, { head: false });
  const w = (m: typeof a, name: string) => Array.from(m.params.get(name)!.dataSync());
  assertEquals(w(a, "blocks.1.mlp.fc.w"), w(b, "blocks.1.mlp.fc.w"));
  assertEquals(w(a, "blocks.1.mlp.fc.w"), w(headless, "blocks.1.mlp.fc.w"));
  assert(w(a, "blocks.1.mlp.fc.w")[0] !== w(c, "blocks.1.mlp.fc.w")[0]);
  assert(!headless.hasHead() && a.hasHead());
  assertThrows(() => tf.tidy(() => headless.logits(tf.zeros([1, 16]))), Error, "without a softmax head");
  assert(noDecay("blocks.0.ln1.g") && noDecay("head.b") && noDecay("blocks.3.mlp.fc.b"));
  assert(!noDecay("blocks.0.attn.qkv.w") && !noDecay("embed.tok.w"));
  for (const m of [a, b, c, headless]) m.dispose();
});

Deno.test("initHeadFromEmbedding gives a headless decoder an untied copy of Eᵀ", () => {
  const model = createModel(tiny("decoder"), 12, { head: false });
  initHeadFromEmbedding(model);
  assert(model.hasHead());
  const h = new Rng(3);
  const x = randn(h, 3, 16);
  const viaHead = tf.tidy(() => model.logits(x).dataSync());
  const viaE = tf.tidy(() => tf.matMul(x, model.embedding, false, true).dataSync());
  viaHead.forEach((v, i) => assertAlmostEquals(v, viaE[i], 1e-6));
  model.embedding.assign(tf.zerosLike(model.embedding)); // a copy: later changes to E leave it alone
  assert(Math.abs(tf.tidy(() => model.logits(x).dataSync())[0] - viaHead[0]) < 1e-7);
  assertThrows(() => initHeadFromEmbedding(createModel(tiny("encoder", true), 1)), Error, "only decoders");
  model.dispose();
});

Deno.test("bad batches and objective names are refused with what was expected", () => {
  const model = createModel(tiny("decoder"), 13);
  const batch = decoderBatch(14);
  assertThrows(
    () => lmLoss(model, "cwt", { ...batch, positions: new Int32Array(0), targets: new Int32Array(0) }),
    Error,
    "S is empty",
  );
  assertThrows(() => lmLoss(model, "cwt", { ...batch, targets: batch.targets.subarray(1) }), Error, "targets");
  assertThrows(() => lmLoss(model, "cwt", { ...batch, targets: batch.targets.map(() => 48) }), Error, "target id 48");
  assertThrows(() => lmLoss(model, "cwt", { ...batch, tokens: batch.tokens.map(() => -1) }), Error, "token id -1");
  assertThrows(() => lmLoss(model, "cwt", { ...makeDecoderBatch([new Int32Array(18).fill(5)]) }), Error, "context");
  assertThrows(() => parseObjective("mlm"), InputError, "softmax, cwt");
  model.dispose();
});

Deno.test("a dense softmax head gives the sparse head's loss and gradients (logits at every position, loss on the masked)", () => {
  const model = createModel(tiny("encoder", true), 15);
  const rows = [Int32Array.from([1, 10, 11, 12, 13, 14, 15, 16, 2]), Int32Array.from([1, 20, 21, 22, 2])];
  const batch = makeEncoderBatch(rows, new Rng(4), 48);
  assert(batch.positions.length < batch.batch * batch.seqLen, "some positions are not scored");
  const sparse = lossAndGrads(model, "softmax", batch, "sparse");
  const dense = lossAndGrads(model, "softmax", batch, "dense");
  assertAlmostEquals(dense.loss, sparse.loss, 1e-6);
  assertEquals([...dense.grads.keys()].sort(), [...sparse.grads.keys()].sort());
  for (const [name, g] of sparse.grads) {
    const [a, b] = [g.dataSync(), dense.grads.get(name)!.dataSync()];
    a.forEach((x, i) => assertAlmostEquals(b[i], x, 1e-6, `${name}[${i}]`));
  }
  for (const t of [...sparse.grads.values(), ...dense.grads.values()]) t.dispose();
  model.dispose();
});

Deno.test("ce+cwt is the sum of the softmax and CWT losses, and trains the head and E", () => {
  const model = createModel(tiny("decoder"), 16);
  const batch = decoderBatch(17);
  const sum = value(() => lmLoss(model, "softmax", batch)) + value(() => lmLoss(model, "cwt", batch));
  assertAlmostEquals(value(() => lmLoss(model, "ce+cwt", batch)), sum, 1e-5);
  const { grads } = lossAndGrads(model, "ce+cwt", batch);
  assertEquals([...grads.keys()].sort(), [...model.params.keys()].sort());
  for (const t of grads.values()) t.dispose();
  model.dispose();
});

Deno.test("nce-untied scores against its own target embedding: CWT with target.w in place of E", () => {
  const model = createModel(tiny("decoder"), 18, { head: false, targetEmbedding: true });
  const batch = decoderBatch(19);
  batch.targets[batch.seqLen - 1] = 47; // token 47: a target only, never an input
  assert(!batch.tokens.includes(47));
  const expected = value(() =>
    cwtLoss(
      model.hidden(batch.tokens, batch.batch, batch.seqLen),
      tf.gather(model.params.get(TARGET_EMBEDDING)!, tf.tensor1d(batch.targets, "int32")) as tf.Tensor2D,
    )
  );
  assertAlmostEquals(value(() => lmLoss(model, "nce-untied", batch)), expected, 1e-6);
  const { grads } = lossAndGrads(model, "nce-untied", batch);
  const row47 = (name: string) => Math.max(...grads.get(name)!.slice([47, 0], [1, 16]).dataSync().map(Math.abs));
  assertEquals(row47("embed.tok.w"), 0, "E is only an input now: its row 47 gets nothing");
  assert(row47(TARGET_EMBEDDING) > 1e-4, "the target table gets the target's gradient");
  for (const t of grads.values()) t.dispose();
  // Its LM head for scoring is a copy of the target table (what the outputs learned to point at).
  initHeadFromEmbedding(model);
  const x = randn(new Rng(5), 2, 16);
  const viaHead = tf.tidy(() => model.logits(x).dataSync());
  const viaT = tf.tidy(() => tf.matMul(x, model.params.get(TARGET_EMBEDDING)!, false, true).dataSync());
  viaHead.forEach((v, i) => assertAlmostEquals(v, viaT[i], 1e-6));
  const plain = createModel(tiny("decoder"), 18, { head: false });
  assertThrows(() => tf.tidy(() => lmLoss(plain, "nce-untied", batch)), Error, "without a target embedding");
  for (const m of [model, plain]) m.dispose();
});

Deno.test("dropout only where given: masks from the seeded Rng, kept values scaled by 1/(1-rate)", () => {
  const model = createModel(tiny("encoder", true), 20);
  const tokens = Int32Array.from([1, 10, 11, 12, 2, 1, 20, 21, 22, 2]);
  const h = (d?: { rate: number; rng: Rng }) =>
    tf.tidy(() => Array.from(model.hidden(tokens, 2, 5, undefined, d).dataSync()));
  assertEquals(h({ rate: 0, rng: new Rng(1) }), h(), "rate 0 is no dropout");
  assertEquals(h({ rate: 0.1, rng: new Rng(1) }), h({ rate: 0.1, rng: new Rng(1) }), "the same seed replays");
  assert(h({ rate: 0.1, rng: new Rng(1) }).some((x, i) => x !== h()[i]), "dropout changes the states");
  const x = tf.ones([1000, 4]);
  const dropped = tf.tidy(() => Array.from(applyDropout(x, { rate: 0.25, rng: new Rng(2) }).dataSync()));
  const zeros = dropped.filter((v) => v === 0).length;
  assert(zeros > 850 && zeros < 1150, `${zeros} of 4000 zeroed at rate 0.25`);
  assert(dropped.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  x.dispose();
  model.dispose();
});
