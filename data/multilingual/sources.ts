/**
 * Which real text each language of the paper's multilingual experiment gets (ar de en es fr hi it ja ko
 * zh): Debian packages (LibreOffice help pages, man pages, fortune cookies; checked with `apt-cache
 * policy` on Debian 12 "bookworm") and the Quran translations of the npm package quran-json@3.1.2.
 * Packages that bookworm lacks (libreoffice-help-ar, manpages-{ar,hi,ko}, fortunes-{ar,fr,hi,ja,ko}) are
 * simply absent from the table.
 */
import { InputError } from "../../util/errors.ts";

/** The kinds of Debian package the readers understand. */
export type DebianKind = "libreoffice-help" | "manpages" | "fortunes";

/** One Debian package of a language. */
export interface DebianSource {
  kind: DebianKind;
  package: string;
  /**
   * The language's folder inside the package: `usr/share/libreoffice/help/<dir>` for help pages,
   * `usr/share/man/<dir>` for man pages ("" = the untranslated English pages in `usr/share/man`).
   * Fortunes read every file under `usr/share/games`.
   */
  dir: string;
}

/** Everything one language draws from. */
export interface LanguageSources {
  /** English name, for reports. */
  name: string;
  /** How text length is measured for the cap: whitespace words, or characters where words are not spaced. */
  unit: "words" | "characters";
  /** Regular expression of the language's own script; paragraphs mostly in other scripts are dropped. */
  script?: RegExp;
  debian: DebianSource[];
  /** quran-json@3.1.2 edition: the file under dist/ ("quran.json" is the Arabic original). */
  quran?: string;
}

const help = (pkg: string, dir: string): DebianSource => ({ kind: "libreoffice-help", package: pkg, dir });
const man = (pkg: string, dir: string): DebianSource => ({ kind: "manpages", package: pkg, dir });
const fortunes = (pkg: string): DebianSource => ({ kind: "fortunes", package: pkg, dir: "" });

/** Language code -> its sources. The code is the one XNLI and the paper use. */
export const LANGUAGE_SOURCES: Readonly<Record<string, LanguageSources>> = {
  ar: { name: "Arabic", unit: "words", script: /\p{Script=Arabic}/u, debian: [], quran: "quran.json" },
  de: {
    name: "German",
    unit: "words",
    debian: [help("libreoffice-help-de", "de"), man("manpages-de", "de"), fortunes("fortunes-de")],
  },
  en: {
    name: "English",
    unit: "words",
    debian: [
      help("libreoffice-help-en-us", "en-US"),
      man("manpages", ""),
      fortunes("fortunes"),
      fortunes("fortunes-min"),
    ],
    quran: "quran_en.json",
  },
  es: {
    name: "Spanish",
    unit: "words",
    debian: [help("libreoffice-help-es", "es"), man("manpages-es", "es"), fortunes("fortunes-es")],
    quran: "quran_es.json",
  },
  fr: {
    name: "French",
    unit: "words",
    debian: [help("libreoffice-help-fr", "fr"), man("manpages-fr", "fr")],
    quran: "quran_fr.json",
  },
  hi: { name: "Hindi", unit: "words", script: /\p{Script=Devanagari}/u, debian: [help("libreoffice-help-hi", "hi")] },
  it: {
    name: "Italian",
    unit: "words",
    debian: [help("libreoffice-help-it", "it"), man("manpages-it", "it"), fortunes("fortunes-it")],
  },
  ja: {
    name: "Japanese",
    unit: "characters",
    script: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u,
    debian: [help("libreoffice-help-ja", "ja"), man("manpages-ja", "ja")],
  },
  ko: { name: "Korean", unit: "words", script: /\p{Script=Hangul}/u, debian: [help("libreoffice-help-ko", "ko")] },
  zh: {
    name: "Chinese (simplified)",
    unit: "characters",
    script: /\p{Script=Han}/u,
    debian: [help("libreoffice-help-zh-cn", "zh-CN"), man("manpages-zh", "zh_CN"), fortunes("fortunes-zh")],
    quran: "quran_zh.json",
  },
};

/** The paper's pretraining languages, in its order. */
export const PAPER_LANGUAGES: readonly string[] = ["ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "zh"];

/** The sources of `lang`; an unknown code is an InputError listing the known ones. */
export function languageSources(lang: string): LanguageSources {
  const sources = LANGUAGE_SOURCES[lang];
  if (!sources) {
    throw new InputError(
      `unknown language ${JSON.stringify(lang)}: expected one of ${Object.keys(LANGUAGE_SOURCES).join(" ")}`,
    );
  }
  return sources;
}

/** Every Debian package `languages` need, each once, in table order. */
export function debianPackagesFor(languages: readonly string[]): string[] {
  return [...new Set(languages.flatMap((lang) => languageSources(lang).debian.map((d) => d.package)))];
}

/** The language of a multilingual corpus document: the part of its source before "/". */
export const documentLanguage = (doc: { source: string }): string => doc.source.split("/")[0];
