/**
 * A reproduction's evaluation data: the cache files it needs that the cache lacks are fetched through the
 * verified downloader (data/download.ts, the code `deno task data` runs), or, offline, named with the
 * command that fetches them.
 */
import { missingFromCache } from "../data/cache.ts";
import { DownloadError, fetchMissing, type Progress } from "../data/download.ts";
import { type BaseName, type Source, sourcesFor } from "../data/sources.ts";
import { InputError } from "../util/errors.ts";
import { missingDataMessage } from "./data_needs.ts";

/** How a reproduction gets the evaluation files its cache lacks. */
export interface DataFetchOptions {
  /** Fetch nothing: a missing file is an InputError naming it and the command that fetches it. */
  offline?: boolean;
  /** Replaces the canonical hosts (a mirror; tests point these at 127.0.0.1). */
  baseUrls?: Partial<Record<BaseName, string>>;
  /** The download table (default: data/sources.ts's SOURCES). */
  sources?: readonly Source[];
  onProgress?: (progress: Progress) => void;
}

/**
 * Makes sure the cache holds `files` (cache-relative), fetching the sources of the missing ones; returns
 * the files written. Offline, or for a file no source provides, an InputError says what is missing and how
 * to get it; a failed download is a DownloadError naming each failure.
 */
export async function ensureCacheFiles(
  cacheDir: string,
  files: readonly string[],
  options: DataFetchOptions,
  log: (line: string) => void,
): Promise<string[]> {
  const missing = await missingFromCache(cacheDir, files);
  if (missing.length === 0) return [];
  if (options.offline) {
    throw new InputError(`--offline: nothing fetched\n${await missingDataMessage(cacheDir, missing)}`);
  }
  const { sources, unknown } = sourcesFor(missing, options.sources);
  if (unknown.length) {
    throw new InputError(
      `no download source provides ${unknown.join(", ")}\n${await missingDataMessage(cacheDir, unknown)}`,
    );
  }
  log(`data cache ${cacheDir} lacks ${missing.length} file(s); fetching ${sources.map((s) => s.name).join(", ")}`);
  const report = await fetchMissing(cacheDir, {
    sources,
    baseUrls: options.baseUrls,
    onProgress: options.onProgress,
    log,
  });
  if (report.failed.length) {
    throw new DownloadError(
      [
        ...report.failed.map((f) => `${f.source}: ${f.message}`),
        `(files already fetched stay in the cache; run the same command again to fetch the rest)`,
      ].join("\n"),
    );
  }
  const still = await missingFromCache(cacheDir, files);
  if (still.length) {
    throw new InputError(
      `fetched, yet still missing: ${still.join(", ")}\n${await missingDataMessage(cacheDir, still)}`,
    );
  }
  return report.fetched.flatMap((f) => f.files);
}
