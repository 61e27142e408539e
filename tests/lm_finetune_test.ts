/**
 * LM fine-tuning of a headless decoder (evals/lm_finetune.ts): the new head is a copy of Eᵀ and is not
 * tied to E; next-token fine-tuning on a token folder lowers the loss and counts FLOPs with the
 * analytic counter; the errors for the wrong kind of model or data.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { addLmHeadFromEmbedding, lmFinetune, openLmBatches } from "../evals/lm_finetune.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { stepFlops } from "../models/flops.ts";
import { createModel } from "../models/transformer.ts";
import { writeTokenFolder } from "../train/testing.ts";
import { InputError } from "../util/errors.ts";

await initBackend("wasm");

const DECODER: ModelConfig = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

Deno.test("the new LM head equals Eᵀ, and is a copy: changing one leaves the other", () => {
  const model = createModel(DECODER, 1, { head: false });
  assertEquals(model.hasHead(), false);
  addLmHeadFromEmbedding(model);
  assert(model.hasHead());
  const head = model.params.get("head.w")!;
  const E = model.embedding;
  assertEquals(head.shape, [DECODER.dModel, DECODER.vocabSize]);
  assertEquals(maxAbsDiff(head, tf.transpose(E)), 0);
  const headBefore = head.clone();
  E.assign(tf.tidy(() => tf.add(E, 1)));
  assertEquals(maxAbsDiff(head, headBefore), 0);
  const EBefore = E.clone();
  head.assign(tf.tidy(() => tf.mul(head, -3)));
  assertEquals(maxAbsDiff(E, EBefore), 0);
  // logits now come from the head, not from E
  const h = tf.randomNormal([3, DECODER.dModel]) as tf.Tensor2D;
  assert(maxAbsDiff(model.logits(h), tf.matMul(h, head)) < 1e-5);
  tf.dispose([headBefore, EBefore, h]);
  model.dispose();
});

Deno.test("next-token fine-tuning on a token folder lowers the loss, unties E and head, counts FLOPs", async () => {
  const dir = await Deno.makeTempDir();
  // Documents that walk 5, 6, ..., 29 from a random start: the next token is always the current + 1.
  const docs = Array.from({ length: 40 }, (_, i) => Array.from({ length: 12 }, (_, k) => 5 + ((i + k) % 25)));
  const manifest = await writeTokenFolder(dir, { train: docs, valid: docs.slice(0, 4) }, {
    vocabSize: DECODER.vocabSize,
  });
  const model = createModel(DECODER, 2, { head: false });
  addLmHeadFromEmbedding(model);
  const source = await openLmBatches(dir, model, { batch: 4, seqLen: 8, seed: 0, vocabSize: manifest.vocabSize });
  const seen: number[] = [];
  const result = lmFinetune(model, source, { steps: 40, lr: 1e-2, warmupFrac: 0.1, onStep: (s) => seen.push(s) });
  assertEquals(seen.length, 40);
  assertEquals(result.tokens, 40 * 4 * 8);
  assertEquals(result.flops, 40 * stepFlops(DECODER, "softmax", { batch: 4, seqLen: 8, scored: 32 }).total);
  const first = result.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = result.losses.slice(-5).reduce((a, b) => a + b) / 5;
  assertAlmostEquals(first, Math.log(DECODER.vocabSize), 0.5);
  assert(last < first - 1, `loss should fall by more than 1 nat: first ${first}, last ${last}`);
  assert(
    maxAbsDiff(model.params.get("head.w")!, tf.transpose(model.embedding)) > 1e-3,
    "head and Eᵀ should have moved apart",
  );
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("errors: an encoder, a tied config, a model that has a head, a token folder of another vocabulary", async () => {
  const encoder = createModel({ ...DECODER, arch: "encoder" }, 0, { head: false });
  assertThrows(
    () => addLmHeadFromEmbedding(encoder),
    InputError,
    "goes on a decoder, but model tiny-dec is an encoder",
  );
  encoder.dispose();
  const tied = createModel({ ...DECODER, tieHead: true }, 0);
  assertThrows(() => addLmHeadFromEmbedding(tied), InputError, "tieHead true");
  tied.dispose();
  const vanilla = createModel(DECODER, 0);
  assertThrows(() => addLmHeadFromEmbedding(vanilla), InputError, "already has an LM head");
  const headless = createModel(DECODER, 0, { head: false });
  assertThrows(
    () => lmFinetune(headless, { next: () => ({}) as never }, { steps: 1, lr: 1e-3 }),
    InputError,
    "has no LM head",
  );
  headless.dispose();
  const dir = await Deno.makeTempDir();
  await writeTokenFolder(dir, { train: [[5, 6, 7, 8, 9, 10, 11, 12, 13, 14]], valid: [[5, 6, 7]] }, { vocabSize: 64 });
  await assertRejects(
    () => openLmBatches(dir, vanilla, { batch: 1, seqLen: 4, seed: 0, vocabSize: 64 }),
    InputError,
    "vocabulary 64 differs from model tiny-dec's 48",
  );
  await assertRejects(
    () => openLmBatches(dir, vanilla, { batch: 1, seqLen: 17, seed: 0, vocabSize: 48 }),
    InputError,
    "sequence length 17",
  );
  vanilla.dispose();
  await Deno.remove(dir, { recursive: true });
});
