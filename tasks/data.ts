/**
 * `deno task data`: fills the evaluation-data cache with what it lacks, from the canonical web sources
 * or (with --data-dir) from a local mirror such as ../shared/data, verified against its MANIFEST.tsv.
 * Files already there are checked too (data/cache.ts): one that does not match the cache's MANIFEST.tsv
 * is fetched again and replaced atomically.
 *
 *   deno task data                                   # everything missing, from the web
 *   deno task data --only glue,lambada               # some groups or sources
 *   deno task data --data-dir ../shared/data         # from a local mirror
 */
import { parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { sharedFlags } from "../util/flags.ts";
import { checkCached, readDataManifest, resolveCacheDir } from "../data/cache.ts";
import { DownloadError, fetchMissing, fillFromMirror, progressPrinter } from "../data/download.ts";
import { baseUrlsFromFlag, selectSources, sourceOutputs } from "../data/sources.ts";

const FLAGS = {
  ...sharedFlags({ "cache-dir": true, "base-url": true }),
  "data-dir": {
    type: "string" as const,
    help: "fill the cache from this local mirror (verified against its MANIFEST.tsv) instead of the web",
  },
  only: {
    type: "string" as const,
    help: "comma-separated data sets: glue, lambada, xnli, or a source (CoLA, MRPC, ...)",
  },
  list: {
    type: "boolean" as const,
    help: "list the sources and the cache files each lacks or holds unverified; fetch nothing",
  },
};

async function main() {
  const { values } = parseFlags("data", FLAGS);
  const cacheDir = resolveCacheDir(values["cache-dir"] as string | undefined);
  const only = typeof values.only === "string" ? values.only.split(",") : [];
  const sources = selectSources(only);
  const baseUrls = baseUrlsFromFlag(values["base-url"] as string | undefined);
  const stat = await Deno.stat(cacheDir).catch(() => null);
  if (stat && !stat.isDirectory) throw new InputError("is a file; expected the data cache folder", cacheDir);
  console.log(`data cache: ${cacheDir}`);

  if (values.list) {
    const manifest = await readDataManifest(cacheDir);
    for (const source of sources) {
      const states = new Map<string, string[]>();
      for (const rel of sourceOutputs(source)) {
        const { state } = await checkCached(cacheDir, rel, manifest);
        states.set(state, [...(states.get(state) ?? []), rel]);
      }
      const problems = (["missing", "mismatch", "unlisted"] as const).filter((s) => states.has(s)).map((s) =>
        `${LIST_WORDS[s]} ${states.get(s)!.join(", ")}`
      );
      console.log(`${source.name.padEnd(11)} ${problems.length === 0 ? "complete, verified" : problems.join("; ")}`);
    }
    return;
  }

  let failures = 0;
  if (typeof values["data-dir"] === "string") {
    const report = await fillFromMirror(values["data-dir"], cacheDir, { sources, log: (l) => console.log(l) });
    console.log(`${report.copied.length} copied, ${report.present.length} already present and verified`);
    if (report.repaired.length > 0) console.log(`${report.repaired.length} broken file(s) replaced`);
    if (report.unverified.length > 0) {
      console.log(`present but listed in no MANIFEST.tsv, used as they are: ${report.unverified.join(", ")}`);
    }
    if (report.notInMirror.length > 0) {
      console.log(`not in the mirror (still missing): ${report.notInMirror.join(", ")}`);
    }
    for (const f of report.failed) console.error(`error: ${f.message}`);
    failures = report.failed.length;
  } else {
    const report = await fetchMissing(cacheDir, {
      sources,
      baseUrls,
      onProgress: progressPrinter(),
      log: (l) => console.log(l),
    });
    if (report.upToDate.length > 0) console.log(`already complete and verified: ${report.upToDate.join(", ")}`);
    if (report.repaired.length > 0) console.log(`${report.repaired.length} broken file(s) replaced`);
    for (const f of report.failed) console.error(`error: ${f.source}: ${f.message}`);
    failures = report.failed.length;
  }
  if (failures > 0) {
    console.error(`${failures} failed`);
    Deno.exit(1);
  }
}

const LIST_WORDS = { missing: "missing", mismatch: "not matching MANIFEST.tsv", unlisted: "not in MANIFEST.tsv" };

if (import.meta.main) {
  await runMain(async () => {
    try {
      await main();
    } catch (e) {
      if (!(e instanceof DownloadError)) throw e;
      console.error(`error: ${e.message}`);
      Deno.exit(1);
    }
  });
}
