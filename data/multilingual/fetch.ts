/**
 * Makes the sources of some languages available: unpacks their Debian packages into the cache
 * (data/debian.ts; skipped with a message where apt-get is missing) and locates the
 * quran-json package. Packages already in the cache are not fetched again.
 */
import { fetchDebianPackage } from "../debian.ts";
import { quranPackageDir } from "./quran.ts";
import { debianPackagesFor, languageSources } from "./sources.ts";

/** What happened to each source, one line each. */
export async function fetchMultilingualSources(
  cacheDir: string,
  languages: readonly string[],
  log: (line: string) => void = () => {},
): Promise<{ fetched: string[]; cached: string[]; skipped: string[] }> {
  const out = { fetched: [] as string[], cached: [] as string[], skipped: [] as string[] };
  for (const pkg of debianPackagesFor(languages)) {
    const started = performance.now();
    const result = await fetchDebianPackage(cacheDir, pkg);
    if (result.status === "skipped") {
      out.skipped.push(pkg);
      log(`  ${result.reason}`);
    } else {
      out[result.status].push(pkg);
      if (result.status === "fetched") {
        log(
          `  ${pkg} ${result.record.version}: fetched (${result.record.bytes.toLocaleString("en-US")} bytes) in ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s`,
        );
      }
    }
  }
  if (languages.some((lang) => languageSources(lang).quran)) log(`  quran-json@3.1.2: ${await quranPackageDir()}`);
  return out;
}
