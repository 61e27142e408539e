/** Token shards (write, read by range, sha256 checks) and the corpus -> tokenizer + shards pipeline. */
import { assert, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { type Document, splitOf } from "../data/corpus.ts";
import { loadTokenizer } from "../tokenizer/hf_json.ts";
import { tokenizeCorpus } from "../tokenizer/pipeline.ts";
import {
  openTokenSplit,
  readManifest,
  ShardWriter,
  type TokenManifest,
  TOKENS_FORMAT,
  writeManifest,
} from "../tokenizer/shards.ts";
import { EOT_ID } from "../tokenizer/specials.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256, sha256File } from "../util/fs.ts";
import { Rng } from "../util/rng.ts";

/** Writes a two-split token folder of random documents with tiny shards; returns the expected streams. */
async function writeFolder(dir: string, dtype: "uint16" | "uint32", maxShardTokens = 7) {
  const rng = new Rng(4);
  const vocabSize = dtype === "uint16" ? 65536 : 70000;
  const docs = {
    train: Array.from({ length: 9 }, () => Array.from({ length: rng.int(12) }, () => 5 + rng.int(vocabSize - 5))),
    valid: Array.from({ length: 2 }, () => Array.from({ length: 1 + rng.int(5) }, () => 5 + rng.int(vocabSize - 5))),
  };
  const splits = {} as TokenManifest["splits"];
  for (const split of ["train", "valid"] as const) {
    const writer = new ShardWriter(dir, split, { dtype, vocabSize, eot: EOT_ID, maxShardTokens });
    for (const d of docs[split]) await writer.addDocument(d);
    splits[split] = await writer.finish();
  }
  await Deno.writeTextFile(join(dir, "tokenizer.json"), "{}");
  await writeManifest(dir, {
    format: TOKENS_FORMAT,
    tokenizer: { file: "tokenizer.json", sha256: sha256("{}") },
    vocabSize,
    dtype,
    eot: EOT_ID,
    seed: 0,
    splits,
    corpus: {},
  });
  const stream = (split: "train" | "valid") => docs[split].flatMap((d) => [...d, EOT_ID]);
  return { docs, stream, splits };
}

for (const dtype of ["uint16", "uint32"] as const) {
  Deno.test(`${dtype} shards hold each document then eot, cut every 7 tokens, and read back by any range`, async () => {
    const dir = await Deno.makeTempDir();
    const { docs, stream, splits } = await writeFolder(dir, dtype);
    const train = stream("train");
    assertEquals(splits.train.tokens, train.length);
    assertEquals(splits.train.documents, 9);
    assertEquals(splits.train.shards.map((s) => s.tokens), [
      ...Array(Math.floor(train.length / 7)).fill(7),
      ...(train.length % 7 ? [train.length % 7] : []),
    ]);
    // A shard's documents are those whose eot falls in it.
    splits.train.shards.forEach((s, i) =>
      assertEquals(s.documents, train.slice(i * 7, i * 7 + s.tokens).filter((t) => t === EOT_ID).length)
    );
    assertEquals(splits.train.shards[0].file, "train-00000.bin");

    const split = await openTokenSplit(dir, "train");
    assertEquals(split.length, train.length);
    assertEquals(split.documents, docs.train.length);
    assertEquals([...split.read(0, split.length)], train);
    const rng = new Rng(1);
    for (let i = 0; i < 200; i++) {
      const start = rng.int(train.length + 1), end = start + rng.int(train.length - start + 1);
      assertEquals([...split.read(start, end)], train.slice(start, end), `[${start}, ${end})`);
    }
    assertThrows(() => split.read(0, train.length + 1), RangeError);
    assertThrows(() => split.read(3, 2), RangeError);
    assertEquals([...(await openTokenSplit(dir, "valid")).read(0, stream("valid").length)], stream("valid"));
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("shard files are raw little-endian ids", async () => {
  const dir = await Deno.makeTempDir();
  const writer = new ShardWriter(dir, "train", { dtype: "uint16", vocabSize: 1000, eot: EOT_ID });
  await writer.addDocument([258, 7]);
  const info = await writer.finish();
  assertEquals(await Deno.readFile(join(dir, "train-00000.bin")), new Uint8Array([2, 1, 7, 0, 4, 0]));
  assertEquals(info.shards[0].sha256, await sha256File(join(dir, "train-00000.bin")));
  const wide = new ShardWriter(dir, "valid", { dtype: "uint32", vocabSize: 70000, eot: EOT_ID });
  await wide.addDocument([65536 + 258]);
  await wide.finish();
  assertEquals(await Deno.readFile(join(dir, "valid-00000.bin")), new Uint8Array([2, 1, 1, 0, 4, 0, 0, 0]));
  await assertRejects(() => writer.addDocument([1000]), RangeError, "outside the vocabulary");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("opening a split checks every shard: a changed byte or a wrong size is an InputError naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const { splits } = await writeFolder(dir, "uint16");
  const victim = join(dir, splits.train.shards[1].file);
  const bytes = await Deno.readFile(victim);
  bytes[0] ^= 1;
  await Deno.writeFile(victim, bytes);
  await assertRejects(() => openTokenSplit(dir, "train"), InputError, `${victim}: sha256`);
  (await openTokenSplit(dir, "valid")).read(0, 1); // the other split is untouched
  (await openTokenSplit(dir, "train", { verify: false })).read(0, 1); // verify: false skips hashing, not sizes
  await Deno.writeFile(victim, bytes.subarray(0, 5));
  await assertRejects(
    () => openTokenSplit(dir, "train", { verify: false }),
    InputError,
    `${victim}: shard has 5 bytes`,
  );
  await Deno.remove(victim);
  await assertRejects(() => openTokenSplit(dir, "train"), InputError, victim);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a bad manifest is an InputError naming manifest.json and the field", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejects(() => readManifest(dir), InputError, join(dir, "manifest.json"));
  await writeFolder(dir, "uint16");
  const good = await readManifest(dir);
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ ...good, format: "other/1", dtype: "int8" }));
  await assertRejects(() => readManifest(dir), InputError, 'format: expected "headless-bench-tokens/1"');
  await assertRejects(() => readManifest(dir), InputError, 'dtype: expected "uint16" or "uint32"');
  const wrongTotal = { ...good, splits: { ...good.splits, valid: { ...good.splits.valid, tokens: 1 } } };
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify(wrongTotal));
  await assertRejects(() => readManifest(dir), InputError, "splits.valid.tokens differs");
  await Deno.remove(dir, { recursive: true });
});

/** Small documents with a shared word stock, so BPE has pairs to merge. */
function corpus(n: number, seed = 8): Document[] {
  const rng = new Rng(seed);
  const words = [
    "head",
    "less",
    "model",
    "token",
    "weight",
    "tie",
    "contrast",
    "learn",
    "the",
    "of",
    "café",
    "日本",
    "🎉",
    "1990",
  ];
  return Array.from({ length: n }, (_, i) => ({
    id: `toy/doc${i}`,
    source: "toy",
    text: Array.from(
      { length: 50 + rng.int(150) },
      () => words[rng.int(words.length)] + (rng.next() < 0.1 ? ".\n" : " "),
    ).join("").trim(),
  }));
}

Deno.test("tokenizeCorpus writes tokenizer.json, manifest and shards; the splits decode back to their documents", async () => {
  const parent = await Deno.makeTempDir();
  const outDir = join(parent, "out");
  const docs = corpus(60);
  const stats = await tokenizeCorpus({
    docs,
    vocabSize: 4096,
    seed: 3,
    validFraction: 0.2,
    outDir,
    maxShardTokens: 1000,
  });
  assertEquals([...Deno.readDirSync(parent)].map((e) => e.name), ["out"], "no temporary folder is left beside it");
  const names = [...Deno.readDirSync(outDir)].map((e) => e.name).sort();
  assert(
    names.includes("manifest.json") && names.includes("tokenizer.json") && names.includes("train-00001.bin"),
    names.join(" "),
  );
  assert(!names.some((n) => n.includes("tmp")), names.join(" "));

  const manifest = await readManifest(outDir);
  assertEquals([manifest.format, manifest.dtype, manifest.eot, manifest.seed], [TOKENS_FORMAT, "uint16", EOT_ID, 3]);
  assertEquals(manifest.tokenizer.sha256, await sha256File(join(outDir, "tokenizer.json")));
  const tok = await loadTokenizer(join(outDir, "tokenizer.json"));
  assertEquals(manifest.vocabSize, tok.vocabSize);
  assertEquals(tok.vocabSize, 261 + stats.merges);
  // The corpus has 14 distinct words: BPE runs out of repeated pairs once each (with its space) is a token.
  assertEquals(tok.encode(" contrast weight").length, 2);
  assertEquals(stats.roundTrip?.failures, 0);
  assertEquals(stats.roundTrip?.documents, 60);

  for (const split of ["train", "valid"] as const) {
    const expected = docs.filter((d) => splitOf(d.id, 0.2, 3) === split).map((d) => d.text);
    assert(expected.length > 0, `${split} has documents`);
    const ids = (await openTokenSplit(outDir, split)).read(0, stats.splits[split].tokens);
    const decoded: string[] = [];
    for (let start = 0, i = 0; i < ids.length; i++) {
      if (ids[i] === EOT_ID) {
        decoded.push(tok.decode(ids.subarray(start, i)));
        start = i + 1;
      }
    }
    assertEquals(decoded, expected);
    assertEquals(stats.splits[split].documents, expected.length);
    assertEquals(manifest.splits[split].tokens, stats.splits[split].tokens);
  }
  await Deno.remove(parent, { recursive: true });
});

Deno.test("tokenizeCorpus is deterministic, trains BPE on the train split only, and samples it by seed under a cap", async () => {
  const parent = await Deno.makeTempDir();
  const docs = corpus(40);
  const run = (name: string, extra: Record<string, number> = {}) =>
    tokenizeCorpus({ docs, vocabSize: 4096, seed: 1, validFraction: 0.25, outDir: join(parent, name), ...extra });
  const a = await run("a"), b = await run("b");
  assertEquals(b.splits, a.splits);
  const file = (name: string, f: string) => Deno.readFile(join(parent, name, f));
  assertEquals(await file("b", "tokenizer.json"), await file("a", "tokenizer.json"));
  assertEquals((await readManifest(join(parent, "b"))).splits, (await readManifest(join(parent, "a"))).splits);
  assertEquals(a.bpe!.documents, a.splits.train.documents);
  assertEquals(a.bpe!.bytes, a.splits.train.bytes);

  // Valid text only (a word no train document has) never becomes a merge.
  const marked = docs.map((d) =>
    splitOf(d.id, 0.25, 1) === "valid" ? { ...d, text: d.text + " zqzqzqzq zqzqzqzq" } : d
  );
  await tokenizeCorpus({ docs: marked, vocabSize: 4096, seed: 1, validFraction: 0.25, outDir: join(parent, "m") });
  const marks = (await loadTokenizer(join(parent, "m", "tokenizer.json"))).tokens.filter((t) => t.includes("zq"));
  assertEquals(marks, []);

  const cap = Math.floor(a.splits.train.bytes / 3);
  const c1 = await run("c1", { maxTrainBytes: cap }), c2 = await run("c2", { maxTrainBytes: cap });
  assertEquals(c2.bpe!, { ...c1.bpe!, seconds: c2.bpe!.seconds });
  assert(c1.bpe!.bytes <= cap && c1.bpe!.documents < a.splits.train.documents, `${c1.bpe!.bytes} bytes of ${cap}`);
  assertEquals(await file("c2", "tokenizer.json"), await file("c1", "tokenizer.json"));
  assertNotEquals(c1.bpe!.bytes, a.bpe!.bytes);
  await Deno.remove(parent, { recursive: true });
});

Deno.test("tokenizeCorpus with a given tokenizer encodes with it, trains nothing, and refuses one larger than the vocabulary", async () => {
  const parent = await Deno.makeTempDir();
  const docs = corpus(30);
  const trained = await tokenizeCorpus({
    docs,
    vocabSize: 4096,
    seed: 2,
    validFraction: 0.2,
    outDir: join(parent, "t"),
  });
  const given = await loadTokenizer(join(parent, "t", "tokenizer.json"));
  const reused = await tokenizeCorpus({
    docs,
    vocabSize: 4096,
    seed: 2,
    validFraction: 0.2,
    outDir: join(parent, "g"),
    tokenizer: given,
  });
  assertEquals(reused.bpe, null);
  assertEquals(reused.splits, trained.splits);
  assertEquals(
    await Deno.readFile(join(parent, "g", "tokenizer.json")),
    await Deno.readFile(join(parent, "t", "tokenizer.json")),
  );
  assertEquals((await readManifest(join(parent, "g"))).splits, (await readManifest(join(parent, "t"))).splits);
  await assertRejects(
    () =>
      tokenizeCorpus({
        docs,
        vocabSize: 4096,
        outDir: join(parent, "x"),
        tokenizer: { ...given, vocabSize: 5000 } as typeof given,
      }),
    InputError,
    "more than the 4096",
  );
  assertEquals(await exists(join(parent, "x")), false);
  await Deno.remove(parent, { recursive: true });
});

Deno.test("tokenizeCorpus: a failing corpus fails the call; a non-empty folder or bad settings are InputErrors", async () => {
  // Atomicity is the artifact store's (a stage writes into a partial folder renamed when complete; tests/artifacts_test.ts).
  const parent = await Deno.makeTempDir();
  const outDir = join(parent, "out");
  async function* failing(): AsyncGenerator<Document> {
    yield* corpus(5);
    throw new Error("disk on fire");
  }
  await assertRejects(() => tokenizeCorpus({ docs: failing(), vocabSize: 4096, outDir }), Error, "disk on fire");
  await Deno.remove(outDir, { recursive: true });
  await assertRejects(() => tokenizeCorpus({ docs: corpus(5), vocabSize: 70000, outDir }), InputError, "4096 to 65536");
  await assertRejects(
    () => tokenizeCorpus({ docs: corpus(5), vocabSize: 4096, outDir, validFraction: 1 }),
    InputError,
    "[0, 1)",
  );
  await assertRejects(() => tokenizeCorpus({ docs: [], vocabSize: 4096, outDir }), InputError, "no training documents");
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(join(outDir, "mine.txt"), "x");
  await assertRejects(() => tokenizeCorpus({ docs: corpus(5), vocabSize: 4096, outDir }), InputError, "not empty");
  await Deno.remove(parent, { recursive: true });
});

Deno.test("tasks/tokenize.ts tokenizes a corpus folder, reports the figures, and leaves an existing output alone", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "toy"));
  for (const doc of corpus(12)) await Deno.writeTextFile(join(dir, "toy", `${doc.id.split("/")[1]}.txt`), doc.text);
  const task = (...args: string[]) => {
    const { code, stdout, stderr } = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../tasks/tokenize.ts", import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
  };
  const args = ["--vocab", "4096", "--corpus", join(dir, "toy"), "--out", join(dir, "out"), "--valid-fraction", "0.3"];
  const first = task(...args);
  assertEquals(first.code, 0, first.err);
  for (
    const line of [
      /^train: \d+ documents, [\d,]+ words/m,
      /^BPE: \d+ merges .* learnt in/m,
      /tokens\/s/,
      /12\/12 documents, 0 failures/,
    ]
  ) {
    assert(line.test(first.out), `${line} in\n${first.out}`);
  }
  assertEquals(
    (await readManifest(join(dir, "out"))).splits.train.documents +
      (await readManifest(join(dir, "out"))).splits.valid.documents,
    12,
  );
  const again = task(...args);
  assert(again.out.startsWith("already done with these settings"), again.out);
  const bad = task("--vocab", "100");
  assertEquals(bad.code, 2);
  assert(bad.err.includes("--vocab must be an integer from 4096 to 65536"), bad.err);
  await Deno.remove(dir, { recursive: true });
});
