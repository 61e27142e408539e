/**
 * `deno task corpus-multilingual [--fetch] [--languages ar,de,...] [--cap-words N] [--vocab 32768 [--alpha 0.3]]
 * [--seed N] [--valid-fraction F] [--tokenizer FILE] [--out DIR] [--cache-dir DIR]`
 *
 * The multilingual corpus (data/multilingual/) and, per language, documents, words (characters for ja and
 * zh) and, given a tokenizer or after training one, tokens per word. `--fetch` first unpacks the Debian
 * packages the languages need into the cache (apt-get download + dpkg-deb -x; skipped with a message where
 * apt is missing) and loads quran-json@3.1.2. With `--vocab N` it builds the same artifact a reproduction
 * does (tokenizer/multilingual_stage.ts): one byte-level BPE trained with XLM-R language sampling, the
 * token shards and languages.json, in runs/corpus-multilingual/<key> or --out.
 */
import { buildFromCli } from "../artifacts/cli.ts";
import { keyOf } from "../artifacts/hash.ts";
import { resolveCacheDir } from "../data/cache.ts";
import type { Document } from "../data/corpus.ts";
import { type LanguagesFile, stage } from "../tokenizer/multilingual_stage.ts";
import { type LanguageStats, languageStats, multilingualCorpus, PAPER_LANGUAGES } from "../data/multilingual/mod.ts";
import { prepareMultilingualSources } from "../pipeline/multilingual.ts";
import type { MultilingualProfile } from "../pipeline/profile.ts";
import { loadTokenizer } from "../tokenizer/hf_json.ts";
import { DEFAULT_ALPHA } from "../tokenizer/language_sampling.ts";
import { validateVocabSize } from "../tokenizer/specials.ts";
import { type FlagSpec, integerFlag, numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { sharedFlags } from "../util/flags.ts";

const FLAGS = {
  ...sharedFlags({
    "cache-dir": true,
    languages: { default: PAPER_LANGUAGES.join(",") },
    vocab: { defaultHelp: "none, only counting; given, the BPE is trained and the corpus artifact written" },
    seed: { default: "0" },
    "valid-fraction": { default: "0.02" },
    tokenizer: { defaultHelp: "none, no token counts; not used with --vocab" },
    out: { defaultHelp: "with --vocab, runs/corpus-multilingual/multilingual-<key>" },
    force: true,
  }),
  fetch: { type: "boolean", help: "first fetch the Debian packages (apt-get download) and quran-json into the cache" },
  "cap-words": { type: "string", default: "1000000", help: "cap per language in words (characters for ja and zh)" },
  alpha: { type: "string", default: String(DEFAULT_ALPHA), help: "language sampling exponent for BPE training" },
} satisfies FlagSpec;

async function main() {
  const { values: v } = parseFlags("corpus-multilingual", FLAGS);
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const languages = (v.languages as string).split(",").map((s) => s.trim()).filter(Boolean);
  const capWords = integerFlag("cap-words", v["cap-words"], 100);
  const seed = integerFlag("seed", v.seed, 0);
  const validFraction = numberFlag("valid-fraction", v["valid-fraction"]);
  const sources = await prepareMultilingualSources(
    { languages, fetch: v.fetch === true } as MultilingualProfile,
    cacheDir,
    console.log,
  );
  if (v.vocab === undefined) {
    const tokenizer = v.tokenizer ? await loadTokenizer(v.tokenizer as string) : undefined;
    const docs: Document[] = [];
    const notes = (n: string) => console.log(`  note: ${n}`);
    for await (
      const d of multilingualCorpus({ cacheDir: sources.dir, languages, capWordsPerLanguage: capWords, seed, notes })
    ) {
      docs.push(d);
    }
    if (docs.length === 0) throw new InputError(`no documents: fetch the sources first (--fetch)`, sources.dir);
    printRows(languageStats(docs, languages, { validFraction, seed }, tokenizer));
    return;
  }
  const spec = {
    languages,
    capWords,
    tokenizer: {
      vocabSize: validateVocabSize(numberFlag("vocab", v.vocab), "--vocab"),
      alpha: numberFlag("alpha", v.alpha),
      seed,
      validFraction,
    },
    sources: sources.fingerprint,
  };
  const { dir } = await buildFromCli(stage, spec, { sources: { dir: sources.dir, key: keyOf(sources.fingerprint) } }, {
    out: v.out as string | undefined,
    label: "multilingual",
    force: v.force === true,
  });
  printRows((JSON.parse(await Deno.readTextFile(`${dir}/languages.json`)) as LanguagesFile).languages);
}

function printRows(rows: LanguageStats[]) {
  const fmt = (n: number) => n.toLocaleString("en-US");
  const tokens = rows.some((r) => r.tokens !== undefined);
  const header = [
    "lang",
    "docs",
    "valid",
    "words",
    "chars (ja/zh)",
    "MB",
    ...(tokens ? ["tokens", "tokens/unit"] : []),
  ];
  const lines = rows.map((r) => [
    r.lang,
    fmt(r.documents),
    fmt(r.validDocuments),
    fmt(r.words),
    r.unit === "characters" ? fmt(r.units) : "",
    (r.bytes / 1e6).toFixed(1),
    ...(tokens ? [fmt(r.tokens!), (r.tokens! / (r.unit === "words" ? r.words : r.units)).toFixed(2)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const l of [header, ...lines]) {
    console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
  }
  for (const r of rows) {
    console.log(`${r.lang}: ${Object.entries(r.sources).map(([s, n]) => `${s} ${fmt(n)}`).join(", ")}`);
  }
  console.log("words: whitespace-separated words; for ja and zh the cap and tokens/unit count non-space characters.");
}

if (import.meta.main) await runMain(main);
