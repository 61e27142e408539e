/**
 * The Python documentation as Debian ships it (python3.11-doc: Sphinx HTML under
 * usr/share/doc/python3.11/html) -> one document per page: the text of the page body (`div.body`), the
 * navigation, sidebar and footer left out.
 *
 * Code blocks (`<pre>`, Sphinx's `div.highlight*`: examples and interactive sessions) and the signatures of
 * documented functions and classes (`dt.sig`) are dropped: they are Python, not English, and would spend
 * the tokenizer's merges and the model's capacity on indentation and `>>>` prompts while the evaluations
 * (GLUE, LAMBADA, BLiMP) are English prose. Inline code inside sentences (`os.path.join()`) is kept, since
 * dropping it would leave the sentences broken. Left out as pages: the indexes (genindex*, py-modindex),
 * the table of contents (contents) and the search page, lists of names rather than text. The changelog
 * (whatsnew/changelog.html.gz, one sentence or two per issue) is kept.
 */
import { join } from "node:path";
import type { Element } from "../multilingual/markup.ts";
import { listFiles, readText, type SourceText } from "../multilingual/text.ts";
import { hasClass, htmlParagraphs } from "./html_text.ts";

/** Where python3.11-doc keeps its HTML. */
export const PYTHON_DOCS_DIR = join("usr", "share", "doc", "python3.11", "html");

/** Pages (paths under the html folder, without .html) that are lists or navigation, not text. */
const SKIPPED_PAGES = /^(genindex(-.*)?|py-modindex|search|contents)$/;

/** A page of the documentation: an .html (or .html.gz) file outside Sphinx's asset folders. */
export function isPythonDocPage(relPath: string): boolean {
  const m = /^(.*)\.html(\.gz)?$/.exec(relPath);
  return m !== null && !/^_(static|sources|downloads|images)\//.test(relPath) && !SKIPPED_PAGES.test(m[1]);
}

function dropped(e: Element): boolean {
  return e.name === "pre" || (e.name === "a" && hasClass(e, "headerlink")) || (e.name === "dt" && hasClass(e, "sig")) ||
    (e.name === "div" && (e.attrs.class ?? "").split(/\s+/).some((c) => c.startsWith("highlight")));
}

/** The prose paragraphs of one Sphinx page. */
export function pythonDocParagraphs(markup: string): string[] {
  return htmlParagraphs(markup, {
    root: (e) => e.name === "div" && hasClass(e, "body") && e.attrs.role === "main",
    drop: dropped,
  });
}

/** Every page (sorted by path) as a document named by its path without .html: `library/os`. */
export async function* readPythonDocs(packageRoot: string): AsyncGenerator<SourceText> {
  const html = join(packageRoot, PYTHON_DOCS_DIR);
  for (const rel of await listFiles(html, isPythonDocPage)) {
    const paragraphs = pythonDocParagraphs(await readText(join(html, rel)));
    if (paragraphs.length) yield { name: rel.replace(/\.html(\.gz)?$/, ""), text: paragraphs.join("\n\n") };
  }
}
