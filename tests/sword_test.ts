import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import {
  type Book,
  KJV,
  NRSVA,
  osisToText,
  parseSwordConf,
  readSwordModule,
  readSwordPackage,
  testamentEntries,
  type Versification,
  versification,
} from "../data/english/mod.ts";
import type { SourceText } from "../data/multilingual/text.ts";
import { InputError } from "../util/errors.ts";

async function collect(docs: AsyncIterable<SourceText>): Promise<SourceText[]> {
  const out: SourceText[] = [];
  for await (const doc of docs) out.push(doc);
  return out;
}

async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** An entry's content: its text, or the index of an earlier entry whose bytes it shares (a linked verse). */
type Entry = string | { sameAs: number };

/**
 * Writes one testament of a zText/zCom module the way SWORD does: one zlib block per book (the testament
 * headings in block 0), 1,024 bytes of slack after each compressed block, index records of `recordSize`
 * bytes (10, or 12 for zCom4). Entries not in `entries` are empty.
 */
async function writeTestament(
  dir: string,
  testament: "ot" | "nt",
  books: readonly Book[],
  entries: Record<number, Entry>,
  recordSize: 10 | 12 = 10,
): Promise<void> {
  const blockOf = [0, 0];
  books.forEach((b, i) => {
    const n = 1 + b.verses.length + b.verses.reduce((s, v) => s + v, 0);
    for (let k = 0; k < n; k++) blockOf.push(i + 1);
  });
  assertEquals(blockOf.length, testamentEntries(books));
  const utf8 = new TextEncoder();
  const raw: number[][] = blockOf.map(() => []).slice(0, books.length + 1);
  const records = new DataView(new ArrayBuffer(blockOf.length * recordSize));
  const put = (i: number, block: number, start: number, length: number) => {
    records.setUint32(i * recordSize, block, true);
    records.setUint32(i * recordSize + 4, start, true);
    if (recordSize === 10) records.setUint16(i * recordSize + 8, length, true);
    else records.setUint32(i * recordSize + 8, length, true);
  };
  blockOf.forEach((block, i) => {
    const entry = entries[i];
    if (entry === undefined) return;
    if (typeof entry !== "string") {
      const at = entry.sameAs * recordSize;
      return put(i, records.getUint32(at, true), records.getUint32(at + 4, true), records.getUint16(at + 8, true));
    }
    const bytes = utf8.encode(entry);
    put(i, block, raw[block].length, bytes.length);
    raw[block].push(...bytes);
  });
  const data: number[] = [];
  const index = new DataView(new ArrayBuffer(raw.length * 12));
  for (let b = 0; b < raw.length; b++) {
    const z = await deflate(new Uint8Array(raw[b]));
    index.setUint32(b * 12, data.length, true);
    index.setUint32(b * 12 + 4, z.length + 1024, true);
    index.setUint32(b * 12 + 8, raw[b].length, true);
    data.push(...z, ...new Uint8Array(1024));
  }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(join(dir, `${testament}.bzs`), new Uint8Array(index.buffer));
  await Deno.writeFile(join(dir, `${testament}.bzz`), new Uint8Array(data));
  await Deno.writeFile(join(dir, `${testament}.bzv`), new Uint8Array(records.buffer));
}

/** A small versification: Gen (2 chapters: 2 and 1 verses), Exod (1 chapter, 1 verse); Matt (1 chapter, 2 verses). */
const TINY: Versification = {
  name: "TINY",
  ot: [{ osis: "Gen", verses: [2, 1] }, { osis: "Exod", verses: [1] }],
  nt: [{ osis: "Matt", verses: [2] }],
};
// OT entries: 0 module heading, 1 testament heading, 2 Gen heading, 3 Gen.1 heading, 4-5 Gen.1.1-2,
// 6 Gen.2 heading, 7 Gen.2.1, 8 Exod heading, 9 Exod.1 heading, 10 Exod.1.1.

Deno.test("versifications: KJV has 66 books, 1,189 chapters and 31,102 verses; NRSVA adds the deuterocanon", () => {
  const count = (v: Versification) => {
    const books = [...v.ot, ...v.nt];
    return [
      books.length,
      books.reduce((n, b) => n + b.verses.length, 0),
      books.reduce((n, b) => n + b.verses.reduce((s, x) => s + x, 0), 0),
    ];
  };
  assertEquals(count(KJV), [66, 1189, 31102]);
  assertEquals([KJV.ot.length, KJV.nt.length], [39, 27]);
  assertEquals(KJV.ot[18].osis, "Ps");
  assertEquals(KJV.ot[18].verses.length, 150);
  assertEquals(KJV.ot[18].verses[118], 176); // Psalm 119
  assertEquals(KJV.nt[0].verses[0], 25); // Matthew 1
  // The index sizes of the real modules: 24,115 and 8,246 entries (2 + books + chapters + verses).
  assertEquals(testamentEntries(KJV.ot), 2 + 39 + 929 + 23145);
  assertEquals(testamentEntries(KJV.nt), 2 + 27 + 260 + 7957);
  assertEquals(NRSVA.ot.length, 39 + 17);
  assertEquals(NRSVA.ot[39].osis, "Tob");
  assertEquals(NRSVA.nt.find((b) => b.osis === "3John")!.verses, [15]);
  assertEquals(NRSVA.nt.find((b) => b.osis === "Rev")!.verses[11], 18);
  assertEquals(testamentEntries(TINY.ot), 11);
  assertEquals(versification(undefined), KJV);
  assertThrows(() => versification("Leningrad", "x.conf"), InputError, 'x.conf: unsupported versification "Leningrad"');
});

Deno.test("osisToText drops notes, strips tags, decodes entities and keeps paragraphs and poetry lines", () => {
  assertEquals(
    osisToText(
      '<div type="x-p" sID="p1"/><w lemma="strong:H7225">In</w> the beginning<note placement="foot">' +
        '<reference type="annotateRef">1:1 </reference>Hebrew: <catchWord>them</catchWord></note> God ' +
        '<transChange type="added">was</transChange> &amp; <divineName>Lord</divineName>. ',
    ),
    "In the beginning God was & Lord.",
  );
  // A note that stood for the space between two words leaves one; before punctuation it leaves none.
  assertEquals(osisToText("<w>Yahweh’s</w><note>a</note><w>law</w>. God<note>b</note>, he"), "Yahweh’s law. God, he");
  assertEquals(
    osisToText(
      '<title type="main">The Psalms</title> <lg sID="a"/><l sID="b"/>Blessed is the man,<l eID="b"/> ' +
        '<div type="x-milestone" subType="x-preverse" sID="pv"/><l sID="c"/>nor stand.<l eID="c"/>' +
        '<div type="x-p" sID="d"/>Next paragraph &lt;x&gt;.',
    ),
    "The Psalms\n\nBlessed is the man,\nnor stand.\n\nNext paragraph <x>.",
  );
  assertEquals(
    osisToText("<table> <row><cell>God creates.</cell><cell>(1-2)</cell></row> <row><cell>Light.</cell></row></table>"),
    "God creates. (1-2)\nLight.",
  );
  assertEquals(osisToText('<milestone type="x-importer" n="x"/> <chapter n="1"/> '), "");
});

Deno.test("parseSwordConf reads the name, data path, driver and versification", () => {
  const conf = parseSwordConf(
    "[engWEB]\nDataPath=./modules/texts/ztext/engweb/\nModDrv=zText\nVersification=NRSVA\nAbout=x\\par y\n",
  );
  assertEquals(conf, {
    name: "engWEB",
    dataPath: "./modules/texts/ztext/engweb/",
    modDrv: "zText",
    versification: "NRSVA",
  });
  assertEquals(parseSwordConf("[c]\nDataPath=./d/\nModDrv=zCom4\n").versification, undefined);
  assertThrows(() => parseSwordConf("[c]\nDataPath=./d/\nModDrv=RawText\n", "c.conf"), InputError, "c.conf");
  assertThrows(() => parseSwordConf("DataPath=./d/\n", "c.conf"), InputError, "not a SWORD module");
});

Deno.test("readSwordModule: a deflate-compressed module read back by book and by chapter", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeTestament(dir, "ot", TINY.ot, {
      1: '<milestone type="x-importer"/>',
      2: '<div type="book" osisID="Gen"/><title type="main">Genesis</title>',
      4: "In the beginning God created. ",
      5: "The earth was empty.",
      7: "Then <w>more</w>.",
      10: "Exodus text.",
    });
    await writeTestament(dir, "nt", TINY.nt, { 4: "Matthew one.", 5: "Matthew two." });
    assertEquals(await collect(readSwordModule(dir, TINY, "book")), [
      { name: "Gen", text: "Genesis\n\nIn the beginning God created. The earth was empty. Then more." },
      { name: "Exod", text: "Exodus text." },
      { name: "Matt", text: "Matthew one. Matthew two." },
    ]);
    assertEquals((await collect(readSwordModule(dir, TINY, "chapter"))).map((d) => [d.name, d.text]), [
      ["Gen.1", "Genesis\n\nIn the beginning God created. The earth was empty."],
      ["Gen.2", "Then more."],
      ["Exod.1", "Exodus text."],
      ["Matt.1", "Matthew one. Matthew two."],
    ]);
    // The same files read with the wrong versification: the index has the wrong number of records.
    await assertRejects(
      () => collect(readSwordModule(dir, KJV, "book")),
      InputError,
      "is not 24115 records of 10 or 12 bytes: the module's versification is not KJV",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSwordModule: a commentary's linked verses are read once; 12-byte (zCom4) records; no NT", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Gen.1.1-2 share one note; Gen.2.1 repeats the same bytes too (linked to entry 4).
    await writeTestament(dir, "ot", TINY.ot, { 4: "Note on verses 1-3. ", 5: { sameAs: 4 }, 7: { sameAs: 4 } }, 12);
    assertEquals(await collect(readSwordModule(dir, TINY, "book")), [{ name: "Gen", text: "Note on verses 1-3." }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSwordPackage finds the module through mods.d and its versification (KJV when the conf names none)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = join(root, "usr/share/sword/modules/comments/zcom/fixture");
    await Deno.mkdir(join(root, "usr/share/sword/mods.d"), { recursive: true });
    await Deno.writeTextFile(
      join(root, "usr/share/sword/mods.d/fixture.conf"),
      "[Fixture]\nDataPath=./modules/comments/zcom/fixture/\nModDrv=zCom\nBlockType=BOOK\n",
    );
    // KJV: Psalm 23 is book 19; its chapter-23 heading entry sits after the headings of chapters 1-22.
    const psalmsStart = 2 +
      KJV.ot.slice(0, 18).reduce((n, b) => n + 1 + b.verses.length + b.verses.reduce((s, v) => s + v, 0), 0);
    const ps23 = psalmsStart + 1 + KJV.ot[18].verses.slice(0, 22).reduce((n, v) => n + 1 + v, 0);
    await writeTestament(data, "ot", KJV.ot, { [ps23 + 1]: "The Lord is my shepherd." });
    assertEquals(await collect(readSwordPackage(root, "chapter")), [{
      name: "Ps.23",
      text: "The Lord is my shepherd.",
    }]);
    assertEquals(await collect(readSwordPackage(root, "book")), [{ name: "Ps", text: "The Lord is my shepherd." }]);

    await Deno.writeTextFile(join(root, "usr/share/sword/mods.d/second.conf"), "[S]\nDataPath=./x/\nModDrv=zText\n");
    await assertRejects(
      () => collect(readSwordPackage(root, "book")),
      InputError,
      "expected one SWORD module .conf, found 2",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
