/** The multilingual pretraining corpus (Debian help/man/fortune packages and the Quran) and language sampling. */
export {
  capOrderKey,
  multilingualCorpus,
  type MultilingualOptions,
  type Origin,
  paragraphFilter,
  selectUnderCap,
  type Sized,
  type SourceCandidates,
} from "./corpus.ts";
export {
  aptGetDownload,
  DEBIAN_CACHE_DIR,
  DEBIAN_RECORD,
  type DebianFetch,
  debianPackageDir,
  type DebianRecord,
  type Downloader,
  fetchDebianPackage,
  type FetchOptions,
  isDebianPackageCached,
  missingDebianTool,
  noAptMessage,
} from "../debian.ts";
export { COOKIES_PER_DOCUMENT, isCookieFile, parseFortunes, readFortunes } from "./fortunes.ts";
export { helpPageParagraphs, helpPagesDir, helpParagraphSet, readLibreOfficeHelp } from "./libreoffice_help.ts";
export { decodeEntities, type Element, type Node, parseMarkup } from "./markup.ts";
export { inline as roffInline, manPagesDir, parseArguments, readManPages, roffToText } from "./manpages.ts";
export { plainArabic, QURAN_PACKAGE, quranPackageDir, readQuran, type Surah, surahDocuments } from "./quran.ts";
export {
  type DebianKind,
  debianPackagesFor,
  type DebianSource,
  documentLanguage,
  LANGUAGE_SOURCES,
  type LanguageSources,
  languageSources,
  PAPER_LANGUAGES,
} from "./sources.ts";
export {
  listFiles,
  measureText,
  MIN_SCRIPT_SHARE,
  type Notes,
  readText,
  scriptShare,
  type SourceText,
} from "./text.ts";
export { type LanguageStats, languageStats } from "./language_stats.ts";
export { fetchMultilingualSources } from "./fetch.ts";
