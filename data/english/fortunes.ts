/**
 * Fortune cookie packages (Debian's fortunes, fortunes-min) -> one document per cookie file (`literature`,
 * `zippy`...): a file collects one theme or one author, so whole files go to one
 * side of the train/valid split and no quotation is split from its neighbours. Cookies are read as the
 * multilingual corpus reads them (data/multilingual/fortunes.ts: `%`-separated, overstrikes undone, the
 * offensive and ASCII-art files left out) and separated by blank lines.
 */
import { join } from "node:path";
import { isCookieFile, parseFortunes } from "../multilingual/fortunes.ts";
import { listFiles, readText, type SourceText } from "../multilingual/text.ts";

/** Every cookie file of an unpacked package (sorted by path), named by its path under usr/share/games/fortunes. */
export async function* readFortuneFiles(packageRoot: string): AsyncGenerator<SourceText> {
  for (const rel of await listFiles(packageRoot, isCookieFile)) {
    const cookies = parseFortunes(await readText(join(packageRoot, rel)));
    if (cookies.length) {
      yield { name: rel.replace(/^usr\/share\/games\/(fortunes\/)?/, ""), text: cookies.join("\n\n") };
    }
  }
}
