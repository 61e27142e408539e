/**
 * Fills the data cache: from the web (data/sources.ts), or from a local mirror laid out like the cache
 * (e.g. ../shared/data) and verified against its MANIFEST.tsv.
 *
 * Downloads go to `CACHE/.downloads/FILE.partial`. A broken transfer keeps the partial file, and the
 * next call asks for the rest with an HTTP Range request (appending on 206, starting over on 200). A
 * finished download is checked against its sha256 (deleted on a mismatch), renamed out of `.partial`,
 * then unpacked: every cache file is written to a temporary name and renamed into place, so a file
 * appears in the cache only complete and verified.
 */
import { dirname, join } from "node:path";
import { unzipSync } from "fflate";
import { InputError } from "../util/errors.ts";
import { exists, sha256, sha256File, writeFileAtomic } from "../util/fs.ts";
import { missingFromCache } from "./cache.ts";
import { type BaseName, type Source, sourceOutputs, SOURCES, sourceUrl } from "./sources.ts";
import { decodeUtf8, parseTsv, readBytes } from "./tsv.ts";
import { splitXnliRelease, XNLI_LANGUAGES, xnliPath } from "./xnli.ts";

/** A download that failed: unreachable host, HTTP error, broken transfer, wrong checksum, bad archive. */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DownloadError";
  }
}

/** Folder inside the cache holding downloads in progress. */
export const STAGING_DIR = ".downloads";

/** Where a download stands. */
export interface Progress {
  label: string;
  received: number;
  total?: number;
  bytesPerSecond: number;
  done: boolean;
}

/** Options of downloadFile. */
export interface DownloadOptions {
  sha256?: string;
  bytes?: number;
  /** called at most every 250 ms while bytes arrive, and once at the end */
  onProgress?: (progress: Progress) => void;
}

/** Fetches `url` to `dest` (resuming `${dest}.partial` if there is one) and verifies it before renaming it into place. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  const partial = `${dest}.partial`;
  await Deno.mkdir(dirname(dest), { recursive: true });
  let offset = await fileSize(partial);
  let response = await request(url, offset);
  if (response.status === 416 && offset > 0) {
    // The server cannot serve past what we hold: the partial file is stale. Start over.
    await response.body?.cancel();
    await removeIfExists(partial);
    offset = 0;
    response = await request(url, 0);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    await removeIfExists(partial);
    throw new DownloadError(
      `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""} for ${url}`,
    );
  }
  let start = 0;
  let total = contentLength(response);
  if (response.status === 206) {
    const range = contentRange(response);
    if (offset === 0 || range?.start !== offset) {
      await response.body.cancel();
      await removeIfExists(partial);
      throw new DownloadError(
        `unexpected partial response for ${url} (asked from byte ${offset}, got ${range?.start})`,
      );
    }
    start = offset;
    total = range.total;
  }
  total ??= options.bytes;

  const received = await receive(response.body, partial, start, url, total, options.onProgress);
  if (total !== undefined && received < total) {
    throw new DownloadError(
      `download of ${url} broke off after ${received} of ${total} bytes; kept ${partial}: run again to resume`,
    );
  }
  const actual = await sha256File(partial);
  if ((options.sha256 && actual !== options.sha256) || (options.bytes !== undefined && received !== options.bytes)) {
    await removeIfExists(partial);
    throw new DownloadError(
      `checksum mismatch for ${url}: expected sha256 ${options.sha256 ?? "(any)"}` +
        `${
          options.bytes !== undefined ? ` and ${options.bytes} bytes` : ""
        }, got sha256 ${actual} and ${received} bytes;` +
        ` the download was deleted`,
    );
  }
  await Deno.rename(partial, dest);
}

async function request(url: string, offset: number): Promise<Response> {
  try {
    return await fetch(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {} });
  } catch (e) {
    throw new DownloadError(`cannot fetch ${url}: ${(e as Error).message}`);
  }
}

/** Streams a body into `path` (appending after `start` bytes, or from scratch); returns the file's size after. */
async function receive(
  body: ReadableStream<Uint8Array>,
  path: string,
  start: number,
  url: string,
  total: number | undefined,
  onProgress?: (progress: Progress) => void,
): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, append: start > 0, truncate: start === 0 });
  const began = performance.now();
  let received = start;
  let lastReport = 0;
  const report = (done: boolean) => {
    const seconds = (performance.now() - began) / 1000;
    const bytesPerSecond = seconds > 0 ? (received - start) / seconds : 0;
    onProgress?.({ label: url.split("/").at(-1) ?? url, received, total, bytesPerSecond, done });
  };
  try {
    for await (const chunk of body) {
      for (let written = 0; written < chunk.length;) written += await file.write(chunk.subarray(written));
      received += chunk.length;
      if (total !== undefined && received > total) {
        throw new DownloadError(`${url} sent more than the ${total} bytes announced`);
      }
      if (performance.now() - lastReport > 250) {
        lastReport = performance.now();
        report(false);
      }
    }
  } catch (e) {
    file.close();
    if (e instanceof DownloadError) {
      await removeIfExists(path);
      throw e;
    }
    throw new DownloadError(
      `download of ${url} broke off after ${received}${total !== undefined ? ` of ${total}` : ""} bytes ` +
        `(${(e as Error).message}); kept ${path}: run again to resume`,
    );
  }
  file.close();
  report(true);
  return received;
}

function contentLength(response: Response): number | undefined {
  const value = response.headers.get("content-length");
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
}

function contentRange(response: Response): { start: number; total?: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
  return m ? { start: Number(m[1]), total: m[3] === "*" ? undefined : Number(m[3]) } : undefined;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

async function removeIfExists(path: string): Promise<void> {
  await Deno.remove(path).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}

/** Options of fetchSource and fetchMissing. */
export interface FetchOptions {
  /** replaces the canonical hosts, per base (tests point these at 127.0.0.1) */
  baseUrls?: Partial<Record<BaseName, string>>;
  /** the sources to consider (default: all of SOURCES) */
  sources?: readonly Source[];
  onProgress?: (progress: Progress) => void;
  log?: (line: string) => void;
}

/**
 * Downloads one source if the cache lacks any of its files, and unpacks the missing files into the
 * cache layout. Returns the cache paths written (empty when nothing was missing).
 */
export async function fetchSource(source: Source, cacheDir: string, options: FetchOptions = {}): Promise<string[]> {
  const missing = await missingFromCache(cacheDir, sourceOutputs(source));
  if (missing.length === 0) return [];
  const url = sourceUrl(source, options.baseUrls);
  const staged = join(cacheDir, STAGING_DIR, source.file);
  // A finished download left by a run that failed while unpacking: reuse it if it still verifies.
  if (await exists(staged) && source.sha256 && (await sha256File(staged)) !== source.sha256) await Deno.remove(staged);
  if (!(await exists(staged))) {
    options.log?.(`${source.name}: fetching ${url}`);
    await downloadFile(url, staged, { sha256: source.sha256, bytes: source.bytes, onProgress: options.onProgress });
  }
  await unpack(source, staged, cacheDir, missing);
  await removeIfExists(staged);
  await Deno.remove(join(cacheDir, STAGING_DIR)).catch(() => {}); // only when empty
  options.log?.(`${source.name}: ${missing.join(", ")}`);
  return missing;
}

async function unpack(source: Source, staged: string, cacheDir: string, missing: string[]): Promise<void> {
  const spec = source.unpack;
  if (spec.kind === "file") {
    await Deno.mkdir(dirname(join(cacheDir, spec.to)), { recursive: true });
    await Deno.rename(staged, join(cacheDir, spec.to));
    return;
  }
  const zip = await Deno.readFile(staged);
  if (spec.kind === "zip") {
    for (const [member, to] of Object.entries(spec.members)) {
      if (missing.includes(to)) await writeFileAtomic(join(cacheDir, to), extractMember(zip, member, source.file));
    }
    return;
  }
  for (const [member, split] of Object.entries(spec.members)) {
    const wanted = XNLI_LANGUAGES.filter((lang) => missing.includes(xnliPath(lang, split)));
    if (wanted.length === 0) continue;
    const where = `${source.file}:${member}`;
    const perLanguage = splitXnliRelease(decodeUtf8(extractMember(zip, member, source.file), where), where);
    for (const lang of wanted) {
      const text = perLanguage.get(lang);
      if (text === undefined) throw new DownloadError(`${where} has no rows for language "${lang}"`);
      await writeFileAtomic(join(cacheDir, xnliPath(lang, split)), text);
    }
  }
}

/** One member of a zip, decompressed (only that member is inflated). */
export function extractMember(zip: Uint8Array, member: string, zipName: string): Uint8Array {
  const names: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (f) => {
        names.push(f.name);
        return f.name === member;
      },
    });
  } catch (e) {
    throw new DownloadError(`${zipName} is not a readable zip archive: ${(e as Error).message}`);
  }
  const data = files[member];
  if (data === undefined) {
    throw new DownloadError(`${zipName} has no member ${member} (it holds: ${names.slice(0, 12).join(", ")})`);
  }
  return data;
}

/** What fetchMissing did. */
export interface FetchReport {
  fetched: { source: string; files: string[] }[];
  upToDate: string[];
  failed: { source: string; message: string }[];
}

/** Fetches every source (of `options.sources`) with files missing from the cache; a failure does not stop the others. */
export async function fetchMissing(cacheDir: string, options: FetchOptions = {}): Promise<FetchReport> {
  const report: FetchReport = { fetched: [], upToDate: [], failed: [] };
  for (const source of options.sources ?? SOURCES) {
    try {
      const files = await fetchSource(source, cacheDir, options);
      if (files.length === 0) report.upToDate.push(source.name);
      else report.fetched.push({ source: source.name, files });
    } catch (e) {
      if (!(e instanceof DownloadError || e instanceof InputError)) throw e;
      report.failed.push({ source: source.name, message: e.message });
    }
  }
  return report;
}

/** A mirror's MANIFEST.tsv row. */
export interface ManifestEntry {
  bytes: number;
  sha256: string;
}

/** Reads `DIR/MANIFEST.tsv` (header `path bytes lines sha256`); a missing or malformed manifest is an InputError. */
export async function readManifest(mirrorDir: string): Promise<Map<string, ManifestEntry>> {
  const file = join(mirrorDir, "MANIFEST.tsv");
  if (!(await exists(file))) {
    throw new InputError("no MANIFEST.tsv: a data mirror must list its files (path, bytes, sha256)", file);
  }
  const table = parseTsv(decodeUtf8(await readBytes(file), file), file, { header: true });
  const col = (name: string) => {
    const i = table.header!.indexOf(name);
    if (i === -1) throw new InputError(`header lacks column "${name}" (expected path, bytes, sha256)`, file, 1);
    return i;
  };
  const [path, bytes, hash] = [col("path"), col("bytes"), col("sha256")];
  const entries = new Map<string, ManifestEntry>();
  for (const { line, fields } of table.rows) {
    if (!/^\d+$/.test(fields[bytes]) || !/^[0-9a-f]{64}$/.test(fields[hash])) {
      throw new InputError("expected a byte count and a 64-digit hex sha256", file, line);
    }
    entries.set(fields[path], { bytes: Number(fields[bytes]), sha256: fields[hash] });
  }
  return entries;
}

/** What fillFromMirror did, as cache paths. */
export interface MirrorReport {
  copied: string[];
  present: string[];
  notInMirror: string[];
  failed: { file: string; message: string }[];
}

/**
 * Copies the files of `options.sources` that the cache lacks from a mirror folder with the cache's
 * layout, each checked against the mirror's MANIFEST.tsv (size and sha256) before it is renamed into place.
 */
export async function fillFromMirror(
  mirrorDir: string,
  cacheDir: string,
  options: { sources?: readonly Source[]; log?: (line: string) => void } = {},
): Promise<MirrorReport> {
  const manifest = await readManifest(mirrorDir);
  const report: MirrorReport = { copied: [], present: [], notInMirror: [], failed: [] };
  for (const source of options.sources ?? SOURCES) {
    for (const rel of sourceOutputs(source)) {
      const entry = manifest.get(rel);
      if (await exists(join(cacheDir, rel))) report.present.push(rel);
      else if (!entry) report.notInMirror.push(rel);
      else {
        try {
          await copyVerified(join(mirrorDir, rel), join(cacheDir, rel), entry);
          report.copied.push(rel);
          options.log?.(`copied ${rel}`);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          report.failed.push({ file: rel, message: e.message });
        }
      }
    }
  }
  return report;
}

async function copyVerified(from: string, to: string, expected: ManifestEntry): Promise<void> {
  const data = await readBytes(from);
  const actual = sha256(data);
  if (actual !== expected.sha256 || data.length !== expected.bytes) {
    throw new InputError(
      `does not match MANIFEST.tsv: expected sha256 ${expected.sha256} and ${expected.bytes} bytes, ` +
        `got sha256 ${actual} and ${data.length} bytes`,
      from,
    );
  }
  await writeFileAtomic(to, data);
}

/** One line of progress: bytes so far, of how many, and the rate. */
export function formatProgress(p: Progress): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const of = p.total ? ` / ${mb(p.total)} MB (${Math.floor((100 * p.received) / p.total)}%)` : " MB";
  return `${p.label}: ${mb(p.received)}${of} at ${mb(p.bytesPerSecond)} MB/s${p.done ? ", done" : ""}`;
}
