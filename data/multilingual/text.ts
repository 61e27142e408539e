/** Helpers the multilingual readers share: listing package files, reading (gzipped) text, measuring it. */
import { join } from "node:path";
import { InputError } from "../../util/errors.ts";
import { countWords } from "../corpus.ts";
import { decodeUtf8 } from "../tsv.ts";

/** A document as a reader yields it: a name unique within its source, and the text. */
export interface SourceText {
  name: string;
  text: string;
}

/** Where readers report files they skip (not UTF-8, only an include...). */
export type Notes = (message: string) => void;

/**
 * Regular files under `root` (symbolic links are skipped: in packages they duplicate another file), as
 * sorted `/`-separated paths relative to `root`. A missing root gives no files.
 */
export async function listFiles(root: string, keep: (relPath: string) => boolean = () => true): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) entries.push(entry);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(join(dir, entry.name), path);
      else if (entry.isFile && keep(path)) out.push(path);
    }
  };
  await walk(root, "");
  return out.sort();
}

/** A file's text, gunzipped when its name ends in .gz; InputError (naming the file and line) when not UTF-8. */
export async function readText(path: string): Promise<string> {
  let bytes = await Deno.readFile(path);
  if (path.endsWith(".gz")) {
    try {
      bytes = new Uint8Array(
        await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
      );
    } catch (e) {
      throw new InputError(`not a valid gzip file (${(e as Error).message})`, path);
    }
  }
  return decodeUtf8(bytes, path).replace(/^\uFEFF/, "");
}

/** The cap's measure of text: whitespace-separated words, or non-whitespace characters (code points). */
export function measureText(text: string, unit: "words" | "characters"): number {
  if (unit === "words") return countWords(text);
  const packed = text.replace(/\s+/g, "");
  return packed.length - countMatches(packed, /[\uDC00-\uDFFF]/g); // a surrogate pair is one character
}

/** Share of `text`'s letters (\p{L}) that match `script` (a one-character pattern); 0 with no letters. */
export function scriptShare(text: string, script: RegExp): number {
  const letters = countMatches(text, /\p{L}/gu);
  return letters === 0 ? 0 : countMatches(text, new RegExp(script.source, "gu")) / letters;
}

function countMatches(text: string, global: RegExp): number {
  return text.match(global)?.length ?? 0;
}

/** Paragraphs whose letters are less than this share in the language's script count as another language. */
export const MIN_SCRIPT_SHARE = 0.1;
