/** Token folder reading, the seeded window order, its resumable cursor, and fixed validation batches. */
import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { BatchStream, validationBatches } from "../train/batch_stream.ts";
import { epochKey, permuteIndex } from "../train/permutation.ts";
import { randomDocuments, toyKit, writeTokenFolder } from "../train/testing.ts";
import {
  frameEncoderRow,
  openTokenFolderSplit,
  readTokenManifest,
  WINDOW_SHAPE,
  windowCount,
  WindowStream,
} from "../train/token_stream.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

Deno.test("permuteIndex is a bijection of [0, n) for many sizes, and depends on the key", () => {
  for (const n of [1, 2, 3, 7, 16, 17, 1000, 4097]) {
    for (const key of [0, 12345, epochKey(7, 3)]) {
      const image = range(n).map((i) => permuteIndex(i, n, key));
      assertEquals([...image].sort((a, b) => a - b), range(n), `n=${n} key=${key}`);
    }
  }
  const a = range(1000).map((i) => permuteIndex(i, 1000, epochKey(1, 0)));
  const b = range(1000).map((i) => permuteIndex(i, 1000, epochKey(1, 1)));
  const c = range(1000).map((i) => permuteIndex(i, 1000, epochKey(2, 0)));
  assertNotEquals(a, b);
  assertNotEquals(a, c);
  assert(a.filter((x, i) => x === i).length < 20, "a shuffle leaves few fixed points");
  assertThrows(() => permuteIndex(5, 5, 0), RangeError);
});

async function fixture(dtype: "uint16" | "uint32" = "uint16") {
  const dir = await Deno.makeTempDir();
  const rng = new Rng(3);
  const docs = { train: randomDocuments(rng, 30, 300), valid: randomDocuments(rng, 5, 300) };
  await writeTokenFolder(dir, docs, { vocabSize: 300, dtype, shardTokens: 150 });
  return { dir, docs };
}

for (const dtype of ["uint16", "uint32"] as const) {
  Deno.test(`a ${dtype} token folder reads back as its documents, each followed by eot, across shards`, async () => {
    const { dir, docs } = await fixture(dtype);
    const expected = docs.train.flatMap((d) => [...d, 4]);
    const split = await openTokenFolderSplit(dir, "train");
    assertEquals(split.length, expected.length);
    assertEquals([...split.read(0, split.length)], expected);
    assertEquals([...split.read(100, 130)], expected.slice(100, 130));
    const valid = await openTokenFolderSplit(dir, "valid");
    assertEquals([...valid.read(0, valid.length)], docs.valid.flatMap((d) => [...d, 4]));
  });
}

Deno.test("token folder errors name the file: missing manifest, bad format, damaged or short shard", async () => {
  const { dir } = await fixture();
  const empty = await Deno.makeTempDir();
  await assertRejects(() => readTokenManifest(empty), InputError, join(empty, "manifest.json"));
  const manifestPath = join(dir, "manifest.json");
  const manifest = JSON.parse(await Deno.readTextFile(manifestPath));
  await Deno.writeTextFile(manifestPath, JSON.stringify({ ...manifest, format: "other/9" }));
  await assertRejects(() => readTokenManifest(dir), InputError, "format: expected");
  await Deno.writeTextFile(manifestPath, JSON.stringify(manifest));
  const shard = join(dir, manifest.splits.train.shards[1].file);
  const bytes = await Deno.readFile(shard);
  bytes[0] ^= 1;
  await Deno.writeFile(shard, bytes);
  await assertRejects(() => openTokenFolderSplit(dir, "train"), InputError, `${shard}: sha256`);
  await Deno.writeFile(shard, bytes.subarray(0, bytes.length - 2));
  await assertRejects(() => openTokenFolderSplit(dir, "train"), InputError, "bytes; manifest.json says");
});

Deno.test("decoder windows: T+1 tokens at stride T, every window once per epoch, seeded order", async () => {
  const { dir } = await fixture();
  const split = await openTokenFolderSplit(dir, "train");
  const all = split.read(0, split.length);
  const T = 16;
  const { length, stride } = WINDOW_SHAPE.decoder(T);
  const stream = new WindowStream(split, length, stride, 11);
  assertEquals(stream.count, Math.floor((split.length - 1) / T));
  const starts = (s: WindowStream) =>
    range(s.count).map(() => {
      const w = s.next();
      assertEquals(w.length, T + 1);
      const start = range(s.count).map((i) => i * T).find((st) =>
        all.subarray(st, st + T + 1).every((x, j) => x === w[j])
      )!;
      return start;
    });
  const epoch0 = starts(stream);
  assertEquals([...epoch0].sort((a, b) => a - b), range(stream.count).map((i) => i * T));
  assertEquals(stream.cursor, { epoch: 1, index: 0 });
  const epoch1 = starts(stream);
  assertNotEquals(epoch1, epoch0);
  assertEquals(starts(new WindowStream(split, length, stride, 11)), epoch0);
  assertNotEquals(starts(new WindowStream(split, length, stride, 12)), epoch0);
});

Deno.test("a stream rebuilt from its cursor continues with the same windows", async () => {
  const { dir } = await fixture();
  const split = await openTokenFolderSplit(dir, "train");
  const a = new WindowStream(split, 9, 8, 5);
  for (let i = 0; i < a.count + 3; i++) a.next(); // into the second epoch
  const b = new WindowStream(split, 9, 8, 5, a.cursor);
  for (let i = 0; i < 2 * a.count; i++) assertEquals(b.next(), a.next());
  assertThrows(() => new WindowStream(split, 9, 8, 5, { epoch: 0, index: a.count }), InputError, "cursor");
  assertThrows(() => new WindowStream(split, split.length + 1, 8, 5), InputError, "no window");
});

Deno.test("encoder rows: T-2 tokens framed [CLS] ... [SEP]", () => {
  assertEquals(WINDOW_SHAPE.encoder(8), { length: 6, stride: 6 });
  assertEquals([...frameEncoderRow(Int32Array.from([7, 8, 9]))], [1, 7, 8, 9, 2]);
  assertEquals(windowCount(20, 6, 6), 3);
  assertEquals(windowCount(5, 6, 6), 0);
});

Deno.test("BatchStream restored from its state gives the same batches (masks included)", async () => {
  const { dir } = await fixture();
  const split = await openTokenFolderSplit(dir, "train");
  for (const arch of ["encoder", "decoder"] as const) {
    const opts = { seqLen: 12, batch: 3, seed: 9, vocabSize: 300 };
    const a = new BatchStream(toyKit, arch, split, opts);
    for (let i = 0; i < 5; i++) a.next();
    const b = new BatchStream(toyKit, arch, split, opts, a.state());
    for (let i = 0; i < 10; i++) assertEquals(b.next(), a.next());
    const first = new BatchStream(toyKit, arch, split, opts).next();
    assertEquals(first.tokens.length, 3 * 12);
    if (arch === "encoder") {
      assertEquals(first.tokens[0], 1);
      assertEquals(first.tokens[11], 2);
    }
  }
});

Deno.test("validation batches are identical on every call and come from the start of the valid split", async () => {
  const { dir, docs } = await fixture();
  const valid = await openTokenFolderSplit(dir, "valid");
  for (const arch of ["encoder", "decoder"] as const) {
    const opts = { seqLen: 10, batch: 2, batches: 3, vocabSize: 300 };
    const a = validationBatches(toyKit, arch, valid, opts);
    assertEquals(validationBatches(toyKit, arch, valid, opts), a);
    assertEquals(a.length, 3);
    if (arch === "decoder") {
      assertEquals([...a[0].tokens.subarray(0, 10)], docs.valid.flatMap((d) => [...d, 4]).slice(0, 10));
    }
  }
  assertThrows(
    () =>
      validationBatches(toyKit, "decoder", valid, {
        seqLen: valid.length,
        batch: 1,
        batches: 1,
        vocabSize: 300,
        source: "x/manifest.json",
      }),
    InputError,
    "x/manifest.json",
  );
});
