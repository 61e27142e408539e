/**
 * `deno task corpus [NAME] [--cache-dir DIR] [--offline]`: the table of a built-in pretraining corpus
 * (default: english): per source its package, version, documents, words and bytes, and the corpus sha256;
 * fetches the Debian packages it lacks.
 */
import { resolveCacheDir } from "../data/cache.ts";
import { corpusByName, formatCorpusTable } from "../data/corpus_by_name.ts";
import { parseFlags, runMain } from "../util/cli.ts";
import { sharedFlags } from "../util/flags.ts";

async function main() {
  const { values, positionals } = parseFlags(
    "corpus",
    sharedFlags({ "cache-dir": true, offline: true }),
    Deno.args,
    { synopsis: "[NAME]", help: "NAME: a built-in pretraining corpus (default english)" },
  );
  const started = performance.now();
  const { description } = await corpusByName(positionals[0] ?? "english", {
    cacheDir: resolveCacheDir(values["cache-dir"] as string | undefined),
    fetch: !values.offline,
    log: console.log,
  });
  console.log(formatCorpusTable(description));
  console.log(`read in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) await runMain(main);
