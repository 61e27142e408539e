/**
 * The artifact store (artifacts/): keys from canonical JSON, the record with every file's sha256, found /
 * built / resumed, refusing a folder that holds something else, verification of inputs, the code version
 * following imports, and stages run in a worker process with progress and errors coming back.
 */
import { assert, assertEquals, assertNotEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { canonicalJson, jsonDiff, keyOf } from "../artifacts/hash.ts";
import { codeVersion } from "../artifacts/code_version.ts";
import { readRecord, RECORD_FILE, verifyArtifact } from "../artifacts/record.ts";
import { buildArtifact, inputKey, owningArtifact } from "../artifacts/store.ts";
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";
import { type EchoSpec, stage as echo } from "./fixtures/echo_stage.ts";

Deno.test("canonical JSON and keys: key order does not matter, values do; jsonDiff names the paths", () => {
  assertEquals(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } }),
    '{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}',
  );
  assertEquals(keyOf({ a: 1, b: 2 }), keyOf({ b: 2, a: 1 }));
  assertEquals(keyOf({ a: 1 }), sha256('{"a":1}').slice(0, 16));
  assertNotEquals(keyOf({ a: 1 }), keyOf({ a: 2 }));
  assertEquals(jsonDiff({ a: 1, b: [1, 2] }, { a: 1, b: [1, 3], c: true }), [
    "b: [1,2] vs [1,3]",
    "c: undefined vs true",
  ]);
});

Deno.test("the code version covers what a module imports, not what it does not", async () => {
  const v = await codeVersion(echo.module);
  assert(v.files.includes("tests/fixtures/echo_stage.ts") && v.files.includes("util/errors.ts"), v.files.join(" "));
  assert(v.files.includes("artifacts/stage.ts"), "type imports count too");
  assert(!v.files.includes("train/loop.ts"));
  const pretrain = await codeVersion(new URL("../train/pretrain_stage.ts", import.meta.url).href);
  for (const f of ["train/loop.ts", "models/transformer.ts", "models/configs/tiny.json"]) {
    assert(pretrain.files.includes(f), `${f} in the pretrain stage's code version`);
  }
  assertNotEquals(v.hash, pretrain.hash);
});

Deno.test("build, find, refuse, force: one folder per key, a record with every file's sha256", async () => {
  const root = await Deno.makeTempDir();
  const out = join(root, "a");
  const first = await buildArtifact(echo, { text: "hello" }, {}, { out });
  assertEquals(first.status, "built");
  assertEquals(await Deno.readTextFile(join(out, "echo.txt")), "hello ");
  const record = (await readRecord(out))!;
  assertEquals(record.kind, "echo");
  assertEquals(record.spec, { text: "hello" });
  assertEquals(Object.keys(record.files).sort(), ["attempts.txt", "echo.txt"]);
  assertEquals(record.files["echo.txt"], sha256("hello "));
  assertEquals(record.details, { attempts: 1 });
  assertEquals((await buildArtifact(echo, { text: "hello" }, {}, { out })).status, "found");
  // Another spec in the same folder: refused with what differs; --force replaces it.
  const err = await assertRejects(() => buildArtifact(echo, { text: "bye" }, {}, { out }), InputError);
  assertStringIncludes(err.message, 'text: "hello" vs "bye"');
  assertEquals((await buildArtifact(echo, { text: "bye" }, {}, { out, force: true })).status, "built");
  // A folder that is not an artifact is refused.
  const other = join(root, "notes");
  await Deno.mkdir(other);
  await Deno.writeTextFile(join(other, "x.txt"), "mine");
  await assertRejects(
    () => buildArtifact(echo, { text: "x" }, {}, { out: other }),
    InputError,
    "not a finished artifact",
  );
  // The default folder from the key.
  const named = await buildArtifact(echo, { text: "k" }, {}, { out: (key) => join(root, `echo-${key}`) });
  assertEquals(named.dir, join(root, `echo-${named.key}`));
  await Deno.remove(root, { recursive: true });
});

Deno.test("a failed run leaves a partial folder; a resumable stage resumes in it, the record counts the resume", async () => {
  const root = await Deno.makeTempDir();
  const out = join(root, "r");
  await assertRejects(
    () => buildArtifact(echo, { text: "t", fail: "once" }, {}, { out }),
    Error,
    "first attempt fails",
  );
  assertEquals(await Deno.readTextFile(join(out + ".partial", "attempts.txt")), "1");
  const again = await buildArtifact(echo, { text: "t", fail: "once" }, {}, { out });
  assertEquals(again.status, "resumed");
  assertEquals(again.record.resumes, 1);
  assertEquals(again.record.details, { attempts: 2 });
  assertEquals(await Array.fromAsync(Deno.readDir(root)).then((es) => es.map((e) => e.name)), ["r"]);
  // A partial folder of another spec is not resumed by a resumable stage: refused, unless forced.
  const out2 = join(root, "s");
  await assertRejects(() => buildArtifact(echo, { text: "u", fail: "once" }, {}, { out: out2 }));
  const err = await assertRejects(() => buildArtifact(echo, { text: "v" }, {}, { out: out2 }), InputError);
  assertStringIncludes(err.message, "unfinished echo with other settings");
  assertEquals((await buildArtifact(echo, { text: "v" }, {}, { out: out2, force: true })).record.details, {
    attempts: 1,
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("inputs: keys from records (and the path inside), files and folders; tampered inputs are refused", async () => {
  const root = await Deno.makeTempDir();
  const a = await buildArtifact(echo, { text: "a" }, {}, { out: join(root, "a") });
  assertEquals(await inputKey(a.dir), a.key);
  assertEquals(await inputKey(join(a.dir, "echo.txt")), keyOf({ artifact: a.key, path: "echo.txt" }));
  assertEquals((await owningArtifact(join(a.dir, "echo.txt")))?.sub, "echo.txt");
  const file = join(root, "plain.txt");
  await Deno.writeTextFile(file, "plain");
  assertEquals(await inputKey(file), keyOf({ file: sha256("plain") }));
  const b = await buildArtifact(echo, { text: "b" }, { from: { dir: a.dir } }, { out: join(root, "b") });
  assertEquals(b.record.inputs.from, { key: a.key, path: "../a" });
  assertEquals(await Deno.readTextFile(join(b.dir, "echo.txt")), "b from");
  // Another input key makes another artifact.
  const c = await buildArtifact(echo, { text: "b" }, { from: { dir: file } }, { out: (k) => join(root, `b-${k}`) });
  assertNotEquals(c.key, b.key);
  // Editing a finished input is caught before use, naming the file.
  await Deno.writeTextFile(join(a.dir, "echo.txt"), "edited");
  const err = await assertRejects(() => verifyArtifact(a.dir), InputError);
  assertStringIncludes(err.message, join(a.dir, "echo.txt"));
  await assertRejects(
    () => buildArtifact(echo, { text: "z" }, { from: { dir: a.dir } }, { out: join(root, "z") }),
    InputError,
    "sha256",
  );
  await Deno.writeTextFile(join(a.dir, "extra.txt"), "x");
  await assertRejects(() => verifyArtifact(a.dir, "extra.txt"), InputError, "not in the artifact record");
  await Deno.writeTextFile(join(a.dir, RECORD_FILE), "{");
  await assertRejects(() => readRecord(a.dir), InputError, "cannot read the artifact record");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a stage in a worker process: progress and lines come back, prints go to stage.log, errors keep their kind", async () => {
  const root = await Deno.makeTempDir();
  const fractions: number[] = [];
  const said: string[] = [];
  const progress = { fraction: (f: number) => fractions.push(f), say: (t: string) => said.push(t) };
  const built = await buildArtifact(echo, { text: "w" } as EchoSpec, {}, {
    out: join(root, "w"),
    isolate: true,
    progress,
  });
  assertEquals(built.record.details, { attempts: 1 });
  assertEquals(fractions, [0.5]);
  assertEquals(said, ["echo w"]);
  assertStringIncludes(await Deno.readTextFile(join(built.dir, "stage.log")), "printed by the stage");
  const input = await assertRejects(
    () => buildArtifact(echo, { text: "x", fail: "input" }, {}, { out: join(root, "x"), isolate: true }),
    InputError,
  );
  assertEquals(input.message, "echo.json:3: bad input for echo");
  const crash = await assertRejects(() =>
    buildArtifact(echo, { text: "y", fail: "crash" }, {}, { out: join(root, "y"), isolate: true })
  );
  assert(!(crash instanceof InputError));
  assertStringIncludes((crash as Error).message, "echo crashed");
  await Deno.remove(root, { recursive: true });
});

Deno.test("a partial folder locked by a live process is refused with its pid", async () => {
  const root = await Deno.makeTempDir();
  const partial = join(root, "l.partial");
  await Deno.mkdir(partial);
  const sleeper = new Deno.Command("sleep", { args: ["30"] }).spawn();
  await Deno.writeTextFile(join(partial, ".lock"), `${sleeper.pid}\n`); // the bare-pid form util/lock.ts also reads
  try {
    const err = await assertRejects(() => buildArtifact(echo, { text: "l" }, {}, { out: join(root, "l") }), InputError);
    assertStringIncludes(err.message, String(sleeper.pid));
  } finally {
    sleeper.kill();
    await sleeper.status;
  }
  await Deno.remove(root, { recursive: true });
});
