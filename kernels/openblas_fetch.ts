/**
 * OpenBLAS without root. Where no OpenBLAS can be loaded and the system has apt-get, Debian's (or
 * Ubuntu's) `libopenblas0-pthread` is fetched with `apt-get download` and unpacked into the user cache
 * by data/debian.ts, as the corpora's packages are: nothing is installed. A library it needs that the
 * system lacks (libgfortran5, and libquadmath0 on x86) is fetched the same way and opened first, by
 * its path, so that the dynamic loader finds it already loaded when it opens OpenBLAS.
 */
import { basename, join } from "node:path";
import { type DebianFetch, fetchDebianPackage, type FetchOptions } from "../data/debian.ts";
import { defaultCacheDir } from "../data/cache.ts";

/** The Debian / Ubuntu package with the pthread build of OpenBLAS (`libopenblas.so.0`). */
export const OPENBLAS_PACKAGE = "libopenblas0-pthread";

/** The file the package ships that the loader binds. */
export const OPENBLAS_SONAME = "libopenblas.so.0";

/** Packages shipping the shared libraries OpenBLAS needs beyond libc, by soname. */
export const LIBRARY_PACKAGES: Readonly<Record<string, string>> = {
  "libgfortran.so.5": "libgfortran5",
  "libquadmath.so.0": "libquadmath0",
};

/** OpenBLAS from the cache, ready to bind. */
export interface FetchedOpenBlas {
  /** The library file to bind (inside the cache). */
  library: string;
  /** Libraries from the cache that were opened first, in order, because the system lacks them. */
  opened: string[];
  /** The packages used, with their versions, and whether this call fetched them or found them cached. */
  packages: { package: string; version: string; status: "cached" | "fetched" }[];
}

/** Options of {@link fetchOpenBlas}. */
export interface OpenBlasFetchOptions extends FetchOptions {
  /** Where the packages are unpacked (default: the user's data cache, ~/.cache/headless-bench/data). */
  cacheDir?: string;
  /** soname -> package for the libraries OpenBLAS may need (default {@link LIBRARY_PACKAGES}). */
  libraryPackages?: Readonly<Record<string, string>>;
}

/** A failure of the fetch, as one line. */
class FetchFailed extends Error {}

/**
 * OpenBLAS from the user cache, fetching its package (and those of the libraries it needs that the
 * system lacks) first unless they are there already; or `{ missing }`, one line saying why not (no
 * apt-get, apt does not know the package, the library does not open).
 */
export async function fetchOpenBlas(
  options: OpenBlasFetchOptions = {},
): Promise<FetchedOpenBlas | { missing: string }> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const libraryPackages = options.libraryPackages ?? LIBRARY_PACKAGES;
  const packages: FetchedOpenBlas["packages"] = [];
  const opened: string[] = [];
  const unpack = async (pkg: string): Promise<string> => {
    let got: DebianFetch;
    try {
      got = await fetchDebianPackage(cacheDir, pkg, options);
    } catch (e) {
      throw new FetchFailed(firstLine(e));
    }
    if (got.status === "skipped") throw new FetchFailed(got.reason);
    if (!packages.some((p) => p.package === pkg)) {
      packages.push({ package: pkg, version: got.record.version, status: got.status });
    }
    return got.dir;
  };
  // Opens `path`; each library the loader reports missing is fetched, opened first, and `path` tried again.
  const open = async (path: string, seen: Set<string>): Promise<void> => {
    for (;;) {
      let needed: string | null;
      try {
        Deno.dlopen(path, {});
        return;
      } catch (e) {
        needed = missingLibrary(e);
        if (!needed) throw new FetchFailed(`${basename(path)} does not open: ${firstLine(e)}`);
      }
      const pkg = libraryPackages[needed];
      if (!pkg) throw new FetchFailed(`${basename(path)} needs ${needed}, which is not installed and not fetched here`);
      if (seen.has(needed)) throw new FetchFailed(`${needed} from package ${pkg} did not satisfy ${basename(path)}`);
      seen.add(needed);
      const dependency = findFile(await unpack(pkg), needed);
      if (!dependency) throw new FetchFailed(`package ${pkg} holds no ${needed}`);
      await open(dependency, seen);
      opened.push(dependency);
    }
  };
  try {
    const library = findFile(await unpack(OPENBLAS_PACKAGE), OPENBLAS_SONAME);
    if (!library) throw new FetchFailed(`package ${OPENBLAS_PACKAGE} holds no ${OPENBLAS_SONAME}`);
    await open(library, new Set());
    return { library, opened, packages };
  } catch (e) {
    if (e instanceof FetchFailed) return { missing: e.message };
    throw e;
  }
}

/** The library the dynamic loader could not find, from its error ("libX.so.5: cannot open shared object file"). */
export function missingLibrary(error: unknown): string | null {
  const m = /([\w.+-]+\.so(?:\.[\w.]+)?): cannot open shared object file/.exec(firstLine(error));
  return m ? m[1] : null;
}

/** The first file or link named `name` under `dir` (depth first), or null. */
function findFile(dir: string, name: string): string | null {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.name === name && (entry.isFile || entry.isSymlink)) return path;
    if (entry.isDirectory) {
      const found = findFile(path, name);
      if (found) return found;
    }
  }
  return null;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0];
}
