/**
 * Checkpoint folders (exact round trip, record verification, atomic replacement, recovery, format /1) and
 * training-log truncation.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import {
  type CheckpointInfo,
  cleanCheckpointRoot,
  latestCheckpoint,
  listCheckpoints,
  readCheckpoint,
  readCheckpointMeta,
  scanCheckpoints,
  writeCheckpoint,
} from "../train/checkpoint.ts";
import { resetTrainLog, TRAIN_LOG_COLUMNS } from "../train/log.ts";
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";

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
  -3.4028234663852886e38,
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
  assertEquals(meta.format, "headless-bench-checkpoint/2");
  // The record holds the size and sha256 of both files.
  const record = JSON.parse(await Deno.readTextFile(join(dir, "record.json")));
  for (const f of ["meta.json", "tensors.bin"]) {
    const bytes = await Deno.readFile(join(dir, f));
    assertEquals(record.files[f], { bytes: bytes.length, sha256: sha256(bytes) });
  }
});

Deno.test("a tensor holding NaN or Infinity is never written, and nothing is left behind", async () => {
  const root = await Deno.makeTempDir();
  for (const bad of [NaN, Infinity, -Infinity]) {
    const data = Float32Array.from([1, 2, bad, 4]);
    await assertRejects(
      () => writeCheckpoint(root, "latest", info(1), new Map([["param/w", { shape: [4], data }]])),
      Error,
      `tensor param/w holds ${bad} at index 2`,
    );
  }
  assertEquals([...Deno.readDirSync(root)], []);
});

/** Rewrites meta.json of `dir` through `edit`, keeping it valid JSON (a hand edit). */
async function editMeta(
  dir: string,
  edit: (meta: { tensors: { offset: number }[]; counters: { flops: number } }) => void,
) {
  const file = join(dir, "meta.json");
  const meta = JSON.parse(await Deno.readTextFile(file));
  edit(meta);
  await Deno.writeTextFile(file, JSON.stringify(meta, null, 2) + "\n");
}

Deno.test("an edited meta.json (a tensor offset, the FLOPs) is caught: refused when read, skipped when listed, removed by the cleanup", async () => {
  const root = await Deno.makeTempDir();
  const t = new Map([["a", { shape: [2], data: Float32Array.from([1, 2]) }], ["b", {
    shape: [2],
    data: Float32Array.from([3, 4]),
  }]]);
  await writeCheckpoint(root, "frac-0.5", info(4, 0.5), t);
  const offset = await writeCheckpoint(root, "frac-1", info(8, 1), t);
  const flops = await writeCheckpoint(root, "latest", info(6), t);
  await editMeta(offset, (m) => (m.tensors[1].offset = 0)); // b would load a's values
  await editMeta(flops, (m) => (m.counters.flops *= 10)); // fake FLOPs would reach the results
  for (const dir of [offset, flops]) {
    await assertRejects(
      () => readCheckpointMeta(dir),
      InputError,
      `${join(dir, "meta.json")}: differs from its record`,
    );
    await assertRejects(() => readCheckpoint(dir), InputError, "differs from its record");
  }
  const scan = await scanCheckpoints(root);
  assertEquals(scan.checkpoints.map((c) => c.meta.counters.step), [4]);
  assertEquals(scan.rejected.map((r) => r.dir).sort(), [offset, flops].sort());
  assertEquals((await latestCheckpoint(root))?.dir, join(root, "frac-0.5"));
  const notes = await cleanCheckpointRoot(root);
  assertEquals(notes.length, 2);
  for (const n of notes) assertStringIncludes(n, "skipped and removed: ");
  assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["frac-0.5"]);
});

Deno.test("a record that is missing, unreadable or disagrees with tensors.bin's size leaves the folder untrusted", async () => {
  const root = await Deno.makeTempDir();
  const t = new Map([["a", { shape: [2], data: Float32Array.from([1, 2]) }]]);
  const dir = await writeCheckpoint(root, "latest", info(3), t);
  await Deno.writeTextFile(join(dir, "record.json"), "{ torn");
  await assertRejects(() => readCheckpointMeta(dir), InputError, "cannot read the checkpoint record");
  await writeCheckpoint(root, "latest", info(3), t);
  await Deno.writeFile(join(dir, "tensors.bin"), new Uint8Array(4), { append: true });
  await assertRejects(() => readCheckpointMeta(dir), InputError, "is 12 bytes, its record says 8");
  await writeCheckpoint(root, "latest", info(3), t);
  await Deno.remove(join(dir, "record.json"));
  await assertRejects(() => readCheckpointMeta(dir), InputError, "no record.json");
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

Deno.test("format /1 (no record) is still read, with tensors.bin's sha256 and the finite check", async () => {
  const dir = join(await Deno.makeTempDir(), "frac-1");
  await Deno.mkdir(dir);
  const write = async (values: number[]) => {
    const bytes = new Uint8Array(Float32Array.from(values).buffer);
    await Deno.writeFile(join(dir, "tensors.bin"), bytes);
    await Deno.writeTextFile(
      join(dir, "meta.json"),
      JSON.stringify({
        format: "headless-bench-checkpoint/1",
        savedAt: "2024-01-01T00:00:00.000Z",
        ...info(5, 1),
        tensors: [{ name: "param/w", shape: [3], offset: 0, length: 3 }],
        tensorsSha256: sha256(bytes),
      }),
    );
  };
  await write([1, 2, 3]);
  const { meta, tensors } = await readCheckpoint(dir);
  assertEquals([meta.format, [...tensors.get("param/w")!]], ["headless-bench-checkpoint/1", [1, 2, 3]]);
  await write([1, NaN, 3]);
  await assertRejects(
    () => readCheckpoint(dir),
    InputError,
    "tensor param/w holds NaN at index 1: the run had diverged",
  );
  await write([1, 2, 3]);
  await Deno.writeFile(join(dir, "tensors.bin"), new Uint8Array(Float32Array.from([1, 2, 4]).buffer));
  await assertRejects(() => readCheckpoint(dir), InputError, "sha256 differs from meta.json's tensorsSha256");
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
  assertEquals(await cleanCheckpointRoot(root), []);
  const names = () => [...Deno.readDirSync(root)].map((e) => e.name).sort();
  assertEquals(names(), ["frac-0.125", "latest"], "the .old fallback is back in place as latest");
  assertEquals((await latestCheckpoint(root))?.meta.counters.step, 6);
  // A kill after the new one is in place: the .old-* is older than latest, and goes; so does a half-deleted trash.
  await writeCheckpoint(root, "latest", info(8), t);
  await writeCheckpoint(root, "frac-0.25", info(7, 0.25), t);
  await Deno.rename(join(root, "frac-0.25"), join(root, ".old-0b9e2c1a-0000-4000-8000-000000000001"));
  await Deno.mkdir(join(root, ".trash-0b9e2c1a"));
  assertEquals(await cleanCheckpointRoot(root), []);
  assertEquals(names(), ["frac-0.125", "latest"]);
  assertEquals((await latestCheckpoint(root))?.meta.counters.step, 8);
  // A fraction checkpoint being rewritten (a resumed run redoing it), killed between the renames: it goes
  // back under its own name, not as latest.
  const aside = join(root, ".old-frac-0.125-0b9e2c1a-0000-4000-8000-000000000002");
  await Deno.rename(join(root, "frac-0.125"), aside);
  assertEquals((await listCheckpoints(root)).map((c) => c.dir), [aside, join(root, "latest")]);
  assertEquals(await cleanCheckpointRoot(root), []);
  assertEquals(names(), ["frac-0.125", "latest"]);
  assertEquals((await readCheckpointMeta(join(root, "frac-0.125"))).fraction, 0.125);
  assertEquals(await latestCheckpoint(await Deno.makeTempDir()), null);
});

Deno.test("an empty .old-* folder (a kill during the old code's rotation) is removed with a message, not fatal", async () => {
  const root = await Deno.makeTempDir();
  await writeCheckpoint(root, "frac-0.125", info(4, 0.125), new Map([["x", { shape: [1], data: Float32Array.of(1) }]]));
  await Deno.mkdir(join(root, ".old-5e1f"));
  assertEquals((await listCheckpoints(root)).length, 1);
  const notes = await cleanCheckpointRoot(root);
  assertEquals(notes.length, 1);
  assertStringIncludes(notes[0], `checkpoint ${join(root, ".old-5e1f")} skipped and removed: `);
  assertStringIncludes(notes[0], "the checkpoint record is missing");
  assertEquals([...Deno.readDirSync(root)].map((e) => e.name), ["frac-0.125"]);
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
