/**
 * The multilingual pretraining corpus: per language, every document its sources give (data/multilingual/
 * sources.ts), cleaned paragraph by paragraph, then a per-language cap that balances the languages.
 *
 * Paragraph filters, per package: a paragraph seen before in the same package is dropped (sections that
 * LibreOffice embeds in many pages, the translators' notice at the end of every man page); so is, outside
 * English, a paragraph identical to one of the English LibreOffice help or man pages (help pages fall back
 * to English where a translation is missing: 87% of the Hindi paragraphs); and, for languages with their
 * own script, one whose letters are less than MIN_SCRIPT_SHARE in that script.
 *
 * The cap, in words (characters for ja and zh) or in tokens of a given tokenizer, is shared out between a
 * language's sources by water-filling (each source gets an equal share, a source with less than its share
 * gives the rest to the others); within a source, documents are taken in the order of
 * sha256("cap:" seed ":" id) while they fit. The selection depends only on the cache's contents, the
 * settings and the seed.
 */
import { sha256 } from "../../util/fs.ts";
import { InputError } from "../../util/errors.ts";
import type { Document } from "../corpus.ts";
import { debianPackageDir, isDebianPackageCached } from "../debian.ts";
import { readFortunes } from "./fortunes.ts";
import { helpParagraphSet, readLibreOfficeHelp } from "./libreoffice_help.ts";
import { readManPages } from "./manpages.ts";
import { readQuran } from "./quran.ts";
import {
  type DebianSource,
  LANGUAGE_SOURCES,
  type LanguageSources,
  languageSources,
  PAPER_LANGUAGES,
} from "./sources.ts";
import { measureText, MIN_SCRIPT_SHARE, type Notes, scriptShare, type SourceText } from "./text.ts";

/** Options of multilingualCorpus. */
export interface MultilingualOptions {
  /** The data cache holding multilingual/debian/<package>/. */
  cacheDir: string;
  /** Language codes (default: the paper's ten). */
  languages?: readonly string[];
  /** Cap per language in words (characters for ja and zh). */
  capWordsPerLanguage?: number;
  /** Cap per language in tokens of `countTokens` (a tokenizer's encode length). */
  capTokensPerLanguage?: number;
  countTokens?: (text: string) => number;
  /** Seeds the order documents are taken in under the cap (default 0). */
  seed?: number;
  /** Where missing sources and skipped files are reported (default: nowhere). */
  notes?: Notes;
  /** The quran-json package folder (default: located by readQuran). */
  quranDir?: string;
}

/** A candidate document and its size in the cap's unit. */
export interface Sized {
  id: string;
  size: number;
}

/** The documents of one source (one origin of one language), sized. */
export interface SourceCandidates {
  source: string;
  docs: Sized[];
}

/** The origin names that make `source` = `<lang>/<origin>`. */
export type Origin = DebianSource["kind"] | "quran";

/**
 * Streams the balanced corpus: languages in the given order, each language's sources in table order,
 * documents in their source's order. `source` is `<lang>/<origin>` and ids are `<lang>/<origin>/<name>`.
 */
export async function* multilingualCorpus(options: MultilingualOptions): AsyncGenerator<Document> {
  const { cacheDir, languages = PAPER_LANGUAGES, seed = 0, notes = () => {} } = options;
  const cap = capOf(options);
  const english = await englishReference(cacheDir, languages);
  for (const lang of languages) {
    const spec = languageSources(lang);
    const bySource = new Map<string, Document[]>();
    for await (const doc of languageDocuments(lang, spec, { ...options, notes }, lang === "en" ? null : english)) {
      let list = bySource.get(doc.source);
      if (!list) bySource.set(doc.source, list = []);
      list.push(doc);
    }
    if (bySource.size === 0) notes(`${lang}: no documents (sources missing from the cache?)`);
    const measure = cap.unit === "tokens" ? cap.countTokens : (text: string) => measureText(text, spec.unit);
    const candidates = [...bySource].map(([source, docs]) => ({
      source,
      docs: docs.map((d) => ({ id: d.id, size: measure(d.text) })),
    }));
    const chosen = selectUnderCap(candidates, cap.perLanguage, seed);
    for (const docs of bySource.values()) for (const doc of docs) if (chosen.has(doc.id)) yield doc;
  }
}

/** The cap the options ask for (at most one kind); no cap is an infinite word cap. */
function capOf(options: MultilingualOptions):
  | { unit: "words"; perLanguage: number }
  | { unit: "tokens"; perLanguage: number; countTokens: (text: string) => number } {
  const { capWordsPerLanguage: words, capTokensPerLanguage: tokens, countTokens } = options;
  if (words !== undefined && tokens !== undefined) throw new InputError("give a cap in words or in tokens, not both");
  if (tokens !== undefined) {
    if (!(tokens > 0)) throw new InputError(`the token cap must be a positive number, got ${tokens}`);
    if (!countTokens) throw new InputError("a cap in tokens needs a tokenizer (countTokens)");
    return { unit: "tokens", perLanguage: tokens, countTokens };
  }
  if (words !== undefined && !(words > 0)) throw new InputError(`the word cap must be a positive number, got ${words}`);
  return { unit: "words", perLanguage: words ?? Infinity };
}

/**
 * The ids kept under `cap`: water-filling between sources (smallest first, each offered an equal share of
 * what is left, taking what fits of it), documents of a source in capOrderKey order, each taken if it
 * still fits the source's share. Everything is kept when the total fits.
 */
export function selectUnderCap(sources: readonly SourceCandidates[], cap: number, seed = 0): Set<string> {
  const chosen = new Set<string>();
  const total = (s: SourceCandidates) => s.docs.reduce((a, d) => a + d.size, 0);
  const ordered = [...sources].map((s) => ({ s, total: total(s) }))
    .sort((a, b) => a.total - b.total || (a.s.source < b.s.source ? -1 : a.s.source > b.s.source ? 1 : 0));
  let remaining = cap;
  ordered.forEach(({ s, total }, i) => {
    const share = Math.min(total, remaining / (ordered.length - i));
    let taken = 0;
    const byHash = s.docs.map((d) => ({ d, key: capOrderKey(d.id, seed) })).sort((
      a,
      b,
    ) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const { d } of byHash) {
      if (taken + d.size > share) continue;
      chosen.add(d.id);
      taken += d.size;
    }
    remaining -= taken;
  });
  return chosen;
}

/**
 * The key documents are taken in under the cap: sha256("cap:" seed ":" id). It must differ from the key
 * splitOf hashes (seed ":" id), or the validation documents, which have the smallest split keys, would
 * always be the first taken.
 */
export function capOrderKey(id: string, seed: number): string {
  return sha256(`cap:${seed}:${id}`);
}

/** A language's documents from every source the cache holds, paragraph-filtered (missing sources noted). */
async function* languageDocuments(
  lang: string,
  spec: LanguageSources,
  options: MultilingualOptions & { notes: Notes },
  english: Set<string> | null,
): AsyncGenerator<Document> {
  const { cacheDir, notes } = options;
  const ids = new Set<string>();
  const make = (origin: Origin, doc: SourceText): Document => {
    const id = `${lang}/${origin}/${doc.name}`;
    if (ids.has(id)) throw new Error(`two documents with id ${id}`);
    ids.add(id);
    return { id, source: `${lang}/${origin}`, text: doc.text };
  };
  for (const debian of spec.debian) {
    if (!(await isDebianPackageCached(cacheDir, debian.package))) {
      notes(
        `${lang}: Debian package ${debian.package} is not in the cache ${cacheDir} (fetch it with tasks/corpus_multilingual.ts --fetch)`,
      );
      continue;
    }
    const root = debianPackageDir(cacheDir, debian.package);
    const keep = paragraphFilter(spec, english);
    const packageNotes = (m: string) => notes(`${lang}: ${debian.package}: ${m}`);
    const docs = debian.kind === "libreoffice-help"
      ? readLibreOfficeHelp(root, debian.dir, keep)
      : debian.kind === "manpages"
      ? readManPages(root, debian.dir, keep, packageNotes)
      : readFortunes(root, keep, packageNotes);
    for await (const doc of docs) yield make(debian.kind, doc);
  }
  if (spec.quran) {
    let surahs: SourceText[];
    try {
      surahs = await readQuran(spec.quran, options.quranDir);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      notes(`${lang}: Quran skipped: ${e.message}`);
      surahs = [];
    }
    for (const surah of surahs) yield make("quran", surah);
  }
}

/**
 * One package's paragraph filter: drops repeats of a paragraph the package gave before, paragraphs
 * identical to an English one (`english`, null for English itself), and for languages with a script of
 * their own, paragraphs mostly in other scripts.
 */
export function paragraphFilter(
  spec: Pick<LanguageSources, "script">,
  english: Set<string> | null,
): (paragraph: string) => boolean {
  const seen = new Set<string>();
  return (paragraph) => {
    if (seen.has(paragraph)) return false;
    seen.add(paragraph);
    if (english?.has(paragraph)) return false;
    return !spec.script || scriptShare(paragraph, spec.script) >= MIN_SCRIPT_SHARE;
  };
}

/**
 * Paragraphs of the English help and man pages the cache holds, to spot untranslated text elsewhere;
 * empty when only English is asked for.
 */
async function englishReference(cacheDir: string, languages: readonly string[]): Promise<Set<string>> {
  const english = new Set<string>();
  if (!languages.some((lang) => lang !== "en")) return english;
  for (const debian of LANGUAGE_SOURCES.en.debian) {
    if (!(await isDebianPackageCached(cacheDir, debian.package))) continue;
    const root = debianPackageDir(cacheDir, debian.package);
    if (debian.kind === "libreoffice-help") {
      for (const p of await helpParagraphSet(root, debian.dir)) english.add(p);
    }
    if (debian.kind === "manpages") {
      for await (const page of readManPages(root, debian.dir)) for (const p of page.text.split("\n\n")) english.add(p);
    }
  }
  return english;
}
