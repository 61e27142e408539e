/**
 * Debian packages as a text source (of the multilingual and the English corpora): `apt-get download
 * PACKAGE` fetches the .deb (nothing is installed) and `dpkg-deb -x` unpacks it into
 * `<cache>/multilingual/debian/<package>/`, beside the .deb itself and a `debian-package.json` record
 * (name, version, file, sha256). The unpack goes to a temporary folder that is renamed into place last, so
 * the folder exists only complete; an existing one is reused as it is. On a machine without apt-get or
 * dpkg-deb the source is skipped with a message saying so.
 */
import { basename, join, resolve } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists, sha256File, takesFiles, writeJsonAtomic } from "../util/fs.ts";
import { SHARED_DATA_DIR } from "../util/paths.ts";
import { defaultCacheDir } from "./cache.ts";

/**
 * Where the unpacked packages live inside the data cache. The folder is named for the multilingual corpus,
 * which fetched Debian packages first; the English corpus shares it (and the packages both use).
 */
export const DEBIAN_CACHE_DIR = join("multilingual", "debian");

/** The record written beside each unpacked package; its presence marks the folder complete. */
export const DEBIAN_RECORD = "debian-package.json";

/** What debian-package.json holds. */
export interface DebianRecord {
  package: string;
  version: string;
  /** The .deb's file name, kept in the folder. */
  file: string;
  sha256: string;
  bytes: number;
}

/** One package's outcome. */
export type DebianFetch =
  | { package: string; status: "cached" | "fetched"; dir: string; record: DebianRecord }
  | { package: string; status: "skipped"; reason: string };

/** Fetches `pkg`'s .deb into the empty folder `dir` (default: `apt-get download`). */
export type Downloader = (pkg: string, dir: string) => Promise<void>;

/** Options of fetchDebianPackage. */
export interface FetchOptions {
  /** Replaces `apt-get download` (tests pass a fixture .deb this way). */
  download?: Downloader;
  /** The dpkg-deb command (default "dpkg-deb"; tests name a missing one to see the skip). */
  dpkgDeb?: string;
}

/** The folder a package unpacks into. */
export function debianPackageDir(cacheDir: string, pkg: string): string {
  return join(cacheDir, DEBIAN_CACHE_DIR, pkg);
}

/** True when `pkg` is unpacked and complete in the cache. */
export function isDebianPackageCached(cacheDir: string, pkg: string): Promise<boolean> {
  return exists(join(debianPackageDir(cacheDir, pkg), DEBIAN_RECORD));
}

/** The record of a package unpacked in the cache, or null when it is not there (complete). */
export async function readDebianRecord(cacheDir: string, pkg: string): Promise<DebianRecord | null> {
  const path = join(debianPackageDir(cacheDir, pkg), DEBIAN_RECORD);
  if (!(await exists(path))) return null;
  return JSON.parse(await Deno.readTextFile(path)) as DebianRecord;
}

/**
 * The cache to keep `packages` in: the data cache when it holds them all, or when it may take new files;
 * else the user's default cache. A read-only data cache does not take them, nor does an evaluation-data
 * mirror (../shared/data, or any folder with a MANIFEST.tsv), which is read-only by rule whatever its
 * permissions say.
 */
export async function debianCacheFor(dataCacheDir: string, packages: readonly string[]): Promise<string> {
  let complete = true;
  for (const pkg of packages) if (!(await isDebianPackageCached(dataCacheDir, pkg))) complete = false;
  if (complete) return dataCacheDir;
  const mirror = resolve(dataCacheDir) === resolve(SHARED_DATA_DIR) ||
    (await exists(join(dataCacheDir, "MANIFEST.tsv")));
  return mirror || !(await takesFiles(dataCacheDir)) ? defaultCacheDir() : dataCacheDir;
}

/** The first tool of `tools` that cannot be run, or null when all run. */
export async function missingDebianTool(tools: readonly string[] = ["apt-get", "dpkg-deb"]): Promise<string | null> {
  for (const tool of tools) if (!(await runs(tool, ["--version"]))) return tool;
  return null;
}

/** The message for a source skipped on a machine without apt (or dpkg-deb). */
export function noAptMessage(tool: string, pkg: string): string {
  return `${tool} not found: skipping Debian package ${pkg} (this source needs a Debian-like machine with apt-get and dpkg-deb)`;
}

/**
 * Unpacks `pkg` into the cache unless it is there already; skipped (not an error) when apt-get or
 * dpkg-deb is missing. A package apt does not know is an InputError saying how to check the name.
 */
export async function fetchDebianPackage(
  cacheDir: string,
  pkg: string,
  options: FetchOptions = {},
): Promise<DebianFetch> {
  if (!/^[a-z0-9][a-z0-9+.-]+$/.test(pkg)) throw new InputError(`not a Debian package name: ${JSON.stringify(pkg)}`);
  const dir = debianPackageDir(cacheDir, pkg);
  const recordPath = join(dir, DEBIAN_RECORD);
  if (await exists(recordPath)) {
    return { package: pkg, status: "cached", dir, record: JSON.parse(await Deno.readTextFile(recordPath)) };
  }
  const dpkgDeb = options.dpkgDeb ?? "dpkg-deb";
  const tool = await missingDebianTool(options.download ? [dpkgDeb] : ["apt-get", dpkgDeb]);
  if (tool) return { package: pkg, status: "skipped", reason: noAptMessage(tool, pkg) };

  const parent = join(cacheDir, DEBIAN_CACHE_DIR);
  await Deno.mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${pkg}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  const downloads = join(tmp, ".download");
  await Deno.mkdir(downloads, { recursive: true });
  try {
    await (options.download ?? aptGetDownload)(pkg, downloads);
    const debs = [...Deno.readDirSync(downloads)].filter((e) => e.isFile && e.name.endsWith(".deb")).map((e) => e.name);
    if (debs.length !== 1) throw new InputError(`expected one .deb for ${pkg} in ${downloads}, found ${debs.length}`);
    const deb = join(tmp, debs[0]);
    await Deno.rename(join(downloads, debs[0]), deb);
    await Deno.remove(downloads, { recursive: true });
    await run(dpkgDeb, ["-x", deb, tmp], `unpacking ${deb}`);
    const record: DebianRecord = {
      package: pkg,
      version: (await run(dpkgDeb, ["-f", deb, "Version"], `reading the version of ${deb}`)).trim(),
      file: basename(deb),
      sha256: await sha256File(deb),
      bytes: (await Deno.stat(deb)).size,
    };
    await writeJsonAtomic(join(tmp, DEBIAN_RECORD), record);
    try {
      await Deno.rename(tmp, dir);
    } catch (e) {
      // Another process finished the same package first: keep its folder.
      if (!(await exists(join(dir, DEBIAN_RECORD)))) throw e;
      await Deno.remove(tmp, { recursive: true });
      return { package: pkg, status: "cached", dir, record: JSON.parse(await Deno.readTextFile(recordPath)) };
    }
    return { package: pkg, status: "fetched", dir, record };
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** `apt-get download PKG` run in `dir`; an unknown package is an InputError saying how to check it. */
export async function aptGetDownload(pkg: string, dir: string): Promise<void> {
  try {
    await run("apt-get", ["download", pkg], `apt-get download ${pkg}`, dir);
  } catch (e) {
    if (e instanceof InputError && /Unable to locate package|has no (installation )?candidate/.test(e.message)) {
      throw new InputError(
        `apt does not know package ${pkg}: run \`apt-get update\`, and check the name with \`apt-cache policy ${pkg}\``,
      );
    }
    throw e;
  }
}

/** Runs a command to completion; a non-zero exit is an InputError with its stderr. Returns stdout. */
async function run(cmd: string, args: string[], what: string, cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  if (!out.success) throw new InputError(`${what} failed (exit ${out.code}): ${decode(out.stderr).trim()}`);
  return decode(out.stdout);
}

/** True when `cmd args` can be started and exits 0. */
async function runs(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()).success;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) return false;
    throw e;
  }
}
