/**
 * The Debian Reference (debian-reference-en: DocBook HTML under usr/share/debian-reference) -> one document
 * per chapter (`ch01` ... `ch12`), the preface (`pr01`) and the appendix (`apa`); the title page and table
 * of contents (index.en.html) are left out. Kept: the chapter's text (`div.chapter`, `div.preface`,
 * `div.appendix`), including notes and tips. Dropped: the navigation and tables of contents, shell sessions and listings
 * (`<pre>`: commands and their output, not English), and the numbered tables (`div.table`: package lists
 * with popularity figures and sizes).
 */
import { join } from "node:path";
import type { Element } from "../multilingual/markup.ts";
import { listFiles, readText, type SourceText } from "../multilingual/text.ts";
import { hasClass, htmlParagraphs } from "./html_text.ts";

/** Where debian-reference-en keeps its HTML. */
export const DEBIAN_REFERENCE_DIR = join("usr", "share", "debian-reference");

/** A chapter, preface or appendix page: `ch01.en.html`, `pr01.en.html`, `apa.en.html`. */
const PAGE = /^((?:ch|pr)\d+|ap[a-z])\.en\.html$/;

const CONTENT_CLASSES = ["chapter", "preface", "appendix"];
/** The chapter's table of contents and its numbered tables. */
const DROPPED_DIVS = ["toc", "table", "informaltable"];

/** The prose paragraphs of one chapter page. */
export function debianReferenceParagraphs(markup: string): string[] {
  return htmlParagraphs(markup, {
    root: (e) => e.name === "div" && CONTENT_CLASSES.some((c) => hasClass(e, c)),
    drop: (e: Element) => e.name === "pre" || (e.name === "div" && DROPPED_DIVS.some((c) => hasClass(e, c))),
  });
}

/** The pages in book order (preface, chapters, appendices), named `pr01`, `ch01`, `apa`. */
export async function* readDebianReference(packageRoot: string): AsyncGenerator<SourceText> {
  const dir = join(packageRoot, DEBIAN_REFERENCE_DIR);
  const part = (name: string) => ["pr", "ch", "ap"].indexOf(name.slice(0, 2));
  const pages = (await listFiles(dir, (rel) => PAGE.test(rel))).sort((a, b) => part(a) - part(b) || (a < b ? -1 : 1));
  for (const name of pages) {
    const paragraphs = debianReferenceParagraphs(await readText(join(dir, name)));
    if (paragraphs.length) yield { name: name.replace(/\.en\.html$/, ""), text: paragraphs.join("\n\n") };
  }
}
