/** The English pretraining corpus (default corpus + Debian packages) and its readers; corpora by name are in ../corpus_by_name.ts. */
export {
  debianSourceDocuments,
  englishCorpus,
  type EnglishSourceOptions,
  type EnglishSources,
  prepareEnglishSources,
} from "./corpus.ts";
export { DEBIAN_REFERENCE_DIR, debianReferenceParagraphs, readDebianReference } from "./debian_reference.ts";
export { readFortuneFiles } from "./fortunes.ts";
export { findElement, hasClass, htmlParagraphs, type HtmlTextOptions } from "./html_text.ts";
export { isPythonDocPage, PYTHON_DOCS_DIR, pythonDocParagraphs, readPythonDocs } from "./python_docs.ts";
export {
  ENGLISH_DEBIAN_PACKAGES,
  ENGLISH_DEBIAN_SOURCES,
  type EnglishDebianSource,
  type EnglishReader,
} from "./sources.ts";
export {
  osisToText,
  parseSwordConf,
  readSwordModule,
  readSwordPackage,
  SWORD_ROOT,
  type SwordConf,
  swordModuleOf,
  type SwordUnit,
} from "./sword.ts";
export {
  type Book,
  KJV,
  NRSVA,
  testamentEntries,
  type Versification,
  versification,
  VERSIFICATIONS,
} from "./versification.ts";
