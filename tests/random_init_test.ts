/**
 * The random-init reference (train/init_stage.ts): the checkpoint it writes holds exactly the weights a
 * run of the same config and seed starts from, reads back through the evaluation code as objective
 * "random-init" at fraction 0 with no compute, and its result columns say so.
 */
import { assertEquals } from "@std/assert";
import { join } from "node:path";
import { checkpointColumns } from "../evals/eval_run.ts";
import { describeCheckpoint, loadCheckpointModel } from "../evals/checkpoint_check.ts";
import { initBackend } from "../backends/mod.ts";
import { createModel } from "../models/transformer.ts";
import { RANDOM_INIT, stage } from "../train/init_stage.ts";
import { specConfig } from "../train/pretrain_stage.ts";
import { randomDocuments, writeTokenFolder } from "../train/testing.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

Deno.test("the init stage writes the starting weights as ckpt/frac-0, read back as random-init with no compute", async () => {
  const tokens = await Deno.makeTempDir();
  const rng = new Rng(9);
  await writeTokenFolder(tokens, { train: randomDocuments(rng, 20, 48), valid: randomDocuments(rng, 4, 48) }, {
    vocabSize: 48,
  });
  const out = await Deno.makeTempDir();
  const spec = { model: "tiny", overrides: { layers: 1 }, arch: "decoder" as const, seed: 4, backend: "wasm" };
  const details = await stage.run(spec, {
    out,
    inputs: { tokens },
    cacheDir: out,
    progress: { fraction: () => {}, say: () => {} },
  }) as { objective: string };
  assertEquals(details.objective, RANDOM_INIT);

  const summary = await describeCheckpoint(join(out, "ckpt", "frac-0"));
  assertEquals([summary.objective, summary.meta.fraction, summary.meta.counters.flops], [RANDOM_INIT, 0, 0]);
  assertEquals(summary.hasHeadParams, true, "a decoder is scored with the head it was created with");
  const loaded = await loadCheckpointModel(summary);
  const fresh = createModel(specConfig(spec, 48), 4);
  for (const [name, p] of fresh.params) {
    assertEquals(Array.from(loaded.params.get(name)!.dataSync()), Array.from(p.dataSync()), name);
  }
  const columns = await checkpointColumns(summary);
  assertEquals(
    [columns.objective, columns.fraction, columns.flops, columns.tokens, columns.pretrain_seconds, columns.design],
    [RANDOM_INIT, 0, 0, 0, 0, ""],
  );
  loaded.dispose();
  fresh.dispose();
});
