/**
 * The analytic FLOP counter against the instrumented product counter of the real ops (exact), against
 * the 6·N·D rule for pythia-70m, and the model configs it reads.
 */
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { join } from "node:path";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, modelConfigNames } from "../models/config.ts";
import { cwtToSoftmaxRatio, stepFlops } from "../models/flops.ts";
import { countProductFlops } from "../models/ops.ts";
import { createModel, parameterShapes } from "../models/transformer.ts";
import { lossAndGrads } from "../models/objectives.ts";
import { makeDecoderBatch, makeEncoderBatch } from "../models/batches.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

for (const arch of ["encoder", "decoder"] as const) {
  for (const objective of ["softmax", "cwt"] as const) {
    Deno.test(`${arch} ${objective}: analytic step FLOPs equal the products the tiny model actually runs`, () => {
      const config = loadModelConfig("tiny", { arch, tieHead: arch === "encoder" });
      const model = createModel(config, 1);
      const rng = new Rng(2);
      const rows = Array.from({ length: 3 }, () => Int32Array.from({ length: 13 }, () => 5 + rng.int(40)));
      const batch = arch === "decoder"
        ? makeDecoderBatch(rows)
        : makeEncoderBatch(rows.map((r, i) => r.subarray(0, 12 - i)), rng, 48);
      const { flops } = countProductFlops(() => {
        for (const g of lossAndGrads(model, objective, batch).grads.values()) g.dispose();
      });
      const analytic = stepFlops(config, objective, {
        batch: batch.batch,
        seqLen: batch.seqLen,
        scored: batch.positions.length,
      });
      assertEquals(flops, analytic.total);
      assertEquals(analytic.backward, 2 * analytic.forward);
      model.dispose();
    });
  }
}

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
