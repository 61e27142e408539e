/**
 * Fortune cookie files (Debian's fortunes, fortunes-LANG) -> documents. A file holds cookies separated by
 * lines holding only `%`. Overstrike sequences (`x\bx`, old bold/underline) are undone, terminal colour
 * codes removed, cookies without letters dropped, and the rest grouped `COOKIES_PER_DOCUMENT` to a
 * document so that the train/valid split has more than a few units per package. Skipped: the strfile
 * indexes (.dat), the `.u8` links, the offensive sections (`off/`) and the ASCII-art collections.
 */
import { join } from "node:path";
import { InputError } from "../../util/errors.ts";
import { listFiles, type Notes, readText, type SourceText } from "./text.ts";

/** Cookies per document. */
export const COOKIES_PER_DOCUMENT = 50;

/** Files that are pictures, not text. */
const ASCII_ART = new Set(["ascii-art", "asciiart", "banner"]);

/** True for a file of a fortunes package that holds cookies worth reading. */
export function isCookieFile(relPath: string): boolean {
  const parts = relPath.split("/");
  const name = parts[parts.length - 1];
  return relPath.startsWith("usr/share/games/") && !parts.includes("off") && !/\.(dat|u8|gz)$/.test(name) &&
    !ASCII_ART.has(name.replace(/\.fortunes$/, ""));
}

/** A character and the backspace after it: "_\bx" and "x\bx" print x. */
// deno-lint-ignore no-control-regex
const OVERSTRIKE = /[^\n\u0008]\u0008/g;
/** ANSI colour codes (ESC [ ... m). */
// deno-lint-ignore no-control-regex
const TERMINAL_COLOUR = /\u001b\[[0-9;]*m/g;

/** The cookies of one file: `%`-separated, overstrikes undone, trailing spaces and empty cookies dropped. */
export function parseFortunes(text: string): string[] {
  return text
    .replace(/\r\n?/g, "\n")
    .replace(OVERSTRIKE, "")
    .replace(TERMINAL_COLOUR, "")
    .split(/^%[ \t]*$/m)
    .map((cookie) => cookie.split("\n").map((line) => line.trimEnd()).join("\n").replace(/^\n+|\n+$/g, ""))
    .filter((cookie) => /\p{L}/u.test(cookie));
}

/**
 * Reads the cookie files of an unpacked fortunes package (sorted by path), `COOKIES_PER_DOCUMENT` cookies
 * that `keep` accepts to a document, cookies separated by blank lines. Names are `FILE#K` (K from 0);
 * files that are not UTF-8 are reported to `notes` and skipped.
 */
export async function* readFortunes(
  packageRoot: string,
  keep: (cookie: string) => boolean = () => true,
  notes: Notes = () => {},
): AsyncGenerator<SourceText> {
  for (const rel of await listFiles(packageRoot, isCookieFile)) {
    let text: string;
    try {
      text = await readText(join(packageRoot, rel));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      notes(`skipped ${e.message}`);
      continue;
    }
    const cookies = parseFortunes(text).filter(keep);
    const name = rel.replace(/^usr\/share\/games\//, "");
    for (let k = 0; k * COOKIES_PER_DOCUMENT < cookies.length; k++) {
      const group = cookies.slice(k * COOKIES_PER_DOCUMENT, (k + 1) * COOKIES_PER_DOCUMENT);
      yield { name: `${name}#${k}`, text: group.join("\n\n") };
    }
  }
}
