/**
 * The relabel stage (results/relabel_stage.ts): a shared run's evaluation artifact filed under another
 * design. Only the run's rows move (design renamed, FLOPs rescaled, `same_training_as` added); reference rows,
 * examples and the seed summary are kept as they are; a spec that matches no row is an error naming the file.
 */
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { SILENT } from "../artifacts/stage.ts";
import { type RelabelSpec, SAME_TRAINING_COLUMN, stage } from "../results/relabel_stage.ts";
import { readResults, type ResultRow, writeResults } from "../results/rows.ts";
import { readTimings, type TimingRow, writeTimings } from "../results/timings.ts";
import { InputError } from "../util/errors.ts";

/** The fields that name a measurement (a result row and its timing share them). */
const measurement = (objective: string, design: string) => ({
  model: "tiny",
  arch: "decoder",
  objective,
  design,
  pretrain_seed: 0,
  seed: 0,
  fraction: 1,
  task: "lambada_openai",
  setup: "",
  lang: "",
  split: "test",
  policy: "",
});

const row = (objective: string, design: string, value: number, flops: number): ResultRow => ({
  ...measurement(objective, design),
  flops,
  tokens: 6144,
  examples: 10,
  metric: "acc",
  value,
  backend: "wasm",
  details: { head: "own" },
});

const timing = (objective: string, design: string): TimingRow => ({
  ...measurement(objective, design),
  pretrain_seconds: 12.5,
  eval_seconds: 3,
  checkpoint: "pretrain:abc/ckpt/frac-1",
});

async function source(rows: ResultRow[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "relabel-source-" });
  await writeResults(join(dir, "results.csv"), rows);
  await writeTimings(join(dir, "timings.csv"), [timing("softmax", "tokens-dense"), timing("majority", "")]);
  await Deno.writeTextFile(join(dir, "examples.csv"), "task,seed,policy,example,prediction,label,loglik,count\n");
  await Deno.writeTextFile(join(dir, "seed_summary.csv"), "objective,task\nsoftmax,lambada_openai\n");
  return dir;
}

const SPEC: RelabelSpec = { objective: "softmax", from: "tokens-dense", to: "", flopsScale: 0.5 };

Deno.test("relabel moves the run's rows to the other design, rescales FLOPs, and keeps references and examples", async () => {
  const dir = await source([row("softmax", "tokens-dense", 0.25, 1001), row("majority", "", 0.1, 0)]);
  const out = await Deno.makeTempDir({ prefix: "relabel-out-" });
  const details = await stage.run(SPEC, { out, inputs: { source: dir }, cacheDir: "", progress: SILENT });
  assertEquals(details, { rows: 1 });
  const rows = await readResults(join(out, "results.csv"));
  const moved = rows.find((r) => r.objective === "softmax")!;
  assertEquals([moved.design, moved.flops, moved.value, moved.tokens], ["", 501, 0.25, 6144]);
  assertEquals(moved.details, { head: "own", [SAME_TRAINING_COLUMN]: "tokens-dense" });
  const reference = rows.find((r) => r.objective === "majority")!;
  assertEquals([reference.design, reference.value, reference.details], ["", 0.1, { head: "own" }]);
  const timings = await readTimings(join(out, "timings.csv"));
  assertEquals(timings.map((t) => [t.objective, t.design, t.pretrain_seconds]), [["softmax", "", 12.5], [
    "majority",
    "",
    12.5,
  ]]);
  for (const name of ["examples.csv", "seed_summary.csv"]) {
    assertEquals(await Deno.readTextFile(join(out, name)), await Deno.readTextFile(join(dir, name)));
  }
});

Deno.test("relabel refuses a spec that matches no row, naming the file, and a scale that is not positive", async () => {
  const dir = await source([row("cwt", "tokens-dense", 0.3, 900)]);
  const io = { out: await Deno.makeTempDir(), inputs: { source: dir }, cacheDir: "", progress: SILENT };
  const e = await assertRejects(() => stage.run(SPEC, io), InputError);
  assertStringIncludes(e.message, "no row of objective softmax");
  assertStringIncludes(e.message, join(dir, "results.csv"));
  await assertRejects(() => stage.run({ ...SPEC, flopsScale: 0 }, io), InputError, "flopsScale");
  await assertRejects(() => stage.run({ ...SPEC, to: "tokens-dense" }, io), InputError, "both");
});
