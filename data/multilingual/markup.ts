/**
 * A small forgiving parser for the XML/HTML of LibreOffice help pages (the XHP sources and the HTML that
 * Debian ships): elements with attributes and children, text with entities decoded. Comments, doctypes,
 * processing instructions and the bodies of <script>/<style> are skipped. It does not validate: a stray
 * end tag is ignored and an unclosed element ends with its parent. `paragraphsOf` reads a parsed tree's text as
 * paragraphs.
 */

/** A parsed element. */
export interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
}

/** An element or a run of text. */
export type Node = Element | string;

/** HTML elements that never have content. */
const VOID_ELEMENTS = new Set([
  "area",
  "base",
  "br",
  "col",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "source",
  "track",
  "wbr",
]);
/** Elements whose content is not markup. */
const RAW_TEXT_ELEMENTS = new Set(["script", "style"]);

// deno-fmt-ignore
const NAMED_ENTITIES: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0", shy: "", ndash: "\u2013", mdash: "\u2014",
  hellip: "\u2026", laquo: "\u00ab", raquo: "\u00bb", copy: "\u00a9", reg: "\u00ae", trade: "\u2122", deg: "\u00b0",
  times: "\u00d7", middot: "\u00b7", bull: "\u2022", lsquo: "\u2018", rsquo: "\u2019", ldquo: "\u201c", rdquo: "\u201d",
};

/** Decodes `&name;`, `&#NN;` and `&#xHH;`; an unknown entity is left as written. */
export function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}

const TOKEN =
  /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[([\s\S]*?)(?:\]\]>|$)|<[!?][^>]*>?|<\/\s*([A-Za-z][\w:.-]*)\s*>|<([A-Za-z][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|[^<]+|</g;
const ATTRIBUTE = /([^\s=/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;

/**
 * Parses markup into a root element named "#root" holding the top-level nodes. A document that starts
 * with an XML declaration is read as XML (only `/>` closes an empty element: XHP's <meta> has content),
 * anything else as HTML (<br>, <img>, <meta>... never have content).
 */
export function parseMarkup(markup: string): Element {
  const voids = /^\s*<\?xml\b/.test(markup) ? new Set<string>() : VOID_ELEMENTS;
  const root: Element = { name: "#root", attrs: {}, children: [] };
  const stack: Element[] = [root];
  const top = () => stack[stack.length - 1];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(markup); m !== null; m = TOKEN.exec(markup)) {
    const token = m[0];
    if (m[1] !== undefined) top().children.push(m[1]); // CDATA
    else if (m[2] !== undefined) {
      const name = m[2].toLowerCase();
      const at = stack.findLastIndex((e) => e.name === name);
      if (at > 0) stack.length = at;
    } else if (m[3] !== undefined) {
      const name = m[3].toLowerCase();
      let rest = m[4];
      const selfClosing = rest.endsWith("/");
      if (selfClosing) rest = rest.slice(0, -1);
      const element: Element = { name, attrs: parseAttributes(rest), children: [] };
      top().children.push(element);
      if (RAW_TEXT_ELEMENTS.has(name)) {
        const close = markup.toLowerCase().indexOf(`</${name}`, TOKEN.lastIndex);
        const end = close === -1 ? markup.length : markup.indexOf(">", close) + 1 || markup.length;
        TOKEN.lastIndex = end;
      } else if (!selfClosing && !voids.has(name)) stack.push(element);
    } else if (token[0] !== "<" || token === "<") top().children.push(decodeEntities(token));
    // else: comment, doctype or processing instruction
  }
  return root;
}

function parseAttributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(text); m !== null; m = ATTRIBUTE.exec(text)) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
  }
  return attrs;
}

/** The classes of an element (its space-separated `class` attribute). */
export function classesOf(element: Element): string[] {
  return (element.attrs.class ?? "").split(/\s+/).filter((c) => c !== "");
}

/** How `paragraphsOf` reads a tree. */
export interface ParagraphWalk {
  /** Names of the elements that end the paragraph before and after them. */
  blocks: ReadonlySet<string>;
  /** Elements dropped with everything inside them. */
  drop: (element: Element) => boolean;
  /** The children of an element that are read (default: all of them). */
  children?: (element: Element) => Node[];
}

/**
 * The text under `root` as paragraphs, one per block element, inline markup kept as its text and
 * whitespace collapsed; paragraphs without a letter are left out.
 */
export function paragraphsOf(root: Element, walk: ParagraphWalk): string[] {
  const { blocks, drop, children = (e: Element) => e.children } = walk;
  const paragraphs: string[] = [];
  let current: string[] = [];
  const flush = () => {
    const text = current.join("").replace(/\s+/g, " ").trim();
    if (/\p{L}/u.test(text)) paragraphs.push(text);
    current = [];
  };
  const visit = (node: Node) => {
    if (typeof node === "string") {
      current.push(node);
      return;
    }
    if (drop(node)) return;
    const block = blocks.has(node.name);
    if (block) flush();
    for (const child of children(node)) visit(child);
    if (block) flush();
  };
  visit(root);
  flush();
  return paragraphs;
}
