/**
 * The multilingual corpus as a table (per language: documents, words, tokens, tokens per word), read from
 * a reproduction's manifest.json (its `multilingual` entry, pipeline/manifest.ts).
 */
import type { LanguageStats } from "../data/multilingual/language_stats.ts";
import type { TextTable } from "./summary.ts";

const n = (x: number) => x.toLocaleString("en-US");

/** Sampling probabilities and count weights of the tokenizer's training, by language. */
interface Training {
  alpha: number;
  vocabSize: number;
  samplingProbabilities: Record<string, number>;
}

/** The table, when `manifest` has multilingual.languages; otherwise none. */
export function multilingualCorpusTables(manifest: unknown): TextTable[] {
  const m = (manifest as
    | { multilingual?: { languages?: LanguageStats[] | null; tokenizer?: { training?: Training | null } } }
    | undefined)
    ?.multilingual;
  const languages = m?.languages;
  if (!languages?.length) return [];
  const training = m?.tokenizer?.training ?? null;
  const total = (f: (l: LanguageStats) => number) => languages.reduce((a, l) => a + f(l), 0);
  const sourceText = (l: LanguageStats) => Object.entries(l.sources).map(([s, x]) => `${s} ${n(x)}`).join(", ");
  return [{
    title: "Multilingual pretraining corpus, per language",
    columns: [
      "lang",
      "documents (valid)",
      "words",
      "characters (ja, zh)",
      "tokens",
      "tokens per word (per char)",
      "BPE sampling q",
      "sources (words; characters for ja, zh)",
    ],
    rows: [
      ...languages.map((l) => [
        l.lang,
        `${n(l.documents)} (${n(l.validDocuments)})`,
        n(l.words),
        l.unit === "characters" ? n(l.units) : "",
        l.tokens === undefined ? "—" : n(l.tokens),
        l.tokensPerUnit === undefined ? "—" : `${l.tokensPerUnit.toFixed(2)}${l.unit === "characters" ? " /char" : ""}`,
        training?.samplingProbabilities[l.lang]?.toFixed(3) ?? "—",
        sourceText(l),
      ]),
      [
        "all",
        `${n(total((l) => l.documents))} (${n(total((l) => l.validDocuments))})`,
        n(total((l) => l.words)),
        "",
        n(total((l) => l.tokens ?? 0)),
        "",
        "",
        "",
      ],
    ],
    notes: [
      "Real text this machine can get: Debian's libreoffice-help, manpages and fortunes packages (unpacked, never installed) and the Quran " +
      "translations of quran-json@3.1.2; capped per language (words; characters for ja and zh) to balance languages (data/multilingual/).",
      training
        ? `One byte-level BPE (vocabulary ${
          n(training.vocabSize)
        }) trained on the train split with XLM-R language sampling q ∝ p^${training.alpha}.`
        : "Tokenizer training figures were not recorded.",
      "The paper pretrains on Wikipedia in the same ten languages (far more text); this corpus is a small stand-in.",
    ],
  }];
}
