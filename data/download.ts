/**
 * Fills the data cache: from the web (data/sources.ts), or from a local mirror laid out like the cache
 * (e.g. ../shared/data) and verified against its MANIFEST.tsv.
 *
 * Downloads go to `CACHE/.downloads/FILE.partial`. A broken transfer keeps the partial file, and the
 * next call asks for the rest with an HTTP Range request (appending on 206, starting over on 200). A
 * finished download is checked against its sha256 (deleted on a mismatch), renamed out of `.partial`,
 * then unpacked: every cache file is written to a temporary name and renamed into place, so a file
 * appears in the cache only complete and verified, and its row (size, sha256) is added to the cache's
 * MANIFEST.tsv, against which every later use checks it (data/cache.ts). A file already there is
 * counted as present only once it matches that row, or (without one) the mirror's row or the download.
 */
import { dirname, join, resolve } from "node:path";
import { unzipSync } from "fflate";
import { InputError } from "../util/errors.ts";
import { exists, sha256, sha256File } from "../util/fs.ts";
import { acquireLock, type Lock, LockHeldError } from "../util/lock.ts";
import {
  type CachedState,
  checkCached,
  DATA_MANIFEST,
  describeMismatch,
  type ManifestEntry,
  manifestEntryOf,
  mismatchError,
  readDataManifest,
  recordInManifest,
  writeCacheFile,
} from "./cache.ts";
import { type BaseName, type Source, sourceOutputs, SOURCES, sourceUrl } from "./sources.ts";
import { decodeUtf8, readBytes } from "./tsv.ts";
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

/** Options of fetchMissing. */
export interface FetchOptions {
  /** replaces the canonical hosts, per base (tests point these at 127.0.0.1) */
  baseUrls?: Partial<Record<BaseName, string>>;
  /** the sources to consider (default: all of SOURCES) */
  sources?: readonly Source[];
  onProgress?: (progress: Progress) => void;
  log?: (line: string) => void;
}

/** A cache file that was there but wrong, and what was wrong with it, before it was replaced. */
export interface RepairedFile {
  file: string;
  message: string;
}

/** What fetchMissing did. */
export interface FetchReport {
  fetched: { source: string; files: string[] }[];
  /** Files among `fetched` that were there but did not match (or could not be checked and differed). */
  repaired: RepairedFile[];
  upToDate: string[];
  failed: { source: string; message: string }[];
}

/** How a cache file stands before a fill: the file, its state, and why it must be (re)written, if it must. */
interface Planned {
  rel: string;
  state: CachedState;
}

/**
 * The cache's lock, taken by the first write of a fill and released at its end, so that a fill with
 * nothing to do (or a cache that is a read-only mirror) never writes a lock.
 */
function lazyCacheLock(cacheDir: string) {
  let lock: Lock | undefined;
  return {
    /** Takes the lock if not yet held; true when it was just taken (plans made before must be redone). */
    async take(): Promise<boolean> {
      if (lock) return false;
      lock = await acquireLock(cacheDir, { command: "deno task data (filling the data cache)" });
      return true;
    },
    release: () => lock?.release() ?? Promise.resolve(),
  };
}

async function planOutputs(cacheDir: string, rels: readonly string[]): Promise<Planned[]> {
  const manifest = await readDataManifest(cacheDir);
  return await Promise.all(rels.map(async (rel) => ({ rel, state: await checkCached(cacheDir, rel, manifest) })));
}

const needsSource = (p: Planned) => p.state.state !== "verified";

/**
 * Fetches every source (of `options.sources`) with a cache file that is missing, does not match the
 * cache's MANIFEST.tsv, or has no row there (nothing else vouches for it). A file of the latter kind that
 * equals the verified download is only recorded; the others are written atomically and recorded. A
 * failed source does not stop the others. Writes happen under the cache's lock (util/lock.ts).
 */
export async function fetchMissing(cacheDir: string, options: FetchOptions = {}): Promise<FetchReport> {
  const report: FetchReport = { fetched: [], repaired: [], upToDate: [], failed: [] };
  const lock = lazyCacheLock(cacheDir);
  try {
    for (const source of options.sources ?? SOURCES) {
      let plan = await planOutputs(cacheDir, sourceOutputs(source));
      if (!plan.some(needsSource)) {
        report.upToDate.push(source.name);
        continue;
      }
      if (await lock.take()) plan = await planOutputs(cacheDir, sourceOutputs(source));
      try {
        const files = await fetchSource(source, cacheDir, plan.filter(needsSource), report.repaired, options);
        if (files.length === 0) report.upToDate.push(source.name);
        else report.fetched.push({ source: source.name, files });
      } catch (e) {
        if (!(e instanceof DownloadError || e instanceof InputError)) throw e;
        report.failed.push({ source: source.name, message: e.message });
      }
    }
  } finally {
    await lock.release();
  }
  return report;
}

/** Downloads one source and writes the planned files from it; returns the files written. */
async function fetchSource(
  source: Source,
  cacheDir: string,
  wanted: Planned[],
  repaired: RepairedFile[],
  options: FetchOptions,
): Promise<string[]> {
  const url = sourceUrl(source, options.baseUrls);
  const staged = join(cacheDir, STAGING_DIR, source.file);
  // A finished download left by a run that failed while unpacking: reuse it if it still verifies.
  if (await exists(staged) && source.sha256 && (await sha256File(staged)) !== source.sha256) await Deno.remove(staged);
  if (!(await exists(staged))) {
    options.log?.(`${source.name}: fetching ${url}`);
    await downloadFile(url, staged, { sha256: source.sha256, bytes: source.bytes, onProgress: options.onProgress });
  }
  const contents = await unpack(source, staged, wanted.map((p) => p.rel));
  const written: string[] = [];
  for (const { rel, state } of wanted) {
    const data = contents.get(rel)!;
    if (state.state === "unlisted" && equalBytes(await Deno.readFile(join(cacheDir, rel)), data)) {
      await recordInManifest(cacheDir, new Map([[rel, manifestEntryOf(data)]]));
      options.log?.(`${source.name}: ${rel} verified against the download`);
      continue;
    }
    await writeCacheFile(cacheDir, rel, data);
    written.push(rel);
    const why = state.state === "mismatch"
      ? `did not match the cache's ${DATA_MANIFEST} (${describeMismatch(state.expected, state.found)})`
      : state.state === "unlisted"
      ? `had no row in the cache's ${DATA_MANIFEST} and differed from the download`
      : undefined;
    if (why) {
      repaired.push({ file: rel, message: why });
      options.log?.(`${source.name}: replaced ${rel}: it ${why}`);
    }
  }
  await removeIfExists(staged);
  await Deno.remove(join(cacheDir, STAGING_DIR)).catch(() => {}); // only when empty
  if (written.length) options.log?.(`${source.name}: ${written.join(", ")}`);
  return written;
}

/** The bytes of the cache files `wanted` from a verified download. */
async function unpack(source: Source, staged: string, wanted: string[]): Promise<Map<string, Uint8Array>> {
  const spec = source.unpack;
  const out = new Map<string, Uint8Array>();
  if (spec.kind === "file") {
    out.set(spec.to, await Deno.readFile(staged));
    return out;
  }
  const zip = await Deno.readFile(staged);
  if (spec.kind === "zip") {
    for (const [member, to] of Object.entries(spec.members)) {
      if (wanted.includes(to)) out.set(to, extractMember(zip, member, source.file));
    }
    return out;
  }
  for (const [member, split] of Object.entries(spec.members)) {
    const langs = XNLI_LANGUAGES.filter((lang) => wanted.includes(xnliPath(lang, split)));
    if (langs.length === 0) continue;
    const where = `${source.file}:${member}`;
    const perLanguage = splitXnliRelease(decodeUtf8(extractMember(zip, member, source.file), where), where);
    for (const lang of langs) {
      const text = perLanguage.get(lang);
      if (text === undefined) throw new DownloadError(`${where} has no rows for language "${lang}"`);
      out.set(xnliPath(lang, split), new TextEncoder().encode(text));
    }
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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

/** What fillFromMirror did, as cache paths. */
export interface MirrorReport {
  copied: string[];
  /** Files among `copied` that were there but did not match (the cache's or the mirror's MANIFEST.tsv). */
  repaired: RepairedFile[];
  present: string[];
  /** Files among `present` that neither manifest lists: used as they are. */
  unverified: string[];
  notInMirror: string[];
  failed: { file: string; message: string }[];
}

/**
 * Copies the files of `options.sources` that the cache lacks, or holds but not as its MANIFEST.tsv (or,
 * without a row there, the mirror's) says, from a mirror folder with the cache's layout; each is checked
 * against the mirror's MANIFEST.tsv (size and sha256) before it is renamed into place and recorded.
 * Writes happen under the cache's lock (util/lock.ts).
 */
export async function fillFromMirror(
  mirrorDir: string,
  cacheDir: string,
  options: { sources?: readonly Source[]; log?: (line: string) => void } = {},
): Promise<MirrorReport> {
  if (resolve(mirrorDir) === resolve(cacheDir)) {
    throw new InputError(
      `the mirror is the cache itself: nothing to copy; pass another --cache-dir, or use the mirror as the cache as it is`,
      mirrorDir,
    );
  }
  const mirror = await readDataManifest(mirrorDir, { required: true });
  const report: MirrorReport = { copied: [], repaired: [], present: [], unverified: [], notInMirror: [], failed: [] };
  const lock = lazyCacheLock(cacheDir);
  try {
    for (const source of options.sources ?? SOURCES) {
      for (const rel of sourceOutputs(source)) {
        try {
          await fillOneFromMirror(mirrorDir, cacheDir, rel, mirror.get(rel), report, lock, options.log);
        } catch (e) {
          if (!(e instanceof InputError) || e instanceof LockHeldError) throw e;
          report.failed.push({ file: rel, message: e.message });
        }
      }
    }
  } finally {
    await lock.release();
  }
  return report;
}

/** What a mirror fill does with one cache file. */
type MirrorAction =
  | { kind: "present" }
  | { kind: "unverified" }
  | { kind: "notInMirror" }
  | { kind: "record" }
  | { kind: "copy"; replacing?: string }
  | { kind: "fail"; error: InputError };

async function mirrorAction(cacheDir: string, rel: string, entry: ManifestEntry | undefined): Promise<MirrorAction> {
  let state = await checkCached(cacheDir, rel);
  if (state.state === "unlisted" && entry) {
    // Nothing in the cache vouches for it: the mirror's row decides.
    state = await checkCached(cacheDir, rel, new Map([[rel, entry]]));
    if (state.state === "verified") return { kind: "record" };
  }
  if (state.state === "verified") return { kind: "present" };
  if (state.state === "unlisted") return { kind: "unverified" };
  if (!entry) {
    return state.state === "missing"
      ? { kind: "notInMirror" }
      : { kind: "fail", error: mismatchError(cacheDir, rel, state.expected, state.found) };
  }
  if (state.state === "missing") return { kind: "copy" };
  return {
    kind: "copy",
    replacing: `did not match ${DATA_MANIFEST} (${describeMismatch(state.expected, state.found)})`,
  };
}

async function fillOneFromMirror(
  mirrorDir: string,
  cacheDir: string,
  rel: string,
  entry: ManifestEntry | undefined,
  report: MirrorReport,
  lock: ReturnType<typeof lazyCacheLock>,
  log?: (line: string) => void,
): Promise<void> {
  const action = await mirrorAction(cacheDir, rel, entry);
  switch (action.kind) {
    case "present":
      report.present.push(rel);
      return;
    case "unverified":
      report.present.push(rel);
      report.unverified.push(rel);
      return;
    case "notInMirror":
      report.notInMirror.push(rel);
      return;
    case "fail":
      throw action.error;
  }
  // A plan made before the lock was taken is made again under it.
  if (await lock.take()) return fillOneFromMirror(mirrorDir, cacheDir, rel, entry, report, lock, log);
  if (action.kind === "record") {
    await recordInManifest(cacheDir, new Map([[rel, entry!]]));
    report.present.push(rel);
    return;
  }
  await copyVerified(join(mirrorDir, rel), cacheDir, rel, entry!);
  report.copied.push(rel);
  if (action.replacing) {
    report.repaired.push({ file: rel, message: action.replacing });
    log?.(`replaced ${rel}: it ${action.replacing}`);
  } else log?.(`copied ${rel}`);
}

async function copyVerified(from: string, cacheDir: string, rel: string, expected: ManifestEntry): Promise<void> {
  const data = await readBytes(from);
  const actual = sha256(data);
  if (actual !== expected.sha256 || data.length !== expected.bytes) {
    throw new InputError(
      `does not match MANIFEST.tsv: expected sha256 ${expected.sha256} and ${expected.bytes} bytes, ` +
        `got sha256 ${actual} and ${data.length} bytes`,
      from,
    );
  }
  await writeCacheFile(cacheDir, rel, data);
}

/** One line of progress: bytes so far, of how many, and the rate. */
export function formatProgress(p: Progress): string {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const of = p.total ? ` / ${mb(p.total)} MB (${Math.floor((100 * p.received) / p.total)}%)` : " MB";
  return `${p.label}: ${mb(p.received)}${of} at ${mb(p.bytesPerSecond)} MB/s${p.done ? ", done" : ""}`;
}

/** Prints progress on one rewritten line on a terminal, or a line every 5 s otherwise. */
export function progressPrinter(): (p: Progress) => void {
  const tty = Deno.stderr.isTerminal();
  let last = 0;
  const encoder = new TextEncoder();
  return (p) => {
    if (tty) {
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${formatProgress(p)}${p.done ? "\n" : ""}`));
    } else if (p.done || performance.now() - last > 5000) {
      last = performance.now();
      console.error(formatProgress(p));
    }
  };
}
