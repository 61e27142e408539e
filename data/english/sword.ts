/**
 * SWORD Bible and commentary modules (zText, zCom, zCom4; Debian's sword-text-*, sword-comm-*) -> plain
 * text, one document per book (or per chapter). A module holds, per testament, three files:
 * `ot.?zs` (the block index: 12-byte little-endian records offset, compressed size, raw size), `ot.?zz`
 * (the zlib-compressed blocks) and `ot.?zv` (the verse index: one record per entry of the versification,
 * block u32, start u32 and length u16, or u32 in the zCom4 format; the record size is taken from the
 * file's size, since Debian's mhcc says ModDrv=zCom4 but has 10-byte records). `?` is b, c or v: blocks
 * hold a book, a chapter or a verse. The verse index is walked in versification order, so every entry is known to
 * belong to its book and chapter; a commentary links the verses one note covers to the same bytes, which
 * are read once. The OSIS markup is turned into text: footnotes and cross-references dropped, tags
 * stripped, entities decoded, paragraphs separated by blank lines and poetry lines by line breaks.
 */
import { unzlibSync } from "fflate";
import { join } from "node:path";
import { InputError } from "../../util/errors.ts";
import { decodeEntities } from "../multilingual/markup.ts";
import type { SourceText } from "../multilingual/text.ts";
import { decodeUtf8 } from "../tsv.ts";
import { type Book, testamentEntries, type Versification, versification } from "./versification.ts";

/** What a document of a module covers. */
export type SwordUnit = "book" | "chapter";

/** The settings of a module's .conf file that the reader uses. */
export interface SwordConf {
  /** The module's name (the conf's `[section]`). */
  name: string;
  /** The data folder, relative to the SWORD root (`./modules/texts/ztext/kjv/`). */
  dataPath: string;
  modDrv: string;
  /** undefined means KJV. */
  versification?: string;
}

/** Where Debian packages keep SWORD modules. */
export const SWORD_ROOT = join("usr", "share", "sword");

/** Reads the settings of a module .conf file. */
export function parseSwordConf(text: string, file = "module.conf"): SwordConf {
  const name = /^\[([^\]]+)\]/m.exec(text)?.[1];
  const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(text)?.[1].trim();
  const dataPath = value("DataPath");
  const modDrv = value("ModDrv");
  if (!name || !dataPath || !modDrv) {
    throw new InputError("not a SWORD module .conf (needs [Name], DataPath= and ModDrv=)", file);
  }
  if (!/^(zText|zText4|zCom|zCom4)$/i.test(modDrv)) {
    throw new InputError(`unsupported ModDrv=${modDrv}: only compressed modules (zText, zCom) are read`, file);
  }
  return { name, dataPath, modDrv, versification: value("Versification") };
}

/**
 * The one module of an unpacked package (`usr/share/sword/mods.d/*.conf`) and its data folder. A
 * package with no module or several is an InputError.
 */
export async function swordModuleOf(
  packageRoot: string,
): Promise<{ conf: SwordConf; confFile: string; dataDir: string }> {
  const confDir = join(packageRoot, SWORD_ROOT, "mods.d");
  const confs: string[] = [];
  try {
    for await (const e of Deno.readDir(confDir)) if (e.isFile && e.name.endsWith(".conf")) confs.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (confs.length !== 1) {
    throw new InputError(`expected one SWORD module .conf, found ${confs.length}`, confDir);
  }
  const confFile = join(confDir, confs[0]);
  const conf = parseSwordConf(await Deno.readTextFile(confFile), confFile);
  return { conf, confFile, dataDir: join(packageRoot, SWORD_ROOT, conf.dataPath) };
}

/**
 * Reads an unpacked SWORD package as documents, in versification order: one per book (named by its OSIS
 * id, `Gen`) or per chapter (`Ps.23`, the book's introduction going with chapter 1). Books and chapters
 * without text are left out.
 */
export async function* readSwordPackage(packageRoot: string, unit: SwordUnit): AsyncGenerator<SourceText> {
  const { conf, confFile, dataDir } = await swordModuleOf(packageRoot);
  yield* readSwordModule(dataDir, versification(conf.versification, confFile), unit);
}

/** Reads a module's data folder (both testaments) with the given versification; see readSwordPackage. */
export async function* readSwordModule(
  dataDir: string,
  v: Versification,
  unit: SwordUnit,
): AsyncGenerator<SourceText> {
  for (const [testament, books] of [["ot", v.ot], ["nt", v.nt]] as const) {
    const files = await testamentFiles(dataDir, testament);
    if (!files) continue;
    const entries = await readTestament(files, books, v.name);
    for (const doc of groupEntries(entries, books, unit)) yield doc;
  }
}

interface TestamentFiles {
  blockIndex: string;
  blocks: string;
  verseIndex: string;
}

/** The three files of a testament (`ot.bzs`, `ot.bzz`, `ot.bzv` or the c/v variants); null when absent. */
async function testamentFiles(dataDir: string, testament: "ot" | "nt"): Promise<TestamentFiles | null> {
  for (const kind of ["b", "c", "v"]) {
    const file = (ext: string) => join(dataDir, `${testament}.${kind}z${ext}`);
    try {
      await Deno.stat(file("v"));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    return { blockIndex: file("s"), blocks: file("z"), verseIndex: file("v") };
  }
  return null;
}

/**
 * The text of every entry of a testament, in index order ("" for empty entries and for repeats of bytes
 * already read: commentaries point every verse a note covers at the same note).
 */
async function readTestament(files: TestamentFiles, books: readonly Book[], vName: string): Promise<string[]> {
  const blocks = await readBlocks(files.blockIndex, files.blocks);
  const index = await Deno.readFile(files.verseIndex);
  const count = testamentEntries(books);
  const recordSize = index.length === count * 10 ? 10 : index.length === count * 12 ? 12 : 0;
  if (!recordSize) {
    throw new InputError(
      `${index.length} bytes is not ${count} records of 10 or 12 bytes: the module's versification is not ${vName}`,
      files.verseIndex,
    );
  }
  const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
  const seen = new Set<string>();
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * recordSize;
    const block = view.getUint32(at, true);
    const start = view.getUint32(at + 4, true);
    const length = recordSize === 10 ? view.getUint16(at + 8, true) : view.getUint32(at + 8, true);
    const key = `${block}:${start}:${length}`;
    if (length === 0 || seen.has(key)) {
      texts.push("");
      continue;
    }
    seen.add(key);
    const bytes = blocks[block];
    if (!bytes || start + length > bytes.length) {
      throw new InputError(
        `entry ${i} points past the data (block ${block}, bytes ${start}+${length})`,
        files.verseIndex,
      );
    }
    texts.push(decodeUtf8(bytes.subarray(start, start + length), `${files.blocks} (block ${block})`));
  }
  return texts;
}

/** Every block of a testament, decompressed (zlib). */
async function readBlocks(indexFile: string, dataFile: string): Promise<Uint8Array[]> {
  const index = await Deno.readFile(indexFile);
  const data = await Deno.readFile(dataFile);
  if (index.length % 12 !== 0) throw new InputError(`${index.length} bytes is not a run of 12-byte records`, indexFile);
  const view = new DataView(index.buffer, index.byteOffset, index.byteLength);
  const blocks: Uint8Array[] = [];
  for (let at = 0; at < index.length; at += 12) {
    const offset = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    const rawSize = view.getUint32(at + 8, true);
    if (offset + size > data.length) {
      throw new InputError(`block ${at / 12} lies past the end of ${dataFile}`, indexFile);
    }
    const raw = size === 0 ? new Uint8Array() : inflate(data.subarray(offset, offset + size), dataFile);
    if (raw.length !== rawSize) {
      throw new InputError(`block ${at / 12} inflates to ${raw.length} bytes, the index says ${rawSize}`, dataFile);
    }
    blocks.push(raw);
  }
  return blocks;
}

/**
 * A zlib block. SWORD stores 1,024 bytes of slack after each stream, which DecompressionStream rejects;
 * fflate stops at the stream's last deflate block.
 */
function inflate(bytes: Uint8Array, file: string): Uint8Array {
  try {
    return unzlibSync(bytes);
  } catch (e) {
    throw new InputError(`not a zlib block (${(e as Error).message})`, file);
  }
}

/**
 * Groups a testament's entries into documents. Entries 0 and 1 (module and testament headings, which hold
 * only an importer's stamp) are skipped; then each book has a heading entry, and each chapter a heading
 * entry and its verses.
 */
function groupEntries(texts: readonly string[], books: readonly Book[], unit: SwordUnit): SourceText[] {
  const docs: SourceText[] = [];
  let at = 2;
  for (const book of books) {
    const heading = texts[at++];
    let parts = [heading];
    book.verses.forEach((verses, c) => {
      parts.push(...texts.slice(at, at + 1 + verses));
      at += 1 + verses;
      if (unit === "chapter") {
        pushDocument(docs, `${book.osis}.${c + 1}`, parts);
        parts = [];
      }
    });
    if (unit === "book") pushDocument(docs, book.osis, parts);
  }
  return docs;
}

function pushDocument(docs: SourceText[], name: string, entries: string[]): void {
  const text = osisToText(entries.join(" "));
  if (text !== "") docs.push({ name, text });
}

/** Notes (footnotes, cross-references, Strong's markup), with everything inside. */
const NOTE = /<note\b[^>]*?(?:\/>|>[\s\S]*?<\/note\s*>)/g;
/** Elements and milestones that start a paragraph (not the "preverse" milestones that mark where a verse starts). */
const PARAGRAPH_TAG = /<\/?(?:div(?![^>]*"x-milestone")|p|title|chapter|table|list|lg)\b[^>]*>/g;
/** Elements and milestones that start a line (poetry lines, line breaks, list items, table rows, speakers). */
const LINE_TAG = /<\/?(?:l|lb|item|row|speaker)\b[^>]*>/g;
/** Table cells, written one after the other on their row. */
const CELL_TAG = /<cell\b[^>]*>/g;
const ANY_TAG = /<[^>]*>/g;
/** Where a note stood. Some modules lose the space a note sat in (`Yahweh’s<note>…</note>law`): between two words it becomes a space. */
const NOTE_MARK = "\u0001";
/** Where a paragraph starts, until the text is split into paragraphs (markup whitespace is all spaces by then). */
const PARAGRAPH_MARK = "\u0002";
// deno-lint-ignore no-control-regex
const NOTE_BETWEEN_WORDS = /(?<=[\p{L}\p{N}])\u0001+(?=[\p{L}\p{N}])/gu;

/**
 * OSIS markup (as SWORD modules store it) -> text: notes dropped (a space left where one stood between two
 * words); paragraphs separated by a blank line and
 * poetry lines, list items and table rows by a line break; every other tag stripped (the words of `<w>`,
 * `<transChange>`, `<divineName>`, `<q>`... kept); entities decoded; runs of spaces collapsed.
 */
export function osisToText(markup: string): string {
  const text = decodeEntities(
    markup.replace(/\s+/g, " ").replace(NOTE, NOTE_MARK).replace(PARAGRAPH_TAG, PARAGRAPH_MARK)
      .replace(LINE_TAG, "\n").replace(CELL_TAG, " ").replace(ANY_TAG, ""),
  ).replace(NOTE_BETWEEN_WORDS, " ").replaceAll(NOTE_MARK, "");
  return text.split(PARAGRAPH_MARK)
    .map((paragraph) =>
      paragraph.split("\n").map((line) => line.replace(/[ \u00a0]+/g, " ").trim()).filter((l) => l !== "").join("\n")
    )
    .filter((paragraph) => paragraph !== "")
    .join("\n\n");
}
