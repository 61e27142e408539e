/**
 * The evaluation-data cache: one folder laid out exactly like ../shared/data (glue/TASK/SPLIT.tsv,
 * lambada/lambada_test.jsonl, xnli/LANG/SPLIT.tsv). Resolution order: `--cache-dir DIR`, then the
 * environment variable HEADLESS_BENCH_DATA, then `join(cacheHome(), "data")`.
 *
 * The cache lists its files in `MANIFEST.tsv` (the mirror's format: path, bytes, lines, sha256);
 * `deno task data` adds a row for every file it writes. A file with a row is checked against it (size,
 * then sha256) on first use in each process: 104 MB, the whole mirror, hashed in 0.3-0.5 s here, and a
 * loader reads the whole file anyway, so no stamp is kept between runs. A file without a row (a task
 * file of one's own, or a cache filled by an older version) is used as it is; `deno task data`
 * verifies those against their source.
 */
import { join, resolve } from "node:path";
import { exists, sha256, sha256File, writeFileAtomic } from "../util/fs.ts";
import { InputError } from "../util/errors.ts";
import { cacheHome } from "../util/paths.ts";
import { decodeUtf8, parseTsv, readBytes } from "./tsv.ts";

/** Environment variable naming the data cache folder. */
export const DATA_CACHE_ENV = "HEADLESS_BENCH_DATA";

/** The file listing a cache's (or a mirror's) files with their sizes and hashes. */
export const DATA_MANIFEST = "MANIFEST.tsv";

/** The default cache folder when neither flag nor environment names one. */
export function defaultCacheDir(): string {
  return join(cacheHome(), "data");
}

/** The cache folder: the flag's value, else $HEADLESS_BENCH_DATA, else the default. Empty strings count as unset. */
export function resolveCacheDir(flag?: string, env: string | undefined = Deno.env.get(DATA_CACHE_ENV)): string {
  if (flag) return resolve(flag);
  if (env) return resolve(env);
  return defaultCacheDir();
}

/** A MANIFEST.tsv row. */
export interface ManifestEntry {
  bytes: number;
  sha256: string;
  /** Newline count, as `wc -l` gives it (informative; not checked). */
  lines?: number;
}

/** The row describing `data`. */
export function manifestEntryOf(data: Uint8Array): ManifestEntry {
  let lines = 0;
  for (const byte of data) if (byte === 0x0a) lines++;
  return { bytes: data.length, lines, sha256: sha256(data) };
}

/**
 * Reads `DIR/MANIFEST.tsv` (header `path bytes lines sha256`; `lines` optional). A missing manifest is an
 * empty map, or an InputError when `required`; a malformed one is an InputError at its line.
 */
export async function readDataManifest(
  dir: string,
  options: { required?: boolean } = {},
): Promise<Map<string, ManifestEntry>> {
  const file = join(dir, DATA_MANIFEST);
  if (!(await exists(file))) {
    if (!options.required) return new Map();
    throw new InputError(`no ${DATA_MANIFEST}: a data mirror must list its files (path, bytes, sha256)`, file);
  }
  const table = parseTsv(decodeUtf8(await readBytes(file), file), file, { header: true });
  const col = (name: string) => {
    const i = table.header!.indexOf(name);
    if (i === -1) throw new InputError(`header lacks column "${name}" (expected path, bytes, sha256)`, file, 1);
    return i;
  };
  const [path, bytes, hash] = [col("path"), col("bytes"), col("sha256")];
  const linesCol = table.header!.indexOf("lines");
  const entries = new Map<string, ManifestEntry>();
  for (const { line, fields } of table.rows) {
    if (!/^\d+$/.test(fields[bytes]) || !/^[0-9a-f]{64}$/.test(fields[hash])) {
      throw new InputError("expected a byte count and a 64-digit hex sha256", file, line);
    }
    const lines = linesCol === -1 || !/^\d+$/.test(fields[linesCol]) ? undefined : Number(fields[linesCol]);
    entries.set(fields[path], { bytes: Number(fields[bytes]), sha256: fields[hash], lines });
  }
  return entries;
}

/** Adds or replaces rows of the cache's MANIFEST.tsv (rewritten atomically, rows sorted by path). */
export async function recordInManifest(cacheDir: string, rows: ReadonlyMap<string, ManifestEntry>): Promise<void> {
  const manifest = await readDataManifest(cacheDir);
  for (const [rel, entry] of rows) manifest.set(rel, entry);
  const lines = [...manifest.keys()].sort().map((rel) => {
    const e = manifest.get(rel)!;
    return `${rel}\t${e.bytes}\t${e.lines ?? ""}\t${e.sha256}`;
  });
  await writeFileAtomic(join(cacheDir, DATA_MANIFEST), ["path\tbytes\tlines\tsha256", ...lines].join("\n") + "\n");
}

/** Writes a cache file atomically, then records its row in the cache's MANIFEST.tsv. */
export async function writeCacheFile(cacheDir: string, rel: string, data: Uint8Array): Promise<void> {
  await writeFileAtomic(join(cacheDir, rel), data);
  await recordInManifest(cacheDir, new Map([[rel, manifestEntryOf(data)]]));
}

/** Where a cache file stands against the cache's MANIFEST.tsv. */
export type CachedState =
  | { state: "missing" }
  /** present; the manifest has no row for it */
  | { state: "unlisted" }
  | { state: "verified"; entry: ManifestEntry }
  /** present, but not what its row says (`found.sha256` is left out when the size already differs) */
  | { state: "mismatch"; expected: ManifestEntry; found: { bytes: number; sha256?: string } };

// Files found to match their row in this process, by path: size, mtime, inode and the row's hash.
const verifiedInProcess = new Map<string, string>();

/**
 * Checks one cache file against `manifest` (default: the cache's own MANIFEST.tsv). A file verified
 * once in this process is not hashed again until its size, mtime or inode changes.
 */
export async function checkCached(
  cacheDir: string,
  rel: string,
  manifest?: ReadonlyMap<string, ManifestEntry>,
): Promise<CachedState> {
  const path = join(cacheDir, rel);
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { state: "missing" };
    throw e;
  }
  const entry = (manifest ?? await readDataManifest(cacheDir)).get(rel);
  if (!entry) return { state: "unlisted" };
  if (stat.size !== entry.bytes) return { state: "mismatch", expected: entry, found: { bytes: stat.size } };
  const key = `${stat.size}:${stat.mtime?.getTime()}:${stat.ino}:${entry.sha256}`;
  if (verifiedInProcess.get(path) === key) return { state: "verified", entry };
  const found = await sha256File(path);
  if (found !== entry.sha256) return { state: "mismatch", expected: entry, found: { bytes: stat.size, sha256: found } };
  verifiedInProcess.set(path, key);
  return { state: "verified", entry };
}

/** The `deno task data --only` name that selects a cache file's source (glue/RTE/dev.tsv -> RTE), if any. */
export function sourceNameOf(rel: string): string | undefined {
  const [group, task] = rel.split("/");
  if (group === "glue" && task) return task;
  return group === "lambada" || group === "xnli" ? group : undefined;
}

/** Expected against found, as one phrase. */
export function describeMismatch(expected: ManifestEntry, found: { bytes: number; sha256?: string }): string {
  return `expected ${expected.bytes} bytes, sha256 ${expected.sha256}; found ${found.bytes} bytes` +
    (found.sha256 ? `, sha256 ${found.sha256}` : "");
}

/** The error for a cache file that does not match its MANIFEST.tsv row, saying how to repair it. */
export function mismatchError(
  cacheDir: string,
  rel: string,
  expected: ManifestEntry,
  found: { bytes: number; sha256?: string },
): InputError {
  const only = sourceNameOf(rel);
  return new InputError(
    `does not match the cache's ${DATA_MANIFEST} (${describeMismatch(expected, found)}): ` +
      `run \`deno task data --cache-dir ${cacheDir}${only ? ` --only ${only}` : ""}\` to fetch it again ` +
      `(the file is replaced atomically), or add --data-dir MIRROR to copy it from a mirror`,
    join(cacheDir, rel),
  );
}

/** The error for a file the cache lacks, saying how to get it. */
export function notInCacheError(relPath: string, cacheDir: string): InputError {
  return new InputError(`${relPath} not in cache ${cacheDir}: run \`deno task data\` or pass --cache-dir`);
}

/**
 * The absolute path of a cache file that must exist and match its MANIFEST.tsv row (when it has one);
 * otherwise the InputError above, or {@link mismatchError}.
 */
export async function requireCached(cacheDir: string, relPath: string): Promise<string> {
  const checked = await checkCached(cacheDir, relPath);
  if (checked.state === "missing") throw notInCacheError(relPath, cacheDir);
  if (checked.state === "mismatch") throw mismatchError(cacheDir, relPath, checked.expected, checked.found);
  return join(cacheDir, relPath);
}

/**
 * The cache-relative paths among `relPaths` that the cache does not hold. A file that is there but does
 * not match its MANIFEST.tsv row is {@link mismatchError}: broken data is reported, not skipped.
 */
export async function missingFromCache(cacheDir: string, relPaths: readonly string[]): Promise<string[]> {
  const manifest = await readDataManifest(cacheDir);
  const missing: string[] = [];
  for (const rel of relPaths) {
    const checked = await checkCached(cacheDir, rel, manifest);
    if (checked.state === "missing") missing.push(rel);
    if (checked.state === "mismatch") throw mismatchError(cacheDir, rel, checked.expected, checked.found);
  }
  return missing;
}
