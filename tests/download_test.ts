import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import {
  DownloadError,
  downloadFile,
  fetchMissing,
  fillFromMirror,
  formatProgress,
  type Progress,
  STAGING_DIR,
} from "../data/download.ts";
import { selectSources, type Source, SOURCES, sourceUrl } from "../data/sources.ts";
import { splitXnliRelease } from "../data/xnli.ts";
import { loadXnli } from "../data/xnli.ts";
import { exists, sha256 } from "../util/fs.ts";
import { checkCached, missingFromCache, readDataManifest, requireCached, writeCacheFile } from "../data/cache.ts";
import { loadLambada } from "../data/lambada.ts";
import { acquireLock } from "../util/lock.ts";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { fixtureServer } from "./http_fixture.ts";

function bytesOf(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

Deno.test("a good file lands with the right sha256 and progress is reported", async () => {
  const body = bytesOf(300_000);
  const server = fixtureServer({ "/data/good.bin": { body } });
  try {
    const cache = await Deno.makeTempDir();
    const dest = join(cache, "good.bin");
    const progress: Progress[] = [];
    await downloadFile(`${server.base}/data/good.bin`, dest, {
      sha256: sha256(body),
      bytes: body.length,
      onProgress: (p) => progress.push(p),
    });
    assertEquals(sha256(await Deno.readFile(dest)), sha256(body));
    assertEquals(await exists(`${dest}.partial`), false);
    const last = progress.at(-1)!;
    assertEquals([last.received, last.total, last.done], [300_000, 300_000, true]);
    assertEquals(server.requests, [{ path: "/data/good.bin", range: null }]);
    assertEquals(formatProgress({ ...last, bytesPerSecond: 2.5e6 }), "good.bin: 0.3 / 0.3 MB (100%) at 2.5 MB/s, done");
  } finally {
    await server.close();
  }
});

Deno.test("a truncated transfer keeps .partial; the next call resumes with Range and completes", async () => {
  const body = bytesOf(100_000);
  const server = fixtureServer({ "/f.bin": { body, truncate: 1, cutAt: 40_000 } });
  try {
    const cache = await Deno.makeTempDir();
    const dest = join(cache, "f.bin");
    const url = `${server.base}/f.bin`;
    const err = await assertRejects(() => downloadFile(url, dest, { sha256: sha256(body) }), DownloadError);
    assertStringIncludes(err.message, `download of ${url} broke off after 40000 of 100000 bytes`);
    assertStringIncludes(err.message, "run again to resume");
    assertEquals(await exists(dest), false);
    assertEquals((await Deno.stat(`${dest}.partial`)).size, 40_000);

    await downloadFile(url, dest, { sha256: sha256(body) });
    assertEquals(server.requests.map((r) => r.range), [null, "bytes=40000-"]);
    assertEquals(sha256(await Deno.readFile(dest)), sha256(body));
    assertEquals(await exists(`${dest}.partial`), false);
  } finally {
    await server.close();
  }
});

Deno.test("a server that ignores Range (200) makes the download start over", async () => {
  const body = bytesOf(50_000);
  const server = fixtureServer({ "/f.bin": { body, ignoreRange: true } });
  try {
    const cache = await Deno.makeTempDir();
    const dest = join(cache, "f.bin");
    await Deno.writeFile(`${dest}.partial`, body.slice(0, 10_000)); // left by an earlier broken run
    await downloadFile(`${server.base}/f.bin`, dest, { sha256: sha256(body), bytes: body.length });
    assertEquals(server.requests.map((r) => r.range), ["bytes=10000-"]);
    assertEquals(sha256(await Deno.readFile(dest)), sha256(body));
  } finally {
    await server.close();
  }
});

Deno.test("a stale .partial longer than the file (416) is dropped and the download starts over", async () => {
  const body = bytesOf(30_000);
  const server = fixtureServer({ "/f.bin": { body } });
  try {
    const cache = await Deno.makeTempDir();
    const dest = join(cache, "f.bin");
    await Deno.writeFile(`${dest}.partial`, bytesOf(45_000, 3)); // a different, longer file from an old run
    await downloadFile(`${server.base}/f.bin`, dest, { sha256: sha256(body) });
    assertEquals(server.requests.map((r) => r.range), ["bytes=45000-", null]);
    assertEquals(sha256(await Deno.readFile(dest)), sha256(body));
  } finally {
    await server.close();
  }
});

Deno.test("a wrong checksum names expected and actual hash and leaves nothing behind", async () => {
  const body = bytesOf(20_000);
  const server = fixtureServer({ "/f.bin": { body } });
  try {
    const cache = await Deno.makeTempDir();
    const dest = join(cache, "f.bin");
    const expected = "0".repeat(64);
    const err = await assertRejects(
      () => downloadFile(`${server.base}/f.bin`, dest, { sha256: expected }),
      DownloadError,
    );
    assertStringIncludes(err.message, `expected sha256 ${expected}`);
    assertStringIncludes(err.message, `got sha256 ${sha256(body)}`);
    assertEquals(await exists(dest), false);
    assertEquals(await exists(`${dest}.partial`), false);
  } finally {
    await server.close();
  }
});

Deno.test("a 404 names the URL and leaves nothing in the cache", async () => {
  const server = fixtureServer({});
  try {
    const cache = await Deno.makeTempDir();
    const dest = join(cache, "missing.zip");
    const url = `${server.base}/glue/missing.zip`;
    await assertRejects(() => downloadFile(url, dest), DownloadError, `HTTP 404 Not Found for ${url}`);
    assertEquals([...Deno.readDirSync(cache)], []);
  } finally {
    await server.close();
  }
});

Deno.test("zips unpack into the cache layout (plain members and the XNLI release split by language)", async () => {
  const xnliHeader = "language\tgold_label\tsentence1_binary_parse\tsentence1\tsentence2\tpairID\n";
  const zip = zipSync({
    "TOY/train.tsv": strToU8("sentence\tlabel\nyes\t1\n"),
    "TOY/dev.tsv": strToU8("sentence\tlabel\nno\t0\n"),
    "TOY/test.tsv": strToU8("index\tsentence\n0\tmaybe\n"),
  });
  const xnliZip = zipSync({
    "XNLI-1.0/xnli.dev.tsv": strToU8(
      xnliHeader + 'en\tcontradiction\t(x)\tHe said, "Mama, I\'m home."\tHe said nothing.\t1\n' +
        "de\tcontradiction\t(x)\tEr sagte.\tEr schwieg.\t1\n" +
        "en\tentailment\t(x)\tYes.\tIndeed.\t2\n",
    ),
  });
  const sources: Source[] = [
    {
      name: "TOY",
      tags: ["glue"],
      base: "glue",
      file: "TOY.zip",
      sha256: sha256(zip),
      unpack: { kind: "zip", members: { "TOY/train.tsv": "glue/TOY/train.tsv", "TOY/dev.tsv": "glue/TOY/dev.tsv" } },
    },
    {
      name: "xnli-eval",
      tags: ["xnli"],
      base: "xnli",
      file: "XNLI-1.0.zip",
      sha256: sha256(xnliZip),
      unpack: { kind: "xnli-release", members: { "XNLI-1.0/xnli.dev.tsv": "dev" } },
    },
  ];
  const server = fixtureServer({ "/g/TOY.zip": { body: zip }, "/x/XNLI-1.0.zip": { body: xnliZip } });
  try {
    const cache = await Deno.makeTempDir();
    // Pre-fill some languages as a mirror fill would have (files and their MANIFEST.tsv rows): only the
    // missing ones are written.
    const kept = ["ar", "bg", "el", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"];
    for (const lang of kept) await writeCacheFile(cache, `xnli/${lang}/dev.tsv`, strToU8("kept"));
    const options = { sources, baseUrls: { glue: `${server.base}/g/`, xnli: `${server.base}/x` } };
    const report = await fetchMissing(cache, options);
    assertEquals(report.failed, []);
    assertEquals(report.fetched, [
      { source: "TOY", files: ["glue/TOY/train.tsv", "glue/TOY/dev.tsv"] },
      { source: "xnli-eval", files: ["xnli/de/dev.tsv", "xnli/en/dev.tsv"] },
    ]);
    assertEquals(await Deno.readTextFile(join(cache, "glue/TOY/dev.tsv")), "sentence\tlabel\nno\t0\n");
    assertEquals(await exists(join(cache, "glue/TOY/test.tsv")), false);
    assertEquals(
      await Deno.readTextFile(join(cache, "xnli/en/dev.tsv")),
      "id\tpremise\thypothesis\tlabel\n0\tHe said, Mama, I'm home.\tHe said nothing.\t2\n1\tYes.\tIndeed.\t0\n",
    );
    assertEquals((await loadXnli("de", "dev", cache)).examples, [{
      textA: "Er sagte.",
      textB: "Er schwieg.",
      label: 2,
    }]);
    assertEquals(await Deno.readTextFile(join(cache, "xnli/fr/dev.tsv")), "kept");
    assertEquals(await exists(join(cache, STAGING_DIR)), false);

    const again = await fetchMissing(cache, options);
    assertEquals(again.upToDate, ["TOY", "xnli-eval"]);
    assertEquals(server.requests.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("fetchMissing reports a failed source and goes on with the others", async () => {
  const body = strToU8('{"text": "a b"}\n');
  const sources: Source[] = [
    {
      name: "gone",
      tags: [],
      base: "glue",
      file: "gone.zip",
      unpack: { kind: "zip", members: { "a": "glue/A/dev.tsv" } },
    },
    {
      name: "lambada",
      tags: [],
      base: "lambada",
      file: "l.jsonl",
      sha256: sha256(body),
      unpack: { kind: "file", to: "lambada/lambada_test.jsonl" },
    },
    {
      name: "badzip",
      tags: [],
      base: "glue",
      file: "bad.zip",
      unpack: { kind: "zip", members: { "B/dev.tsv": "glue/B/dev.tsv" } },
    },
  ];
  const server = fixtureServer({ "/l.jsonl": { body }, "/bad.zip": { body: zipSync({ "C/dev.tsv": strToU8("x") }) } });
  try {
    const cache = await Deno.makeTempDir();
    const report = await fetchMissing(cache, { sources, baseUrls: { glue: server.base, lambada: server.base } });
    assertEquals(report.fetched, [{ source: "lambada", files: ["lambada/lambada_test.jsonl"] }]);
    assertEquals(report.failed.map((f) => f.source), ["gone", "badzip"]);
    assertStringIncludes(report.failed[0].message, `HTTP 404 Not Found for ${server.base}/gone.zip`);
    assertStringIncludes(report.failed[1].message, "bad.zip has no member B/dev.tsv (it holds: C/dev.tsv)");
    assertEquals(await Deno.readFile(join(cache, "lambada/lambada_test.jsonl")), body);
    assertEquals(await exists(join(cache, "glue")), false);
  } finally {
    await server.close();
  }
});

/** A mirror folder holding `files`, with a MANIFEST.tsv listing them (optionally lying about one). */
async function mirrorWith(files: Record<string, string>, lie?: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  const rows = ["path\tbytes\tlines\tsha256"];
  for (const [rel, text] of Object.entries(files)) {
    await Deno.mkdir(join(dir, rel, ".."), { recursive: true });
    await Deno.writeTextFile(join(dir, rel), text);
    const hash = rel === lie ? sha256("something else") : sha256(text);
    rows.push(`${rel}\t${new TextEncoder().encode(text).length}\t${text.split("\n").length - 1}\t${hash}`);
  }
  await Deno.writeTextFile(join(dir, "MANIFEST.tsv"), rows.join("\n") + "\n");
  return dir;
}

Deno.test("--data-dir: files are copied from a mirror only when they match its MANIFEST.tsv", async () => {
  const mirror = await mirrorWith({
    "glue/RTE/train.tsv": "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n",
    "glue/RTE/dev.tsv": "index\tsentence1\tsentence2\tlabel\n0\tc\td\tnot_entailment\n",
    "lambada/lambada_test.jsonl": '{"text": "x y"}\n',
  }, "glue/RTE/dev.tsv");
  const cache = await Deno.makeTempDir();
  const report = await fillFromMirror(mirror, cache, { sources: selectSources(["RTE", "lambada", "QNLI"]) });
  assertEquals(report.copied, ["glue/RTE/train.tsv", "lambada/lambada_test.jsonl"]);
  assertEquals(report.notInMirror, ["glue/QNLI/train.tsv", "glue/QNLI/dev.tsv"]);
  assertEquals(report.failed.length, 1);
  const message = report.failed[0].message;
  assertStringIncludes(message, `${join(mirror, "glue/RTE/dev.tsv")}: does not match MANIFEST.tsv`);
  assertStringIncludes(message, `expected sha256 ${sha256("something else")}`);
  assertStringIncludes(
    message,
    `got sha256 ${sha256("index\tsentence1\tsentence2\tlabel\n0\tc\td\tnot_entailment\n")}`,
  );
  assertEquals(await exists(join(cache, "glue/RTE/dev.tsv")), false);
  assertEquals([...Deno.readDirSync(join(cache, "glue/RTE"))].map((e) => e.name), ["train.tsv"]);

  const again = await fillFromMirror(mirror, cache, { sources: selectSources(["lambada"]) });
  assertEquals([again.copied, again.present], [[], ["lambada/lambada_test.jsonl"]]);
  const bare = await Deno.makeTempDir();
  await assertRejects(() => fillFromMirror(bare, cache), InputError, "no MANIFEST.tsv");
  await assertRejects(() => fillFromMirror(cache, cache), InputError, `${cache}: the mirror is the cache itself`);
});

Deno.test("cache verification: a 0-byte or edited file is not 'present': use fails naming it, --data-dir replaces it", async () => {
  const files = {
    "glue/RTE/train.tsv": "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n",
    "glue/RTE/dev.tsv": "index\tsentence1\tsentence2\tlabel\n0\tc\td\tnot_entailment\n",
    "lambada/lambada_test.jsonl": '{"text": "x y"}\n',
  };
  const mirror = await mirrorWith(files);
  const cache = await Deno.makeTempDir();
  const sources = selectSources(["RTE", "lambada"]);
  assertEquals((await fillFromMirror(mirror, cache, { sources })).copied.length, 3);
  // Every file written is recorded in the cache's own MANIFEST.tsv with the mirror's size and hash.
  const rows = await readDataManifest(cache);
  for (const [rel, text] of Object.entries(files)) {
    assertEquals([rows.get(rel)?.bytes, rows.get(rel)?.sha256], [strToU8(text).length, sha256(text)], rel);
  }
  assertEquals(await exists(join(cache, ".lock")), false);

  // A 0-byte file, and one edited in place (same size): every use names it, expected vs found, and the fix.
  await Deno.writeTextFile(join(cache, "glue/RTE/dev.tsv"), "");
  const edited = files["lambada/lambada_test.jsonl"].replace("x", "z");
  await Deno.writeTextFile(join(cache, "lambada/lambada_test.jsonl"), edited);
  const empty = await assertRejects(() => requireCached(cache, "glue/RTE/dev.tsv"), InputError);
  assertEquals(
    empty.message,
    `${join(cache, "glue/RTE/dev.tsv")}: does not match the cache's MANIFEST.tsv (expected ${
      strToU8(files["glue/RTE/dev.tsv"]).length
    } bytes, sha256 ${sha256(files["glue/RTE/dev.tsv"])}; found 0 bytes): run \`deno task data --cache-dir ${cache} ` +
      "--only RTE` to fetch it again (the file is replaced atomically), or add --data-dir MIRROR to copy it from a mirror",
  );
  await assertRejects(
    () => loadLambada(cache),
    InputError,
    `found ${strToU8(edited).length} bytes, sha256 ${
      sha256(edited)
    }): run \`deno task data --cache-dir ${cache} --only lambada\``,
  );
  await assertRejects(() => missingFromCache(cache, ["glue/RTE/dev.tsv"]), InputError, "does not match");

  const repair = await fillFromMirror(mirror, cache, { sources });
  assertEquals(repair.copied, ["glue/RTE/dev.tsv", "lambada/lambada_test.jsonl"]);
  assertEquals(repair.present, ["glue/RTE/train.tsv"]);
  assertEquals(repair.repaired.map((r) => r.file), repair.copied);
  assertStringIncludes(repair.repaired[0].message, "did not match MANIFEST.tsv (expected ");
  assertEquals(await Deno.readTextFile(join(cache, "lambada/lambada_test.jsonl")), files["lambada/lambada_test.jsonl"]);
  assertEquals((await loadLambada(cache)).length, 1);

  // A cache without rows (filled by an older version): the mirror's rows decide; a bad file is replaced,
  // good ones are recorded; a file no manifest lists is used as it is and said to be unverified.
  await Deno.remove(join(cache, "MANIFEST.tsv"));
  await Deno.writeTextFile(join(cache, "glue/RTE/train.tsv"), "junk");
  await Deno.mkdir(join(cache, "glue/QNLI"), { recursive: true });
  await Deno.writeTextFile(join(cache, "glue/QNLI/dev.tsv"), "mine");
  const old = await fillFromMirror(mirror, cache, { sources: selectSources(["RTE", "lambada", "QNLI"]) });
  assertEquals(old.copied, ["glue/RTE/train.tsv"]);
  assertStringIncludes(old.repaired[0].message, "found 4 bytes");
  assertEquals(old.present, ["glue/QNLI/dev.tsv", "glue/RTE/dev.tsv", "lambada/lambada_test.jsonl"]);
  assertEquals(old.unverified, ["glue/QNLI/dev.tsv"]);
  assertEquals(old.notInMirror, ["glue/QNLI/train.tsv"]);
  assertEquals([...(await readDataManifest(cache)).keys()], Object.keys(files).sort());
  assertEquals((await checkCached(cache, "glue/QNLI/dev.tsv")).state, "unlisted");
  assertEquals(await requireCached(cache, "glue/QNLI/dev.tsv"), join(cache, "glue/QNLI/dev.tsv"));
});

Deno.test("cache verification: fetchMissing re-fetches a broken file and checks unlisted ones against the download", async () => {
  const train = "sentence\tlabel\nyes\t1\n", dev = "sentence\tlabel\nno\t0\n";
  const zip = zipSync({ "TOY/train.tsv": strToU8(train), "TOY/dev.tsv": strToU8(dev) });
  const sources: Source[] = [{
    name: "TOY",
    tags: ["glue"],
    base: "glue",
    file: "TOY.zip",
    sha256: sha256(zip),
    unpack: { kind: "zip", members: { "TOY/train.tsv": "glue/TOY/train.tsv", "TOY/dev.tsv": "glue/TOY/dev.tsv" } },
  }];
  const server = fixtureServer({ "/TOY.zip": { body: zip } });
  try {
    const cache = await Deno.makeTempDir();
    const options = { sources, baseUrls: { glue: server.base } };
    assertEquals((await fetchMissing(cache, options)).fetched, [{
      source: "TOY",
      files: ["glue/TOY/train.tsv", "glue/TOY/dev.tsv"],
    }]);
    assertEquals((await readDataManifest(cache)).get("glue/TOY/dev.tsv")?.sha256, sha256(dev));

    await Deno.writeTextFile(join(cache, "glue/TOY/dev.tsv"), "");
    const repaired = await fetchMissing(cache, options);
    assertEquals(repaired.fetched, [{ source: "TOY", files: ["glue/TOY/dev.tsv"] }]);
    assertEquals(repaired.repaired.map((r) => r.file), ["glue/TOY/dev.tsv"]);
    assertStringIncludes(
      repaired.repaired[0].message,
      `did not match the cache's MANIFEST.tsv (expected ${strToU8(dev).length} bytes`,
    );
    assertEquals(await Deno.readTextFile(join(cache, "glue/TOY/dev.tsv")), dev);
    assertEquals(server.requests.length, 2);

    // Rows lost (a cache from an older version), one file edited: one download checks both.
    await Deno.remove(join(cache, "MANIFEST.tsv"));
    await Deno.writeTextFile(join(cache, "glue/TOY/train.tsv"), "edited");
    const old = await fetchMissing(cache, options);
    assertEquals(old.fetched, [{ source: "TOY", files: ["glue/TOY/train.tsv"] }]);
    assertStringIncludes(
      old.repaired[0].message,
      "had no row in the cache's MANIFEST.tsv and differed from the download",
    );
    assertEquals(await Deno.readTextFile(join(cache, "glue/TOY/train.tsv")), train);
    assertEquals([...(await readDataManifest(cache)).keys()], ["glue/TOY/dev.tsv", "glue/TOY/train.tsv"]);
    assertEquals(server.requests.length, 3);
    assertEquals((await fetchMissing(cache, options)).upToDate, ["TOY"]);
    assertEquals(server.requests.length, 3);
  } finally {
    await server.close();
  }
});

Deno.test("cache fills take the cache's lock only to write: a fill blocked by a live one says so in one line", async () => {
  const mirror = await mirrorWith({ "lambada/lambada_test.jsonl": '{"text": "a b"}\n' });
  const cache = await Deno.makeTempDir();
  const sources = selectSources(["lambada"]);
  const lock = await acquireLock(cache, { command: "deno task data" });
  try {
    const e = await assertRejects(() => fillFromMirror(mirror, cache, { sources }), InputError);
    assertEquals(e.message.split("\n").length, 1);
    assertStringIncludes(e.message, `${cache}: in use by pid ${Deno.pid} (deno task data, since `);
    await assertRejects(
      () => fetchMissing(cache, { sources, baseUrls: { lambada: "http://127.0.0.1:9" } }),
      InputError,
      "in use by pid",
    );
  } finally {
    await lock.release();
  }
  assertEquals((await fillFromMirror(mirror, cache, { sources })).copied, ["lambada/lambada_test.jsonl"]);
  // Nothing to write: no lock is needed, so a held one does not stand in the way.
  await using _held = await acquireLock(cache);
  assertEquals((await fillFromMirror(mirror, cache, { sources })).present, ["lambada/lambada_test.jsonl"]);
});

Deno.test("sources: --only picks groups, tasks and names; URLs take overridable bases", () => {
  assertEquals(selectSources(["lambada"]).map((s) => s.name), ["lambada"]);
  assertEquals(selectSources(["mrpc", "RTE"]).map((s) => s.name), ["MRPC-train", "MRPC-dev", "RTE"]);
  assertEquals(selectSources(["xnli"]).map((s) => s.name), ["xnli-eval", "xnli-train"]);
  assertEquals(selectSources(["glue"]).length, 10);
  assertEquals(selectSources([]).length, SOURCES.length);
  assertThrows(() => selectSources(["glue", "squad"]), InputError, '--only: unknown data set "squad"');
  const lambada = selectSources(["lambada"])[0];
  assertEquals(sourceUrl(lambada), "https://openaipublic.blob.core.windows.net/gpt-2/data/lambada_test.jsonl");
  assertEquals(lambada.sha256, "4aa8d02cd17c719165fc8a7887fddd641f43fcafa4b1c806ca8abc31fabdb226");
  assertEquals(sourceUrl(lambada, { lambada: "http://127.0.0.1:9/m" }), "http://127.0.0.1:9/m/lambada_test.jsonl");
  assertEquals(sourceUrl(selectSources(["QQP"])[0]), "https://dl.fbaipublicfiles.com/glue/data/QQP-clean.zip");
  assertEquals(
    sourceUrl(selectSources(["MRPC"])[0]),
    "https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt",
  );
  for (const s of SOURCES) assertEquals(/^[0-9a-f]{64}$/.test(s.sha256 ?? ""), true, s.name);
});

Deno.test("splitXnliRelease rejects an unknown gold label at its line", () => {
  const text = "language\tgold_label\tsentence1\tsentence2\nen\tentailment\ta\tb\nen\t-\tc\td\n";
  assertThrows(
    () => splitXnliRelease(text, "xnli.dev.tsv"),
    InputError,
    'xnli.dev.tsv:3: gold_label "-" is not one of',
  );
});

Deno.test("deno task data --data-dir fills the cache; a bad --only exits 2 with the choices", async () => {
  const mirror = await mirrorWith({ "lambada/lambada_test.jsonl": '{"text": "a b"}\n' });
  const cache = await Deno.makeTempDir();
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(REPO_ROOT, "tasks/data.ts"), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await run("--data-dir", mirror, "--cache-dir", cache, "--only", "lambada");
  const out = new TextDecoder().decode(ok.stdout);
  assertEquals(ok.code, 0, new TextDecoder().decode(ok.stderr));
  assertStringIncludes(out, "1 copied, 0 already present");
  assertEquals(await Deno.readTextFile(join(cache, "lambada/lambada_test.jsonl")), '{"text": "a b"}\n');
  const bad = await run("--cache-dir", cache, "--only", "glue,squad");
  assertEquals(bad.code, 2);
  assertStringIncludes(new TextDecoder().decode(bad.stderr), 'error: --only: unknown data set "squad"');
  // A file as the cache, a base URL that is no URL: one line each, exit 2.
  const file = join(cache, "lambada/lambada_test.jsonl");
  const asFile = await run("--cache-dir", file, "--list");
  assertEquals([asFile.code, new TextDecoder().decode(asFile.stderr)], [
    2,
    `error: ${file}: is a file; expected the data cache folder\n`,
  ]);
  const badUrl = await run("--cache-dir", cache, "--base-url", "notaurl");
  assertEquals([badUrl.code, new TextDecoder().decode(badUrl.stderr)], [
    2,
    'error: --base-url "notaurl" is not a URL; expected e.g. http://host/path/\n',
  ]);
  // --list says which files are verified, missing, or broken.
  await Deno.writeTextFile(file, "");
  const list = new TextDecoder().decode((await run("--cache-dir", cache, "--list", "--only", "lambada,RTE")).stdout);
  assertStringIncludes(list, "RTE         missing glue/RTE/train.tsv, glue/RTE/dev.tsv\n");
  assertStringIncludes(list, "lambada     not matching MANIFEST.tsv lambada/lambada_test.jsonl\n");
  const repaired = await run("--data-dir", mirror, "--cache-dir", cache, "--only", "lambada");
  assertStringIncludes(
    new TextDecoder().decode(repaired.stdout),
    "replaced lambada/lambada_test.jsonl: it did not match",
  );
  const listed = new TextDecoder().decode((await run("--cache-dir", cache, "--list", "--only", "lambada")).stdout);
  assertStringIncludes(listed, "lambada     complete, verified\n");
});
