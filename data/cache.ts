/**
 * The evaluation-data cache: one folder laid out exactly like ../shared/data (glue/TASK/SPLIT.tsv,
 * lambada/lambada_test.jsonl, xnli/LANG/SPLIT.tsv). Resolution order: `--cache-dir DIR`, then the
 * environment variable HEADLESS_BENCH_DATA, then `join(cacheHome(), "data")`.
 */
import { join, resolve } from "node:path";
import { exists } from "../util/fs.ts";
import { InputError } from "../util/errors.ts";
import { cacheHome } from "../util/paths.ts";
import type { FlagSpec } from "../util/cli.ts";

/** Environment variable naming the data cache folder. */
export const DATA_CACHE_ENV = "HEADLESS_BENCH_DATA";

/** The `--cache-dir` flag, for any tasks/ entry point that reads evaluation data. */
export const CACHE_DIR_FLAG: FlagSpec = {
  "cache-dir": {
    type: "string",
    help: `evaluation-data cache folder (default $${DATA_CACHE_ENV}, else ~/.cache/headless-bench/data)`,
  },
};

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

/** The error for a file the cache lacks, saying how to get it. */
export function notInCacheError(relPath: string, cacheDir: string): InputError {
  return new InputError(`${relPath} not in cache ${cacheDir}: run \`deno task data\` or pass --cache-dir`);
}

/** The absolute path of a cache file that must exist; a missing one is the InputError above. */
export async function requireCached(cacheDir: string, relPath: string): Promise<string> {
  const path = join(cacheDir, relPath);
  if (!(await exists(path))) throw notInCacheError(relPath, cacheDir);
  return path;
}

/** The cache-relative paths among `relPaths` that the cache does not hold. */
export async function missingFromCache(cacheDir: string, relPaths: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const rel of relPaths) if (!(await exists(join(cacheDir, rel)))) missing.push(rel);
  return missing;
}
