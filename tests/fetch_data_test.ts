/**
 * pipeline/fetch_data.ts: a reproduction fetches the evaluation files its cache lacks through the verified
 * downloader, only the sources it needs, from a local server standing in for the hosts; --offline refuses
 * and names the files and the command; data/sources.ts's --base-url and file-to-source lookup.
 */
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import { readDataManifest } from "../data/cache.ts";
import { DownloadError } from "../data/download.ts";
import { baseUrlsFromFlag, DEFAULT_BASE_URLS, type Source, SOURCES, sourcesFor } from "../data/sources.ts";
import { ensureCacheFiles } from "../pipeline/fetch_data.ts";
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";
import { fixtureServer } from "./http_fixture.ts";

const ONE = zipSync({ "ONE/train.tsv": strToU8("s\tl\na\t1\n"), "ONE/dev.tsv": strToU8("s\tl\nb\t0\n") });
const TWO = strToU8('{"text": "two"}\n');
const SOURCES_HERE: Source[] = [
  {
    name: "ONE",
    tags: ["glue"],
    base: "glue",
    file: "ONE.zip",
    sha256: sha256(ONE),
    bytes: ONE.length,
    unpack: { kind: "zip", members: { "ONE/train.tsv": "glue/ONE/train.tsv", "ONE/dev.tsv": "glue/ONE/dev.tsv" } },
  },
  {
    name: "two",
    tags: ["two"],
    base: "lambada",
    file: "two.jsonl",
    sha256: sha256(TWO),
    unpack: { kind: "file", to: "two/two.jsonl" },
  },
  { name: "three", tags: ["three"], base: "lambada", file: "three.jsonl", unpack: { kind: "file", to: "three.jsonl" } },
];
const quiet = () => {};

Deno.test("ensureCacheFiles: fetches the sources of the missing files only, verified and recorded; then nothing", async () => {
  const server = fixtureServer({ "/ONE.zip": { body: ONE }, "/two.jsonl": { body: TWO } });
  const cache = await Deno.makeTempDir();
  try {
    const options = { sources: SOURCES_HERE, baseUrls: baseUrlsFromFlag(`${server.base}/`) };
    const lines: string[] = [];
    const files = ["glue/ONE/train.tsv", "glue/ONE/dev.tsv", "two/two.jsonl"];
    const written = await ensureCacheFiles(cache, files, options, (l) => lines.push(l));
    assertEquals(written.sort(), [...files].sort());
    assertEquals(server.requests.map((r) => r.path), ["/ONE.zip", "/two.jsonl"]); // not three.jsonl
    assertEquals(await Deno.readTextFile(join(cache, "glue/ONE/dev.tsv")), "s\tl\nb\t0\n");
    assertEquals((await readDataManifest(cache)).get("two/two.jsonl")?.sha256, sha256(TWO));
    assertStringIncludes(lines[0], `data cache ${cache} lacks 3 file(s); fetching ONE, two`);
    assertEquals(await ensureCacheFiles(cache, files, options, quiet), []);
    assertEquals(server.requests.length, 2);
  } finally {
    await server.close();
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("ensureCacheFiles --offline: nothing fetched; the error names the files and the command", async () => {
  const server = fixtureServer({ "/two.jsonl": { body: TWO } });
  const cache = await Deno.makeTempDir();
  try {
    const options = { offline: true, sources: SOURCES_HERE, baseUrls: baseUrlsFromFlag(server.base) };
    const e = await assertRejects(() => ensureCacheFiles(cache, ["two/two.jsonl"], options, quiet), InputError);
    assertStringIncludes(e.message, "--offline: nothing fetched");
    assertStringIncludes(e.message, "lacks 1 file(s): two/two.jsonl");
    assertStringIncludes(e.message, `deno task data --cache-dir ${cache} --only two`);
    assertEquals(server.requests, []);
  } finally {
    await server.close();
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("ensureCacheFiles: a file no source provides, and a failed download, are errors naming them", async () => {
  const server = fixtureServer({ "/two.jsonl": { body: strToU8("tampered\n") } });
  const cache = await Deno.makeTempDir();
  try {
    const options = { sources: SOURCES_HERE, baseUrls: baseUrlsFromFlag(server.base) };
    const unknown = await assertRejects(
      () => ensureCacheFiles(cache, ["mine/task.tsv", "two/two.jsonl"], options, quiet),
      InputError,
    );
    assertStringIncludes(unknown.message, "no download source provides mine/task.tsv");
    assertEquals(server.requests, []);
    const failed = await assertRejects(() => ensureCacheFiles(cache, ["two/two.jsonl"], options, quiet), DownloadError);
    assertStringIncludes(failed.message, `two: checksum mismatch for ${server.base}/two.jsonl`);
    assertStringIncludes(failed.message, "run the same command again");
    assertEquals((await readDataManifest(cache)).size, 0);
  } finally {
    await server.close();
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("sourcesFor and --base-url: the sources of cache files, every host replaced by one URL", () => {
  const { sources, unknown } = sourcesFor(["lambada/lambada_test.jsonl", "glue/RTE/dev.tsv", "blimp/x.jsonl"]);
  assertEquals(sources.map((s) => s.name), ["RTE", "lambada"]);
  assertEquals(unknown, ["blimp/x.jsonl"]);
  assertEquals(sourcesFor(["glue/MRPC/dev.tsv"], SOURCES).sources.map((s) => s.name), ["MRPC-dev"]);
  const urls = baseUrlsFromFlag("http://127.0.0.1:8/m/")!;
  assertEquals(Object.keys(urls).sort(), Object.keys(DEFAULT_BASE_URLS).sort());
  assertEquals(new Set(Object.values(urls)), new Set(["http://127.0.0.1:8/m/"]));
  assertEquals(baseUrlsFromFlag(undefined), undefined);
  assertThrows(() => baseUrlsFromFlag("not a url"), InputError, '--base-url "not a url" is not a URL');
});
