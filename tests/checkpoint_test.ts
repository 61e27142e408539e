/** Checkpoint folders (exact round trip, atomic replacement, recovery), run.json identity, log truncation. */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import {
  type CheckpointInfo,
  cleanCheckpointRoot,
  latestCheckpoint,
  listCheckpoints,
  readCheckpoint,
  writeCheckpoint,
} from "../train/checkpoint.ts";
import { resetTrainLog, TRAIN_LOG_COLUMNS } from "../train/log.ts";
import { InputError } from "../util/errors.ts";

const info = (step: number, fraction?: number): CheckpointInfo => ({
  settingsHash: "abc",
  counters: { step, tokens: step * 100, flops: step * 1e9, seconds: step / 10 },
  data: { cursor: { epoch: 1, index: step }, maskRngState: 4242 },
  adamStep: step,
  logWindow: { loss: 7, gradNorm: 1, steps: 2 },
  fraction,
  settings: { lr: 1e-3 },
});

// Values whose bits a lossy path (text, float64 rounding, wrong endianness) would change.
const awkward = Float32Array.from([
  0,
  -0,
  1.401298464324817e-45,
  3.4028234663852886e38,
  -Infinity,
  0.1,
  1 / 3,
  -2.5e-20,
]);

Deno.test("a checkpoint reads back bit for bit, with its metadata", async () => {
  const root = await Deno.makeTempDir();
  const tensors = new Map([["param/a", { shape: [2, 4], data: awkward }], ["adam.m/a", {
    shape: [3],
    data: Float32Array.from([1, 2, 3]),
  }]]);
  const dir = await writeCheckpoint(root, "latest", info(7), tensors);
  assertEquals(dir, join(root, "latest"));
  const { meta, tensors: back } = await readCheckpoint(dir);
  assertEquals(new Uint8Array(back.get("param/a")!.buffer), new Uint8Array(awkward.buffer));
  assertEquals([...back.get("adam.m/a")!], [1, 2, 3]);
  assertEquals(meta.counters, info(7).counters);
  assertEquals(meta.data, info(7).data);
  assertEquals(meta.tensors.map((t) => [t.name, t.shape]), [["param/a", [2, 4]], ["adam.m/a", [3]]]);
});

Deno.test("a damaged tensors.bin is refused, naming the file", async () => {
  const root = await Deno.makeTempDir();
  const dir = await writeCheckpoint(root, "latest", info(1), new Map([["x", { shape: [8], data: awkward }]]));
  const file = join(dir, "tensors.bin");
  const bytes = await Deno.readFile(file);
  bytes[5] ^= 0x10;
  await Deno.writeFile(file, bytes);
  await assertRejects(() => readCheckpoint(dir), InputError, `${file}: sha256`);
});

Deno.test("replacing latest leaves one complete folder; the newest checkpoint wins; leftovers are cleaned", async () => {
  const root = await Deno.makeTempDir();
  const t = new Map([["x", { shape: [1], data: Float32Array.from([1]) }]]);
  await writeCheckpoint(root, "latest", info(3), t);
  await writeCheckpoint(root, "frac-0.125", info(4, 0.125), t);
  await writeCheckpoint(root, "latest", info(6), t);
  assertEquals((await listCheckpoints(root)).map((c) => [c.dir.slice(root.length + 1), c.meta.counters.step]), [[
    "frac-0.125",
    4,
  ], ["latest", 6]]);
  // A kill between "rename latest aside" and "rename the new one in": only .old-* and a .tmp-* remain.
  await Deno.rename(join(root, "latest"), join(root, ".old-0b9e2c1a-0000-4000-8000-000000000000"));
  await Deno.mkdir(join(root, ".tmp-half-written"));
  const newest = await latestCheckpoint(root);
  assertEquals(newest?.meta.counters.step, 6);
  assert(newest!.dir.includes(".old-"));
  await cleanCheckpointRoot(root);
  const names = [];
  for await (const e of Deno.readDir(root)) names.push(e.name);
  assertEquals(
    names.sort(),
    [".old-0b9e2c1a-0000-4000-8000-000000000000", "frac-0.125"],
    "the .old fallback is still the newest: kept",
  );
  await writeCheckpoint(root, "latest", info(8), t);
  await cleanCheckpointRoot(root);
  const after = [];
  for await (const e of Deno.readDir(root)) after.push(e.name);
  assertEquals(after.sort(), ["frac-0.125", "latest"]);
  assertEquals(await latestCheckpoint(await Deno.makeTempDir()), null);
});

Deno.test("resetTrainLog keeps rows up to the resume step and drops a torn last line", async () => {
  const path = join(await Deno.makeTempDir(), "train_log.csv");
  const row = (s: number) => [s, s * 10, s * 1e6, s / 2, 3.5, 1e-3, 0.7, 1234.5].join(",");
  await Deno.writeTextFile(
    path,
    TRAIN_LOG_COLUMNS.join(",") + "\n" + [row(2), row(4), row(6)].join("\n") + "\n8,80,8000",
  );
  await resetTrainLog(path, 4);
  assertEquals(await Deno.readTextFile(path), TRAIN_LOG_COLUMNS.join(",") + "\n" + row(2) + "\n" + row(4) + "\n");
  await resetTrainLog(path, 0);
  assertEquals(await Deno.readTextFile(path), TRAIN_LOG_COLUMNS.join(",") + "\n");
});
