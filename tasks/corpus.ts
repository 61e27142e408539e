/**
 * `deno task corpus [NAME] [--cache-dir DIR] [--no-fetch]`: the table of a built-in pretraining corpus
 * (default: english): per source its package, version, documents, words and bytes, and the corpus sha256;
 * fetches the Debian packages it lacks.
 */
import { CACHE_DIR_FLAG, resolveCacheDir } from "../data/cache.ts";
import { corpusByName, formatCorpusTable } from "../data/corpus_by_name.ts";
import { parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

async function main() {
  const { values, positionals } = parseFlags("corpus", {
    ...CACHE_DIR_FLAG,
    "no-fetch": { type: "boolean", help: "do not fetch missing Debian packages" },
  });
  if (positionals.length > 1) throw new InputError(`expected one corpus name, got ${positionals.join(" ")}`);
  const started = performance.now();
  const { description } = await corpusByName(positionals[0] ?? "english", {
    cacheDir: resolveCacheDir(values["cache-dir"] as string | undefined),
    fetch: !values["no-fetch"],
    log: console.log,
  });
  console.log(formatCorpusTable(description));
  console.log(`read in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) await runMain(main);
