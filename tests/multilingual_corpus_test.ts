import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { join } from "node:path";
import { type Document, splitOf } from "../data/corpus.ts";
import { resolveCacheDir } from "../data/cache.ts";
import {
  DEBIAN_RECORD,
  debianPackageDir,
  fetchDebianPackage,
  helpPageParagraphs,
  isDebianPackageCached,
  LANGUAGE_SOURCES,
  measureText,
  multilingualCorpus,
  paragraphFilter,
  parseFortunes,
  plainArabic,
  readFortunes,
  readLibreOfficeHelp,
  readManPages,
  roffToText,
  selectUnderCap,
  surahDocuments,
} from "../data/multilingual/mod.ts";
import { countWeights, LanguageCounts, samplingProbabilities } from "../tokenizer/language_sampling.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256 } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";

async function collect(docs: AsyncIterable<Document>): Promise<Document[]> {
  const out: Document[] = [];
  for await (const doc of docs) out.push(doc);
  return out;
}

async function writeFile(path: string, text: string | Uint8Array) {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  if (typeof text === "string") await Deno.writeTextFile(path, text);
  else await Deno.writeFile(path, text);
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// ---------------------------------------------------------------- LibreOffice help markup

Deno.test("helpPageParagraphs keeps XHP prose and drops bookmarks, ids, embeds, images, comments and code", () => {
  const xhp = `<?xml version="1.0" encoding="UTF-8"?>
<helpdocument version="1.0">
<meta><topic id="textsharedguide" indexer="include"><title id="tit" xml-lang="en-US">Meta Title</title>
<filename>/text/shared/guide/x.xhp</filename></topic></meta>
<body>
<bookmark xml-lang="en-US" branch="index" id="bm_id1"><bookmark_value>tables; inserting</bookmark_value></bookmark>
<!-- a comment -->
<paragraph role="heading" id="hd_id1" level="1" xml-lang="en-US">Inserting &amp; Editing</paragraph>
<paragraph role="paragraph" id="par_id2" xml-lang="en-US"><ahelp hid=".">Choose <emph>Table -
Insert</emph></ahelp> to add a table.</paragraph>
<paragraph role="paragraph" id="par_id3" xml-lang="en-US">Press <switchinline select="sys"><caseinline select="MAC">Command</caseinline><defaultinline>Ctrl</defaultinline></switchinline>+C.</paragraph>
<paragraph role="bascode" id="bas1" xml-lang="en-US">Dim a As Integer</paragraph>
<embed href="text/shared/00/00000004.xhp#wie"/>
<image src="media/x.png" id="img1"><alt id="alt1" xml-lang="en-US">Icon Alt Text</alt></image>
<list type="unordered"><listitem><paragraph role="listitem" id="p4" xml-lang="en-US">First item</paragraph></listitem></list>
<table id="t1"><tablerow><tablecell><paragraph role="tablecontent" id="p5" xml-lang="en-US">Cell one</paragraph></tablecell>
<tablecell><paragraph role="tablecontent" id="p6" xml-lang="en-US">42</paragraph></tablecell></tablerow></table>
</body>
</helpdocument>`;
  assertEquals(helpPageParagraphs(xhp), [
    "Inserting & Editing",
    "Choose Table - Insert to add a table.",
    "Press Ctrl+C.",
    "First item",
    "Cell one",
  ]);
});

Deno.test("helpPageParagraphs reads Debian's compiled HTML: chrome, switches, how-to-get header, notes, code, related topics", () => {
  const html = `<!DOCTYPE html>
<html lang="de" dir="ltr"><head><title>Erweitert</title><script type="text/javascript" src="help.js"></script>
<script>var x = "<p>not text</p>";</script></head>
<body>
<header id="TopLeftHeader"><a class="logo" href="x"><p dir="auto">Hilfe für LibreOffice 7.4</p></a></header>
<aside class="leftside"><div class="index-label" dir="auto">Index</div></aside>
<div id="DisplayArea" itemprop="softwareHelp">
<a name="bm_id6882839"></a><meta itemprop="keywords" content="Java, Einstellungsmöglichkeiten">
<h1 id="par_idN10558" dir="auto">Erweitert</h1>
<p id="par_1" class="paragraph" dir="auto">Legt die  Einstellungen
 für Java fest &lt;JRE&gt;.</p>
<div class="howtoget"><div><p class="howtogetheader" dir="auto">So greifen Sie auf diesen Befehl zu:</p></div>
<div class="howtogetbody"><p class="embedded" dir="auto">Wählen Sie <span id="sw1" class="switchinline"><span hidden="true" id="MACtext_1" class="MAC"><span class="emph">Einstellungen</span></span><span hidden="true" id="defaulttext_1"><span class="emph">Extras – Optionen…</span></span></span>.</p></div></div>
<div class="note"><div class="noteicon" dir="auto"><img src="note.svg" alt="note"></div>
<div class="notetext"><p id="par_2" dir="auto">Ein Hinweis.</p></div></div>
<p class="paragraph"><span id="sw2" class="switchinline"><span hidden="true" id="WRITER_2" class="WRITER">Nur Writer</span><span hidden="true" id="CALC_2" class="CALC">Nur Calc</span></span> zuerst.</p>
<pre dir="auto"><code class="language-visual-basic line-numbers">Sub Main
End Sub</code></pre>
<table><tr><td><p class="tablecontentintable">Zelle A</p></td><td><p class="tablecontentintable">Zelle B</p></td></tr></table>
<a name="relatedtopics"></a><div class="relatedtopics"><p class="related"><span class="emph">Verwandte Themen</span></p>
<div class="relatedbody"><p class="paragraph"><a href="x.html">Basic-IDE</a></p></div></div>
</div>
<footer><div id="DEBUG" class="debug"><p dir="auto">This page is: /text/shared/optionen/java.xhp</p></div></footer>
</body></html>`;
  assertEquals(helpPageParagraphs(html), [
    "Erweitert",
    "Legt die Einstellungen für Java fest <JRE>.",
    "Wählen Sie Extras – Optionen….",
    "Ein Hinweis.",
    "Nur Writer zuerst.",
    "Zelle A",
    "Zelle B",
  ]);
});

// ---------------------------------------------------------------- roff

Deno.test("roffToText strips man(7) macros, fonts, comments, definitions, conditionals, tables and examples", () => {
  const roff = [
    '.\\" Copyright comment',
    ".de XX",
    "Macro body that must not print",
    "..",
    ".ds Pr \\fBfoo\\fP",
    '.TH FOO 1 2022-01-01 "foo 1.0" "User Commands"',
    ".SH NAME",
    "foo \\- frobnicate the \\fIbar\\fR files",
    ".SH DESCRIPTION",
    ".B foo",
    "reads each",
    ".IR file s",
    "and writes \\*(lqresults\\*(rq \\(em quickly.",
    "Caf\\[u00E9] costs \\s-1FIVE\\s0 \\h'1m'euros\\c",
    "; really.",
    ".if n \\{\\",
    "Terminal-only text.",
    ".\\}",
    ".ie t .ds Xx typeset",
    ".el .ds Xx other",
    ".TS",
    "tab(;);",
    "l l.",
    "a;b",
    ".TE",
    ".PP",
    "Second paragraph uses \\*(Pr.",
    ".TP",
    '.BR \\-v , " \\-\\-verbose"',
    "Be verbose.",
    ".EX",
    "$ foo \\-v",
    ".EE",
    ".nf",
    "line one",
    "line two",
    ".fi",
    ".br",
    "",
    "Last words.",
  ].join("\n");
  assertEquals(
    roffToText(roff),
    [
      "NAME",
      "foo - frobnicate the bar files",
      "DESCRIPTION",
      "foo reads each files and writes \u201cresults\u201d \u2014 quickly. Café costs FIVE euros; really.",
      "Second paragraph uses foo.",
      "-v, --verbose\nBe verbose.",
      "line one\nline two",
      "Last words.",
    ].join("\n\n"),
  );
});

Deno.test("roffToText joins Chinese and Japanese lines without a space, and reads mdoc", () => {
  assertEquals(
    roffToText("これは長い\n文です。\n.PP\nEnglish words\nstay spaced"),
    "これは長い文です。\n\nEnglish words stay spaced",
  );
  const mdoc = [
    ".Dd January 1, 2020",
    ".Dt LS 1",
    ".Sh NAME",
    ".Nm ls",
    ".Nd list files",
    ".Sh SYNOPSIS",
    ".Nm",
    ".Op Fl a Ar file",
    ".Sh SEE ALSO",
    ".Xr dir 1 ,",
    ".Xr stat 2",
  ].join("\n");
  assertEquals(
    roffToText(mdoc),
    "NAME\n\nls \u2013 list files\n\nSYNOPSIS\n\nls [-a file]\n\nSEE ALSO\n\ndir(1), stat(2)",
  );
});

Deno.test("readManPages reads gzipped pages of one locale, skips aliases, filters paragraphs and reports non-UTF-8 files", async () => {
  const root = await Deno.makeTempDir();
  try {
    const man = join(root, "usr/share/man/de/man1");
    await writeFile(
      join(man, "foo.1.gz"),
      await gzip(".TH FOO 1\n.SH NAME\nfoo \\- Dinge tun\n.SH BESCHREIBUNG\nfoo tut Dinge.\n"),
    );
    await writeFile(join(man, "bar.1.gz"), await gzip(".so man1/foo.1\n"));
    await writeFile(join(man, "bad.1"), new Uint8Array([0x2e, 0x50, 0x50, 0x0a, 0x66, 0xfc, 0x72, 0x0a]));
    await writeFile(join(root, "usr/share/man/man1/english.1"), ".PP\nEnglish page.\n");
    const notes: string[] = [];
    const pages = await collect(
      (async function* () {
        for await (const p of readManPages(root, "de", (p) => p !== "NAME", (m) => notes.push(m))) {
          yield { id: p.name, source: "", text: p.text };
        }
      })(),
    );
    assertEquals(pages.map((p) => [p.id, p.text]), [[
      "man1/foo.1",
      "foo - Dinge tun\n\nBESCHREIBUNG\n\nfoo tut Dinge.",
    ]]);
    assertEquals(notes.length, 1);
    assertStringIncludes(notes[0], "bad.1:2");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

// ---------------------------------------------------------------- fortunes and the Quran

Deno.test("parseFortunes splits at % lines, undoes overstrikes and colours, drops cookies without letters", () => {
  const text =
    "First cookie\n  indented line  \n%\n_\bb_\bo_\bl_\bd and x\bx\n%\n   \n%\n12345\n%\n\x1b[33m-- \x1b[32mSomeone\x1b[m\n%\n";
  assertEquals(parseFortunes(text), ["First cookie\n  indented line", "bold and x", "-- Someone"]);
});

Deno.test("readFortunes groups cookies 50 to a document and skips .dat, .u8, off/ and ASCII art", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = join(root, "usr/share/games/fortunes");
    const cookies = Array.from({ length: 120 }, (_, i) => `Cookie number ${i}.`);
    await writeFile(join(dir, "wisdom"), cookies.join("\n%\n") + "\n%\n");
    await writeFile(join(dir, "wisdom.dat"), new Uint8Array([0, 1, 2]));
    await writeFile(join(dir, "off", "rude"), "Rude words\n%\n");
    await writeFile(join(dir, "ascii-art"), "Picture\n%\n");
    await Deno.symlink("wisdom", join(dir, "wisdom.u8"));
    const docs = [];
    for await (const d of readFortunes(root)) docs.push(d);
    assertEquals(docs.map((d) => d.name), ["fortunes/wisdom#0", "fortunes/wisdom#1", "fortunes/wisdom#2"]);
    assertEquals(docs.map((d) => d.text.split("\n\n").length), [50, 50, 20]);
    assertEquals(docs[2].text.split("\n\n")[0], "Cookie number 100.");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("plainArabic removes vowel marks and Quranic signs; surahDocuments makes one document per surah", () => {
  assertEquals(plainArabic("بِسۡمِ ٱللَّهِ ٱلرَّحۡمَٰنِ"), "بسم الله الرحمن");
  const surahs = [
    {
      id: 1,
      verses: [{ id: 1, text: "بِسۡمِ", translation: "In the name" }, { id: 2, text: "ٱلۡحَمۡدُ", translation: " Praise " }],
    },
    { id: 12, verses: [{ id: 1, text: "الٓر", translation: "Alif, Lam, Ra." }] },
  ];
  assertEquals(surahDocuments(surahs, false, "q.json"), [{ name: "001", text: "In the name\nPraise" }, {
    name: "012",
    text: "Alif, Lam, Ra.",
  }]);
  assertEquals(surahDocuments(surahs, true, "q.json").map((d) => d.text), ["بسم\nالحمد", "الر"]);
  const error = assertThrows(
    () => surahDocuments([{ id: 3, verses: [{ id: 1, text: "x" }] }], false, "q.json"),
    InputError,
  );
  assertStringIncludes(error.message, "q.json: surah 3 verse 1: no translation string");
});

// ---------------------------------------------------------------- cap, balance, filters

Deno.test("selectUnderCap water-fills between sources and takes documents in sha256(cap:seed:id) order while they fit", () => {
  const docs = (prefix: string, sizes: number[]) => sizes.map((size, i) => ({ id: `${prefix}${i}`, size }));
  const sources = [
    { source: "x/big", docs: docs("b", [25, 25, 25, 25]) },
    { source: "x/mid", docs: docs("m", [10, 10, 10]) },
    { source: "x/small", docs: docs("s", [5]) },
  ];
  // Shares: small min(5, 60/3) = 5 -> 5 taken; mid min(30, 55/2 = 27.5) -> two docs, 20; big min(100, 35) -> one doc.
  const chosen = selectUnderCap(sources, 60, 7);
  const firstByHash = (ids: string[], n: number) =>
    ids.sort((a, b) => (sha256(`cap:7:${a}`) < sha256(`cap:7:${b}`) ? -1 : 1)).slice(0, n);
  assertEquals([...chosen].filter((id) => id.startsWith("s")), ["s0"]);
  assertEquals([...chosen].filter((id) => id.startsWith("m")).sort(), firstByHash(["m0", "m1", "m2"], 2).sort());
  assertEquals([...chosen].filter((id) => id.startsWith("b")), firstByHash(["b0", "b1", "b2", "b3"], 1));
  assertEquals(selectUnderCap(sources, 60, 7), chosen);
  assertEquals(selectUnderCap(sources, 135, 0).size, 8); // everything fits
  assertEquals(selectUnderCap(sources, Infinity).size, 8);
  // A document larger than its share is skipped, and the next one that fits is taken.
  assertEquals([...selectUnderCap([{ source: "y", docs: [{ id: "huge", size: 50 }, { id: "tiny", size: 1 }] }], 10)], [
    "tiny",
  ]);
});

Deno.test("selectUnderCap's order is independent of the train/valid split", () => {
  const docs = Array.from({ length: 1000 }, (_, i) => ({ id: `doc${i}`, size: 1 }));
  const chosen = selectUnderCap([{ source: "x", docs }], 500, 0);
  const valid = docs.filter((d) => splitOf(d.id, 0.1) === "valid");
  const validChosen = valid.filter((d) => chosen.has(d.id)).length;
  // Taken in split-key order, all ~100 validation documents would be among the first 500.
  assert(validChosen > 0.3 * valid.length && validChosen < 0.7 * valid.length, `${validChosen} of ${valid.length}`);
});

Deno.test("paragraphFilter drops repeats, English-identical paragraphs and paragraphs in another script", () => {
  const keep = paragraphFilter({ script: /\p{Script=Devanagari}/u }, new Set(["Press OK."]));
  assertEquals(
    ["नमस्ते दुनिया", "Press OK.", "नमस्ते दुनिया", "Only English here", "LibreOffice में फ़ाइल"].filter(keep),
    ["नमस्ते दुनिया", "LibreOffice में फ़ाइल"],
  );
  assertEquals(measureText("日本語 の\nテキスト", "characters"), 8);
  assertEquals(measureText("two  words", "words"), 2);
  assertEquals(measureText("𠀀𠀁 x", "characters"), 3); // astral characters count once
});

/** A data cache holding fixture packages for de, en, hi and the Arabic Quran. */
async function fixtureCache(): Promise<{ cacheDir: string; quranDir: string }> {
  const cacheDir = await Deno.makeTempDir();
  const pkg = async (name: string, files: Record<string, string | Uint8Array>) => {
    const dir = debianPackageDir(cacheDir, name);
    for (const [rel, text] of Object.entries(files)) await writeFile(join(dir, rel), text);
    await writeFile(
      join(dir, DEBIAN_RECORD),
      JSON.stringify({ package: name, version: "1", file: "x.deb", sha256: "", bytes: 0 }),
    );
  };
  const page = (...paragraphs: string[]) =>
    `<html><body>${paragraphs.map((p) => `<p class="paragraph">${p}</p>`).join("\n")}</body></html>`;
  const help = (lang: string) => `usr/share/libreoffice/help/${lang}/text/shared`;
  await pkg("libreoffice-help-en-us", {
    [`${help("en-US")}/a.html`]: page("Choose Tools - Options.", "Untranslated sentence stays English."),
  });
  await pkg("libreoffice-help-de", {
    [`${help("de")}/a.html`]: page(
      "Wählen Sie Extras - Optionen.",
      "Untranslated sentence stays English.",
      "Gemeinsamer Abschnitt hier.",
    ),
    [`${help("de")}/b.html`]: page("Gemeinsamer Abschnitt hier.", "Eins zwei drei vier fünf sechs."),
    [`${help("de")}/c.html`]: page("Gemeinsamer Abschnitt hier."),
  });
  await pkg("manpages-de", {
    "usr/share/man/de/man1/foo.1.gz": await gzip(".SH NAME\nfoo \\- tut Dinge mit vielen Wörtern hier\n"),
  });
  await pkg("fortunes-de", { "usr/share/games/fortunes/de/sprueche": "Ein Spruch.\n%\nNoch ein Spruch.\n%\n" });
  await pkg("libreoffice-help-hi", {
    [`${help("hi")}/a.html`]: page("Choose Tools - Options.", "उपकरण चुनें", "Only English fallback here."),
  });
  const quranDir = join(cacheDir, "quran-json");
  await writeFile(
    join(quranDir, "dist", "quran.json"),
    JSON.stringify([{ id: 1, verses: [{ id: 1, text: "بِسۡمِ ٱللَّهِ" }] }, {
      id: 2,
      verses: [{ id: 1, text: "ذَٰلِكَ ٱلۡكِتَٰبُ لَا رَيۡبَۛ" }],
    }]),
  );
  return { cacheDir, quranDir };
}

Deno.test("multilingualCorpus reads fixture packages, filters paragraphs, names ids <lang>/<origin>/<name> and notes missing sources", async () => {
  const { cacheDir, quranDir } = await fixtureCache();
  try {
    const notes: string[] = [];
    const docs = await collect(
      multilingualCorpus({ cacheDir, quranDir, languages: ["de", "hi", "ar"], notes: (m) => notes.push(m) }),
    );
    assertEquals(docs.map((d) => [d.id, d.source, d.text]), [
      [
        "de/libreoffice-help/shared/a",
        "de/libreoffice-help",
        "Wählen Sie Extras - Optionen.\n\nGemeinsamer Abschnitt hier.",
      ],
      ["de/libreoffice-help/shared/b", "de/libreoffice-help", "Eins zwei drei vier fünf sechs."],
      ["de/manpages/man1/foo.1", "de/manpages", "NAME\n\nfoo - tut Dinge mit vielen Wörtern hier"],
      ["de/fortunes/fortunes/de/sprueche#0", "de/fortunes", "Ein Spruch.\n\nNoch ein Spruch."],
      ["hi/libreoffice-help/shared/a", "hi/libreoffice-help", "उपकरण चुनें"],
      ["ar/quran/001", "ar/quran", "بسم الله"],
      ["ar/quran/002", "ar/quran", "ذلك الكتب لا ريب"], // the dagger alef of Uthmani spelling is dropped, not spelt out
    ]);
    assertEquals(notes, []);
    const en = await collect(
      multilingualCorpus({
        cacheDir,
        languages: ["en"],
        quranDir: join(cacheDir, "nowhere"),
        notes: (m) => notes.push(m),
      }),
    );
    assertEquals(en.map((d) => d.id), ["en/libreoffice-help/shared/a"]);
    assert(notes.some((m) => m.includes("manpages is not in the cache")), notes.join("\n"));
    assert(notes.some((m) => m.includes("Quran skipped")), notes.join("\n"));
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("multilingualCorpus caps each language, shares the cap between sources, and is deterministic", async () => {
  const { cacheDir, quranDir } = await fixtureCache();
  try {
    const run = (cap: number, seed = 0) =>
      collect(multilingualCorpus({ cacheDir, quranDir, languages: ["de", "ar"], capWordsPerLanguage: cap, seed }));
    // de sizes in words: help a 8, help b 5, man 10, fortunes 5. Cap 16: fortunes 5 (share 16/3), help gets
    // min(13, 11/2 = 5.5): only b (5); man min(10, 6) -> nothing. ar: both surahs (2 + 4 words) fit.
    const capped = await run(16);
    assertEquals(capped.map((d) => d.id), [
      "de/libreoffice-help/shared/b",
      "de/fortunes/fortunes/de/sprueche#0",
      "ar/quran/001",
      "ar/quran/002",
    ]);
    assertEquals(await run(16), capped);
    assertEquals((await run(1e9)).length, 6);
    const countTokens = (text: string) => text.length; // a stand-in tokenizer: one token per UTF-16 unit
    const byTokens = await collect(
      multilingualCorpus({ cacheDir, quranDir, languages: ["ar"], capTokensPerLanguage: 9, countTokens }),
    );
    assertEquals(byTokens.map((d) => d.id), ["ar/quran/001"]); // 8 tokens; the second surah has 18
    await assertRejects(
      () => collect(multilingualCorpus({ cacheDir, capTokensPerLanguage: 5 })),
      InputError,
      "needs a tokenizer",
    );
    await assertRejects(
      () => collect(multilingualCorpus({ cacheDir, languages: ["xx"] })),
      InputError,
      "unknown language",
    );
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

// ---------------------------------------------------------------- language sampling

Deno.test("samplingProbabilities and countWeights follow q ∝ p^alpha", () => {
  // p = (0.9, 0.1), alpha 0.5: sqrt(0.9) / sqrt(0.1) = 3, so q = (0.75, 0.25); q/p = (0.833, 2.5) -> (1, 3).
  const q = samplingProbabilities({ big: 900, small: 100 }, 0.5);
  assertAlmostEquals(q.big, 0.75, 1e-12);
  assertAlmostEquals(q.small, 0.25, 1e-12);
  const w = countWeights({ big: 900, small: 100 }, 0.5);
  assertAlmostEquals(w.big, 1, 1e-12);
  assertAlmostEquals(w.small, 3, 1e-12);
  assertEquals(samplingProbabilities({ a: 3, b: 1 }, 1), { a: 0.75, b: 0.25 });
  assertEquals(samplingProbabilities({ a: 3, b: 1, none: 0 }, 0), { a: 0.5, b: 0.5, none: 0 });
  assertThrows(() => samplingProbabilities({ a: 1 }, 2), InputError, "exponent");
});

Deno.test("LanguageCounts weights each language's pre-token counts before they are summed", () => {
  const counts = new LanguageCounts();
  counts.add("big", "hello hello", 900);
  counts.add("small", "hello world", 100);
  const { weights, counts: merged } = counts.weighted(0.5);
  assertAlmostEquals(weights.big, 1, 1e-12);
  assertAlmostEquals(weights.small, 3, 1e-12);
  // "hello hello" -> "hello", " hello"; "hello world" -> "hello", " world" (x3).
  assertEquals(Object.fromEntries(merged), { "hello": 4, " hello": 1, " world": 3 });
});

// ---------------------------------------------------------------- Debian packages

const hasDpkgDeb = await new Deno.Command("dpkg-deb", { args: ["--version"], stdout: "null", stderr: "null" }).output()
  .then((o) => o.success, () => false);

/** Builds fixture.deb (package fortunes-fixture 1.2-3) with dpkg-deb --build; returns its path. */
async function buildFixtureDeb(dir: string): Promise<string> {
  const root = join(dir, "pkgroot");
  await writeFile(
    join(root, "DEBIAN", "control"),
    "Package: fortunes-fixture\nVersion: 1.2-3\nArchitecture: all\nMaintainer: Test <t@example.org>\nDescription: fixture\n",
  );
  await writeFile(join(root, "usr/share/games/fortunes/fixture"), "A fixture cookie.\n%\nAnother one.\n%\n");
  const out = await new Deno.Command("dpkg-deb", {
    args: ["--root-owner-group", "--build", root, join(dir, "fixture.deb")],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return join(dir, "fixture.deb");
}

Deno.test({
  name: "fetchDebianPackage unpacks a .deb into the cache atomically, once, and reads it back",
  ignore: !hasDpkgDeb,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const deb = await buildFixtureDeb(dir);
      const cacheDir = join(dir, "cache");
      let downloads = 0;
      const download = async (pkg: string, to: string) => {
        downloads++;
        await Deno.copyFile(deb, join(to, `${pkg}_1.2-3_all.deb`));
      };
      const first = await fetchDebianPackage(cacheDir, "fortunes-fixture", { download });
      assertEquals(first.status, "fetched");
      if (first.status === "skipped") throw new Error("unreachable");
      assertEquals(first.record.version, "1.2-3");
      assertEquals(first.record.file, "fortunes-fixture_1.2-3_all.deb");
      assertEquals(first.record.sha256, sha256(await Deno.readFile(deb)));
      assert(await isDebianPackageCached(cacheDir, "fortunes-fixture"));
      const cookies = [];
      for await (const d of readFortunes(debianPackageDir(cacheDir, "fortunes-fixture"))) cookies.push(d.text);
      assertEquals(cookies, ["A fixture cookie.\n\nAnother one."]);

      const second = await fetchDebianPackage(cacheDir, "fortunes-fixture", { download });
      assertEquals([second.status, downloads], ["cached", 1]);
      assertEquals([...Deno.readDirSync(join(cacheDir, "multilingual/debian"))].map((e) => e.name), [
        "fortunes-fixture",
      ]);

      // A failed download leaves nothing behind, and the error says what failed.
      const failing = () => Promise.reject(new InputError("apt-get download broken-pkg failed (exit 100): E: no"));
      await assertRejects(
        () => fetchDebianPackage(cacheDir, "broken-pkg", { download: failing }),
        InputError,
        "broken-pkg",
      );
      assertEquals([...Deno.readDirSync(join(cacheDir, "multilingual/debian"))].map((e) => e.name), [
        "fortunes-fixture",
      ]);

      // Without dpkg-deb (or apt-get) the package is skipped with a message, not an error.
      const skipped = await fetchDebianPackage(cacheDir, "other-pkg", { download, dpkgDeb: "no-such-dpkg-deb" });
      assertEquals(skipped.status, "skipped");
      if (skipped.status === "skipped") {
        assertStringIncludes(skipped.reason, "no-such-dpkg-deb not found: skipping Debian package other-pkg");
      }
      await assertRejects(() => fetchDebianPackage(cacheDir, "Bad Name"), InputError, "not a Debian package name");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------- the real packages, when the cache has them

const cacheDir = resolveCacheDir();
const cached = async (pkg: string) => await isDebianPackageCached(cacheDir, pkg);

Deno.test({
  name: "real libreoffice-help-de: over 2000 pages of German prose, no markup left",
  ignore: !(await cached("libreoffice-help-de")),
  fn: async () => {
    const root = debianPackageDir(cacheDir, "libreoffice-help-de");
    let pages = 0, markup = 0, java = "";
    for await (const page of readLibreOfficeHelp(root, "de")) {
      pages++;
      // Pages may quote "<br>" or "&uuml;"; the HTML glossary page quotes "<h1> ... </h1>" too.
      if (page.name !== "shared/00/00000002" && /<\/[a-z]|<[a-z]+ [a-z-]+="|&(amp|lt|gt|quot|nbsp);/.test(page.text)) {
        markup++;
      }
      if (page.name === "shared/optionen/java") java = page.text;
    }
    assert(pages > 2000, `${pages} pages`);
    assertEquals(markup, 0);
    assert(
      java.startsWith("Erweitert\n\nLegt die Unterstützungseinstellungen für Java-Anwendungen"),
      java.slice(0, 200),
    );
    assert(!java.includes("So greifen Sie auf diesen Befehl zu"));
  },
});

Deno.test({
  name: "real manpages-zh: ls(1) in simplified Chinese, no roff left",
  ignore: !(await cached("manpages-zh")),
  fn: async () => {
    const root = debianPackageDir(cacheDir, "manpages-zh");
    let ls = "";
    let withRoff = 0;
    for await (const page of readManPages(root, LANGUAGE_SOURCES.zh.debian[1].dir)) {
      if (page.name === "man1/ls.1") ls = page.text;
      // man(7) itself quotes its macros.
      if (page.name !== "man7/man.7" && /\\f[BIRP]|^\.(PP|RS|RE|TP|IP|SH|SS|B|I|BR|IR)$/m.test(page.text)) withRoff++;
    }
    assertStringIncludes(ls, "ls - 列出目录内容");
    assertStringIncludes(ls, "-a, --all\n不要忽略以点号（“.”）起始的条目");
    assertEquals(withRoff, 0);
  },
});

Deno.test({
  name: "real quran-json@3.1.2: 114 surahs in Arabic and Chinese",
  ignore: !(await exists(join(REPO_ROOT, "node_modules", ".deno", "quran-json@3.1.2"))),
  fn: async () => {
    const { readQuran } = await import("../data/multilingual/quran.ts");
    const ar = await readQuran("quran.json");
    const zh = await readQuran("quran_zh.json");
    assertEquals([ar.length, zh.length], [114, 114]);
    assertEquals(ar[0].text.split("\n")[0], "بسم الله الرحمن الرحيم");
    assertEquals(zh[0].text.split("\n")[0], "奉至仁至慈的安拉之名");
  },
});
