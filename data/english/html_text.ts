/**
 * Generated HTML documentation (Sphinx, DocBook) -> paragraphs of plain text: one paragraph per heading,
 * paragraph, list item, table cell or definition, inline markup (links, emphasis, inline code) kept as
 * its text, whitespace collapsed. What a page keeps is set by its caller: the root element holding the
 * content, and the elements dropped with everything inside them.
 */
import { classesOf, type Element, paragraphsOf, parseMarkup } from "../multilingual/markup.ts";

/** Elements that end the paragraph before and after them. */
// deno-fmt-ignore
const BLOCK_ELEMENTS = new Set([
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "tr", "div", "br", "ul", "ol", "dl", "dt", "dd",
  "table", "caption", "blockquote", "section", "article", "main", "body", "pre", "figure", "figcaption", "hr",
]);

/** Elements that are never text. */
const NEVER_TEXT = new Set(["head", "script", "style", "noscript", "svg", "img", "button", "input", "form"]);

/** What to read of a page. */
export interface HtmlTextOptions {
  /** The element holding the page's content (the first one found, depth first); the whole page when none. */
  root?: (element: Element) => boolean;
  /** Elements dropped with their content (besides head, script, style, images and forms). */
  drop?: (element: Element) => boolean;
}

/** The page's paragraphs (see the module comment); paragraphs without a letter are left out. */
export function htmlParagraphs(markup: string, options: HtmlTextOptions = {}): string[] {
  const { root, drop = () => false } = options;
  const page = parseMarkup(markup);
  const start = (root && findElement(page, root)) ?? page;
  return paragraphsOf(start, { blocks: BLOCK_ELEMENTS, drop: (e) => NEVER_TEXT.has(e.name) || drop(e) });
}

/** The first element (depth first) that `accept` takes, or null. */
export function findElement(node: Element, accept: (element: Element) => boolean): Element | null {
  if (accept(node)) return node;
  for (const child of node.children) {
    if (typeof child === "string") continue;
    const found = findElement(child, accept);
    if (found) return found;
  }
  return null;
}

/** True when the element has the class `name`. */
export function hasClass(element: Element, name: string): boolean {
  return classesOf(element).includes(name);
}
