/**
 * The analytic FLOP counter against the instrumented product counter of the real ops (exact, for every
 * objective and both softmax head modes), against the 6·N·D rule for pythia-70m, the CWT/softmax ratio
 * table it prints, and the model configs it reads.
 */
import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, modelConfigNames } from "../models/config.ts";
import { cwtToSoftmaxRatio, ratioTable, REFERENCE_SHAPES, stepFlops } from "../models/flops.ts";
import { expectedScored } from "../models/masking.ts";
import { HEAD_MODES, OBJECTIVES } from "../models/objective_names.ts";
import { countProductFlops } from "../models/ops.ts";
import { createModel, parameterShapes } from "../models/transformer.ts";
import { lossAndGrads } from "../models/objectives.ts";
import { makeDecoderBatch, makeEncoderBatch } from "../models/batches.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

for (const arch of ["encoder", "decoder"] as const) {
  for (const objective of OBJECTIVES) {
    for (const head of HEAD_MODES) {
      Deno.test(`${arch} ${objective}, ${head} head: analytic step FLOPs equal the products the tiny model actually runs`, () => {
        const config = loadModelConfig("tiny", { arch, tieHead: arch === "encoder" });
        const model = createModel(config, 1, { targetEmbedding: objective === "nce-untied" });
        const rng = new Rng(2);
        const rows = Array.from({ length: 3 }, () => Int32Array.from({ length: 13 }, () => 5 + rng.int(40)));
        const batch = arch === "decoder"
          ? makeDecoderBatch(rows)
          : makeEncoderBatch(rows.map((r, i) => r.subarray(0, 12 - i)), rng, 48);
        const { flops } = countProductFlops(() => {
          for (const g of lossAndGrads(model, objective, batch, head).grads.values()) g.dispose();
        });
        const analytic = stepFlops(config, objective, {
          batch: batch.batch,
          seqLen: batch.seqLen,
          scored: batch.positions.length,
        }, head);
        assertEquals(flops, analytic.total);
        assertEquals(analytic.backward, 2 * analytic.forward);
        model.dispose();
      });
    }
  }
}

Deno.test("head modes by hand: a dense head scores every position; a decoder's two modes coincide; ce+cwt is the sum", () => {
  const enc = loadModelConfig("enc-small");
  const shape = { batch: 2, seqLen: 10, scored: 3 };
  const [d, V, n] = [256, 8192, 20];
  // Softmax head forward: transform 2·rows·d·d + logits 2·rows·d·V, rows = |S| (sparse) or every position (dense).
  assertEquals(stepFlops(enc, "softmax", shape).breakdown.head.forward, 3 * (2 * d * d + 2 * d * V));
  assertEquals(stepFlops(enc, "softmax", shape, "dense").breakdown.head.forward, n * (2 * d * d + 2 * d * V));
  // CWT never has a softmax head: the head mode changes nothing.
  assertEquals(stepFlops(enc, "cwt", shape, "dense").total, stepFlops(enc, "cwt", shape).total);
  assertEquals(stepFlops(enc, "nce-untied", shape).total, stepFlops(enc, "cwt", shape).total);
  const sum = stepFlops(enc, "softmax", shape, "dense").breakdown.head.forward +
    stepFlops(enc, "cwt", shape).breakdown.head.forward;
  assertEquals(stepFlops(enc, "ce+cwt", shape, "dense").breakdown.head.forward, sum);
  const dec = loadModelConfig("dec-small");
  const all = { batch: 2, seqLen: 10, scored: 20 };
  assertEquals(stepFlops(dec, "softmax", all, "dense").total, stepFlops(dec, "softmax", all).total);
});

Deno.test("the CWT/softmax ratio table pins both head modes: 0.917/0.614 enc-small, 0.938/0.690 bert-base-50k", () => {
  const ratio = (config: string, batch: number, seqLen: number, head: "sparse" | "dense", overrides = {}) => {
    const c = loadModelConfig(config, overrides);
    const arch = c.arch;
    return cwtToSoftmaxRatio(c, { batch, seqLen, scored: expectedScored(arch, batch, seqLen) }, head);
  };
  // Encoders at 15% of T-2 positions scored (302 of 16 x 126 for enc-small; 605 of 32 x 126 for bert-base-50k).
  assertAlmostEquals(ratio("enc-small", 16, 128, "sparse"), 0.9175, 5e-4);
  assertAlmostEquals(ratio("enc-small", 16, 128, "dense"), 0.6138, 5e-4);
  assertAlmostEquals(ratio("bert-base-50k", 32, 128, "sparse"), 0.9385, 5e-4);
  assertAlmostEquals(ratio("bert-base-50k", 32, 128, "dense"), 0.6905, 5e-4);
  // Decoders score every position: one ratio for both modes, falling with the vocabulary.
  for (const head of HEAD_MODES) {
    assertAlmostEquals(ratio("dec-small", 16, 128, head), 0.714, 1e-3);
    assertAlmostEquals(ratio("dec-small", 16, 128, head, { vocabSize: 32768 }), 0.333, 1e-3);
    assertAlmostEquals(ratio("pythia-70m", 8, 2048, head), 0.696, 1e-3);
  }
  const table = ratioTable();
  assertEquals(table.split("\n").length, 2 + 2 * REFERENCE_SHAPES.length);
  assertStringIncludes(table, "| enc-small | B=16 T=128 | dense | 0.0334 | 0.0205 | 0.614 |");
  assertStringIncludes(table, "| dec-small | B=16 T=128, V=32768 | sparse | 0.0708 | 0.0236 | 0.333 |");
});

Deno.test("pythia-70m: step FLOPs match 6·N·D plus the attention term within 1%", () => {
  const config = loadModelConfig("pythia-70m");
  const shape = { batch: 4, seqLen: 2048, scored: 4 * 2048 };
  // N: every parameter outside the input embeddings (the untied head does multiply), counted from the model's own list.
  let n = 0;
  for (const [name, s] of parameterShapes(config)) if (!name.startsWith("embed.")) n += s.reduce((a, b) => a * b, 1);
  assertAlmostEquals(n / 1e6, 44.6, 0.1); // 18.9M in the blocks + 25.8M in the head
  const tokens = shape.batch * shape.seqLen;
  const attention = 3 * 4 * config.layers * shape.seqLen * config.dModel * tokens; // QKᵀ and AV, forward 4·L·T·d per token
  const expected = 6 * n * tokens + attention;
  const total = stepFlops(config, "softmax", shape).total;
  assert(Math.abs(total / expected - 1) < 0.01, `${total} vs ${expected}`);
});

Deno.test("dec-small at B=16, T=128: ~33 M (softmax) and ~24 M (CWT) FLOPs per token, as toolchain.md measured", () => {
  const config = loadModelConfig("dec-small");
  const shape = { batch: 16, seqLen: 128, scored: 2048 };
  assertAlmostEquals(stepFlops(config, "softmax", shape).perToken / 1e6, 33, 0.5);
  assertAlmostEquals(stepFlops(config, "cwt", shape).perToken / 1e6, 24, 0.5);
  // Head, per scored position: softmax 2·d·V, CWT 2·d·|S|.
  assertEquals(stepFlops(config, "softmax", shape).breakdown.head.forward, 2048 * 2 * 256 * 8192);
  assertEquals(stepFlops(config, "cwt", shape).breakdown.head.forward, 2048 * 2 * 256 * 2048);
  // CWT is the cheaper objective exactly while |S| < V.
  assert(cwtToSoftmaxRatio(config, { ...shape, batch: 63, scored: 8191 }) < 1);
  assert(cwtToSoftmaxRatio(config, { ...shape, batch: 65, scored: 8193 }) > 1);
});

Deno.test("named model configs load with the paper's shapes; vocabSize can be overridden", () => {
  for (const name of ["bert-base-50k", "pythia-70m", "enc-small", "dec-small", "tiny"]) {
    assert(modelConfigNames().includes(name));
  }
  const bert = loadModelConfig("bert-base-50k");
  assertEquals([bert.arch, bert.layers, bert.dModel, bert.heads, bert.dFF, bert.vocabSize, bert.context], [
    "encoder",
    12,
    768,
    12,
    3072,
    50304,
    128,
  ]);
  const pythia = loadModelConfig("pythia-70m");
  assertEquals([pythia.arch, pythia.layers, pythia.dModel, pythia.heads, pythia.dFF, pythia.context, pythia.tieHead], [
    "decoder",
    6,
    512,
    8,
    2048,
    2048,
    false,
  ]);
  assertEquals(loadModelConfig("enc-small", { vocabSize: 4000 }).vocabSize, 4000);
});

Deno.test("bad model configs name the file, the line and what was expected", async () => {
  const dir = await Deno.makeTempDir();
  const write = async (name: string, text: string) => {
    const path = join(dir, name);
    await Deno.writeTextFile(path, text);
    return path;
  };
  const good = {
    name: "x",
    arch: "decoder",
    layers: 2,
    dModel: 30,
    heads: 4,
    dFF: 8,
    vocabSize: 100,
    context: 8,
    tieHead: false,
  };
  const heads = await write("heads.json", JSON.stringify(good, null, 2));
  const e1 = assertThrows(() => loadModelConfig(heads), InputError, "a divisor of dModel (30)");
  assertEquals([e1.file, e1.line], [heads, 6]);
  const arch = await write("arch.json", JSON.stringify({ ...good, heads: 3, arch: "seq2seq" }, null, 2));
  assertThrows(
    () => loadModelConfig(arch),
    InputError,
    `arch.json:3: arch: expected one of encoder, decoder, got "seq2seq"`,
  );
  const typo = await write("typo.json", JSON.stringify({ ...good, heads: 3, dff: 8 }, null, 2));
  assertThrows(() => loadModelConfig(typo), InputError, `typo.json:11: unknown field "dff"`);
  const broken = await write("broken.json", '{\n  "name": "x",\n  "layers": 2,,\n}');
  assertEquals(assertThrows(() => loadModelConfig(broken), InputError, "not valid JSON").line, 3);
  assertThrows(() => loadModelConfig(join(dir, "missing.json")), InputError, "model config file not found");
  assertThrows(() => loadModelConfig("gpt-5"), InputError, "known: bert-base-50k, dec-small");
  assertThrows(() => loadModelConfig("tiny", { layers: 0 }), InputError, "layers: expected a positive integer");
  await Deno.remove(dir, { recursive: true });
});
