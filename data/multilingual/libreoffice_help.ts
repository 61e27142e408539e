/**
 * LibreOffice help pages -> plain paragraphs. Reads both the XHP sources (`<paragraph>`, `<bookmark>`,
 * `<switchinline>`...) and the HTML that Debian's libreoffice-help-LANG packages ship, compiled from them.
 * Kept: the text of headings, paragraphs, list items and table cells, inline markup dropped. Dropped:
 * page chrome (head, header, side panels, footer, debug box), bookmarks and index keywords, ids, images
 * and their captions, code listings, the "how to get here" heading, "related topics" link lists, and
 * every platform/application alternative of a switch but the default one (or the first, with none).
 */
import { join } from "node:path";
import { classesOf, type Element, type Node, paragraphsOf, parseMarkup } from "./markup.ts";
import { listFiles, readText, type SourceText } from "./text.ts";

/** Elements dropped with everything inside, in either dialect. */
// deno-fmt-ignore
const DROPPED_ELEMENTS = new Set([
  // HTML page chrome and non-prose
  "head", "header", "aside", "footer", "nav", "script", "style", "noscript", "meta", "pre", "code", "img", "button",
  "input", "label", "iframe", "object", "svg",
  // XHP: page metadata, index entries, embedded sections of other pages, images, comments, code
  "bookmark", "bookmark_value", "embed", "embedvar", "image", "comment", "sort", "bascode", "pycode", "history",
  "alt", "video",
]);

/** HTML classes (compiled from XHP roles) whose elements are dropped. */
// deno-fmt-ignore
const DROPPED_CLASSES = new Set([
  "howtogetheader", "noteicon", "relatedtopics", "related", "debug", "bascode", "pycode", "code", "sqlcode",
  "smathcode", "codeintable", "iconcell", "screenshot", "youtube_consent",
]);

/** XHP paragraph roles that are not prose. */
const DROPPED_ROLES = new Set(["code", "bascode", "pycode", "sqlcode", "smathcode", "codeintable", "logocode"]);

/** Elements that end the paragraph before and after them. */
// deno-fmt-ignore
const BLOCK_ELEMENTS = new Set([
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "tr", "div", "br", "ul", "ol", "table", "dd", "dt",
  "body", "section", "paragraph", "title", "listitem", "list", "tablecell", "tablerow", "h",
]);

/** XHP switch elements and the names of their default and case children. */
const XHP_SWITCHES: Record<string, { fallback: string; case: string }> = {
  switchinline: { fallback: "defaultinline", case: "caseinline" },
  switch: { fallback: "default", case: "case" },
};

/** The HTML classes of compiled switches. */
const HTML_SWITCH_CLASSES = new Set(["switchinline", "switch"]);

/** A help page's prose, one entry per heading, paragraph, list item or table cell, whitespace collapsed. */
export function helpPageParagraphs(markup: string): string[] {
  return paragraphsOf(parseMarkup(markup), { blocks: BLOCK_ELEMENTS, drop: isDropped, children: visibleChildren });
}

function isDropped(element: Element): boolean {
  if (DROPPED_ELEMENTS.has(element.name)) return true;
  if (element.name === "paragraph" && DROPPED_ROLES.has(element.attrs.role ?? "")) return true;
  return classesOf(element).some((c) => DROPPED_CLASSES.has(c));
}

/** A switch's one shown alternative (default, else the first case); any other element's children. */
function visibleChildren(element: Element): Node[] {
  const xhp = XHP_SWITCHES[element.name];
  if (xhp) {
    const cases = element.children.filter((c): c is Element => typeof c !== "string");
    const chosen = cases.find((c) => c.name === xhp.fallback) ?? cases.find((c) => c.name === xhp.case);
    return chosen ? [chosen] : [];
  }
  if (classesOf(element).some((c) => HTML_SWITCH_CLASSES.has(c))) {
    const cases = element.children.filter((c): c is Element => typeof c !== "string");
    const chosen = cases.find((c) => (c.attrs.id ?? "").startsWith("default")) ?? cases[0];
    return chosen ? [chosen] : [];
  }
  return element.children;
}

/** Where a language's pages sit inside an unpacked libreoffice-help package. */
export function helpPagesDir(packageRoot: string, dir: string): string {
  return join(packageRoot, "usr", "share", "libreoffice", "help", dir, "text");
}

/**
 * Reads every help page of one language (sorted by path) as a document: its paragraphs that `keep`
 * accepts, joined by blank lines. Pages left empty are skipped. Names are the page paths without .html.
 */
export async function* readLibreOfficeHelp(
  packageRoot: string,
  dir: string,
  keep: (paragraph: string) => boolean = () => true,
): AsyncGenerator<SourceText> {
  const pages = helpPagesDir(packageRoot, dir);
  for (const rel of await listFiles(pages, (p) => p.endsWith(".html") || p.endsWith(".xhp"))) {
    const kept = helpPageParagraphs(await readText(join(pages, rel))).filter(keep);
    if (kept.length) yield { name: rel.replace(/\.(html|xhp)$/, ""), text: kept.join("\n\n") };
  }
}

/** Every paragraph of a language's help (the en-US one serves to spot untranslated paragraphs elsewhere). */
export async function helpParagraphSet(packageRoot: string, dir: string): Promise<Set<string>> {
  const all = new Set<string>();
  for await (const page of readLibreOfficeHelp(packageRoot, dir)) for (const p of page.text.split("\n\n")) all.add(p);
  return all;
}
