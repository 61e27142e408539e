/**
 * `deno run -A tasks/corpus_multilingual.ts [--fetch] [--languages ar,de,...] [--cap-words N |
 * --cap-tokens N --tokenizer FILE] [--vocab 32768 [--alpha 0.3]] [--tokenizer FILE] [--out DIR]
 * [--write-corpus] [--seed N] [--valid-fraction F] [--cache-dir DIR]`
 *
 * Builds the multilingual corpus (data/multilingual/) from the data cache and prints, per language,
 * documents, words (characters for ja and zh) and, given or after training a tokenizer, tokens and tokens
 * per word. `--fetch` first unpacks the Debian packages the languages need into the cache (apt-get
 * download + dpkg-deb -x; skipped with a message on machines without apt) and loads quran-json@3.1.2.
 * `--vocab N` trains one byte-level BPE on the train split with XLM-R-style language sampling and writes
 * tokenizer.json and stats.json (and with --write-corpus corpus.jsonl, readable by tasks/tokenize.ts
 * --corpus) into the output folder, default runs/multilingual/<hash of settings and corpus>.
 */
import { basename, dirname, join } from "node:path";
import { CACHE_DIR_FLAG, resolveCacheDir } from "../data/cache.ts";
import { type Document, splitOf } from "../data/corpus.ts";
import {
  DEFAULT_ALPHA,
  fetchMultilingualSources,
  languageSources,
  type LanguageStats,
  languageStats,
  multilingualCorpus,
  PAPER_LANGUAGES,
  type SampledBpeInfo,
  trainSampledBpe,
} from "../data/multilingual/mod.ts";
import { loadTokenizer, toHfJson } from "../tokenizer/hf_json.ts";
import { corpusSha256 } from "../tokenizer/pipeline.ts";
import { validateVocabSize } from "../tokenizer/specials.ts";
import { numberFlag, parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256, writeJsonAtomic } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";

const FLAGS = {
  ...CACHE_DIR_FLAG,
  languages: { type: "string" as const, default: PAPER_LANGUAGES.join(","), help: "comma-separated language codes" },
  fetch: {
    type: "boolean" as const,
    help: "first fetch the Debian packages (apt-get download) and quran-json into the cache",
  },
  "apt-update": { type: "boolean" as const, help: "run apt-get update before fetching (needs root)" },
  "cap-words": { type: "string" as const, help: "cap per language in words (characters for ja and zh)" },
  "cap-tokens": { type: "string" as const, help: "cap per language in tokens of --tokenizer" },
  tokenizer: { type: "string" as const, help: "tokenizer.json to count tokens with (and to cap by with --cap-tokens)" },
  vocab: { type: "string" as const, help: "train a multilingual BPE of this vocabulary size on the train split" },
  alpha: {
    type: "string" as const,
    default: String(DEFAULT_ALPHA),
    help: "language sampling exponent for BPE training",
  },
  seed: {
    type: "string" as const,
    default: "0",
    help: "seed of the cap's document order and of the train/valid split",
  },
  "valid-fraction": { type: "string" as const, default: "0.02", help: "share of documents held out for validation" },
  out: { type: "string" as const, help: "output folder (default runs/multilingual/<hash>)" },
  "write-corpus": {
    type: "boolean" as const,
    help: "also write corpus.jsonl (id, source, split, text) to the output folder",
  },
  force: { type: "boolean" as const, help: "replace the output folder if it exists" },
};

async function main() {
  const { values, positionals } = parseFlags("corpus-multilingual", FLAGS);
  if (positionals.length) throw new InputError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const cacheDir = resolveCacheDir(values["cache-dir"] as string | undefined);
  const languages = (values.languages as string).split(",").map((s) => s.trim()).filter(Boolean);
  languages.forEach(languageSources); // unknown codes fail here
  const seed = numberFlag("seed", values.seed);
  const validFraction = numberFlag("valid-fraction", values["valid-fraction"]);
  const alpha = numberFlag("alpha", values.alpha);
  const capWords = values["cap-words"] === undefined ? undefined : numberFlag("cap-words", values["cap-words"]);
  const capTokens = values["cap-tokens"] === undefined ? undefined : numberFlag("cap-tokens", values["cap-tokens"]);
  const vocab = values.vocab === undefined
    ? undefined
    : validateVocabSize(numberFlag("vocab", values.vocab), "--vocab");
  if (capTokens !== undefined && values.tokenizer === undefined) {
    throw new InputError("--cap-tokens needs --tokenizer FILE");
  }
  let tokenizer = values.tokenizer ? await loadTokenizer(values.tokenizer as string) : undefined;

  if (values.fetch) await fetchSources(cacheDir, languages, Boolean(values["apt-update"]));

  console.log(
    `corpus: ${languages.join(" ")} from ${cacheDir}` +
      (capWords
        ? `, cap ${fmt(capWords)} words/characters per language`
        : capTokens
        ? `, cap ${fmt(capTokens)} tokens per language`
        : ", no cap"),
  );
  const started = performance.now();
  const docs: Document[] = [];
  const counter = tokenizer;
  for await (
    const doc of multilingualCorpus({
      cacheDir,
      languages,
      capWordsPerLanguage: capWords,
      capTokensPerLanguage: capTokens,
      countTokens: counter ? (text) => counter.encode(text).length : undefined,
      seed,
      notes: (m) => console.log(`  note: ${m}`),
    })
  ) docs.push(doc);
  console.log(`built ${fmt(docs.length)} documents in ${seconds(started)}`);
  if (docs.length === 0) {
    throw new InputError(`no documents: fetch the sources first (--fetch) or check --cache-dir ${cacheDir}`);
  }

  let outDir = values.out as string | undefined;
  const writes = vocab !== undefined || values["write-corpus"];
  let training: SampledBpeInfo | undefined;
  if (writes) {
    const settings = {
      languages,
      capWords,
      capTokens,
      seed,
      validFraction,
      vocab,
      alpha,
      corpus: await corpusSha256(docs),
    };
    outDir ??= join(REPO_ROOT, "runs", "multilingual", sha256(JSON.stringify(settings)).slice(0, 12));
    if (await exists(outDir)) {
      if (!values.force) throw new InputError(`output folder exists: ${outDir} (--force replaces it)`);
      await Deno.remove(outDir, { recursive: true });
    }
  }
  const tmp = outDir ? join(dirname(outDir), `.${basename(outDir)}.${Deno.pid}.tmp`) : "";
  if (outDir) await Deno.mkdir(tmp, { recursive: true });
  try {
    if (vocab !== undefined) {
      const trained = trainSampledBpe(docs, { vocabSize: vocab, alpha, validFraction, seed, log: console.log });
      tokenizer = trained.tokenizer;
      training = trained.info;
      await Deno.writeTextFile(join(tmp, "tokenizer.json"), toHfJson(tokenizer));
    }
    const rows = languageStats(docs, languages, { validFraction, seed }, tokenizer);
    printRows(rows);
    if (outDir) {
      if (values["write-corpus"]) await writeCorpus(join(tmp, "corpus.jsonl"), docs, validFraction, seed);
      await writeJsonAtomic(join(tmp, "stats.json"), {
        languages: rows,
        settings: {
          cacheDir,
          capWords: capWords ?? null,
          capTokens: capTokens ?? null,
          tokenizer: values.tokenizer ?? null,
          seed,
          validFraction,
        },
        training: training ?? null,
      });
      await Deno.rename(tmp, outDir);
      console.log(`wrote ${outDir}`);
    }
  } catch (e) {
    if (tmp) await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}

/** Runs `apt-get update` when asked, then fetches the languages' sources into the cache. */
async function fetchSources(cacheDir: string, languages: string[], aptUpdate: boolean) {
  if (aptUpdate) {
    const out = await new Deno.Command("apt-get", { args: ["update"], stdout: "null", stderr: "piped" }).output().catch(
      () => null,
    );
    if (!out?.success) {
      console.log(
        `  note: apt-get update failed${out ? `: ${new TextDecoder().decode(out.stderr).trim()}` : " (no apt-get)"}`,
      );
    }
  }
  const { cached } = await fetchMultilingualSources(cacheDir, languages, console.log);
  if (cached.length) console.log(`  already in the cache: ${cached.join(" ")}`);
}

function printRows(rows: LanguageStats[]) {
  const tokens = rows.some((r) => r.tokens !== undefined);
  const header = [
    "lang",
    "docs",
    "valid",
    "words",
    "chars (ja/zh)",
    "MB",
    ...(tokens ? ["tokens", "tokens/word", "tokens/char"] : []),
    "sources (words; characters for ja, zh)",
  ];
  const lines = rows.map((r) => [
    r.lang,
    fmt(r.documents),
    fmt(r.validDocuments),
    fmt(r.words),
    r.unit === "characters" ? fmt(r.units) : "",
    (r.bytes / 1e6).toFixed(1),
    ...(tokens
      ? [
        fmt(r.tokens!),
        r.unit === "words" ? (r.tokens! / r.words).toFixed(2) : "",
        r.unit === "characters" ? (r.tokens! / r.units).toFixed(2) : "",
      ]
      : []),
    Object.entries(r.sources).map(([s, n]) => `${s} ${fmt(n)}`).join(", "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const show = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(show(header));
  for (const l of lines) console.log(show(l));
  console.log(
    "words: whitespace-separated words; for ja and zh the cap and tokens/char count non-space characters instead.",
  );
}

/** Writes the corpus as JSON lines {id, source, split, text}, atomically. */
async function writeCorpus(path: string, docs: Document[], validFraction: number, seed: number) {
  const lines = docs.map((d) =>
    JSON.stringify({ id: d.id, source: d.source, split: splitOf(d.id, validFraction, seed), text: d.text })
  );
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
}

const fmt = (n: number) => n.toLocaleString("en-US");
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

if (import.meta.main) await runMain(main);
