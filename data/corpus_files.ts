/**
 * User corpora: .txt files (one document each), folders of them (walked recursively in sorted order) and
 * .jsonl files with a `text` field (one document a line, e.g. OpenWebText2 shards), plain or gzipped
 * (.jsonl.gz), streamed line by line.
 */
import { basename, join } from "node:path";
import { InputError } from "../util/errors.ts";
import type { Document } from "./corpus.ts";

/** A reader for one file: yields its documents, ids built from `idPrefix` (the path inside the source). */
type FileReader = (file: string, idPrefix: string, source: string) => AsyncGenerator<Document>;

/** Extension -> reader. */
const READERS: Record<string, FileReader> = {
  ".txt": readTxt,
  ".jsonl": (file, id, source) => readJsonl(file, id, source, false),
  ".jsonl.gz": (file, id, source) => readJsonl(file, id, source, true),
};

/** The file extensions readCorpus accepts. */
export const CORPUS_EXTENSIONS: string[] = Object.keys(READERS);

/**
 * Streams the documents of `paths`, in the given order. A path's source is its base name (`owt2` for
 * `data/owt2/`), and ids are `source/relative/path` for .txt and `...file.jsonl:LINE` for .jsonl lines,
 * so they do not depend on where the corpus sits. Documents of only whitespace are skipped.
 * Missing paths, unknown extensions, bad JSON lines, lines without a string `text`, non-UTF-8 bytes and a
 * corpus with no documents at all are InputErrors naming the file (and line).
 */
export async function* readCorpus(paths: string[]): AsyncGenerator<Document> {
  if (paths.length === 0) throw new InputError("no corpus paths given (expected .txt, .jsonl files or folders)");
  const sources = new Map<string, string>();
  for (const path of paths) {
    const source = basename(path.replace(/[\\/]+$/, "")) || path;
    const clash = sources.get(source);
    if (clash !== undefined) {
      throw new InputError(`corpus paths ${clash} and ${path} have the same name "${source}": rename one`, path);
    }
    sources.set(source, path);
  }
  let documents = 0;
  for (const [source, path] of sources) {
    for await (const [file, relative] of corpusFiles(path, source)) {
      for await (const doc of READERS[extensionOf(file)](file, relative, source)) {
        documents++;
        yield doc;
      }
    }
  }
  if (documents === 0) throw new InputError(`no documents in ${paths.join(", ")}`);
}

/** The files under `path` as [file on disk, id prefix], checked against READERS; folders walked sorted. */
async function* corpusFiles(path: string, prefix: string): AsyncGenerator<[string, string]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError("no such file or folder", path);
    throw e;
  }
  if (info.isDirectory) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) {
      if (!entry.name.startsWith(".")) names.push(entry.name); // hidden files (.DS_Store, .git) are not text
    }
    for (const name of names.sort()) yield* corpusFiles(join(path, name), `${prefix}/${name}`);
    return;
  }
  const extension = extensionOf(path);
  if (!(extension in READERS)) {
    throw new InputError(
      `unknown corpus file extension "${extension}": expected ${CORPUS_EXTENSIONS.join(" or ")}, or a folder`,
      path,
    );
  }
  yield [path, prefix];
}

/** The file's extension, ".jsonl.gz" counted as one. */
function extensionOf(path: string): string {
  const name = basename(path).toLowerCase();
  if (name.endsWith(".jsonl.gz") && name.length > ".jsonl.gz".length) return ".jsonl.gz";
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot) : "";
}

/** The files of corpus `paths` in the order readCorpus reads them (folders walked, sorted). */
export async function corpusFileList(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    for await (const [file] of corpusFiles(path, basename(path))) files.push(file);
  }
  return files;
}

/** A .txt file is one document. */
async function* readTxt(file: string, id: string, source: string): AsyncGenerator<Document> {
  const bytes = await Deno.readFile(file);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InputError("not UTF-8 text", file, firstBadLine(bytes));
  }
  if (/\S/.test(text)) yield { id, source, text: text.replace(/^\uFEFF/, "") };
}

/**
 * A .jsonl file holds one JSON object a line, whose string `text` is a document; blank lines are skipped.
 * `gzip`: the file is gzip-compressed (a broken stream is an InputError naming the file).
 */
async function* readJsonl(file: string, id: string, source: string, gzip: boolean): AsyncGenerator<Document> {
  let lineNumber = 0;
  const stream = lines(file, gzip);
  for (;;) {
    let next: IteratorResult<Uint8Array>;
    try {
      next = await stream.next();
    } catch (e) {
      if (!gzip || !(e instanceof TypeError)) throw e;
      throw new InputError(`not a readable gzip file (${e.message}); expected gzip-compressed JSON lines`, file);
    }
    if (next.done) break;
    const bytes = next.value;
    lineNumber++;
    let line: string;
    try {
      line = utf8.decode(bytes);
    } catch {
      throw new InputError("not UTF-8 text", file, lineNumber);
    }
    if (lineNumber === 1) line = line.replace(/^\uFEFF/, "");
    if (!/\S/.test(line)) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (e) {
      throw new InputError(`bad JSON (${(e as Error).message}): expected one JSON object a line`, file, lineNumber);
    }
    const text = (record as { text?: unknown } | null)?.text;
    if (typeof record !== "object" || Array.isArray(record) || typeof text !== "string") {
      throw new InputError('expected a JSON object with a string "text" field', file, lineNumber);
    }
    if (/\S/.test(text)) yield { id: `${id}:${lineNumber}`, source, text };
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Streams the lines of a file (gunzipped when `gzip`) as bytes (without "\n" or a trailing "\r"), never
 * holding the whole file.
 */
async function* lines(file: string, gzip: boolean): AsyncGenerator<Uint8Array> {
  using handle = await Deno.open(file);
  const readable: ReadableStream<Uint8Array> = gzip
    ? handle.readable.pipeThrough(new DecompressionStream("gzip"))
    : handle.readable;
  let pending: Uint8Array[] = [];
  const take = (last: Uint8Array): Uint8Array => {
    let line = last;
    if (pending.length) {
      line = new Uint8Array(pending.reduce((n, part) => n + part.length, last.length));
      let offset = 0;
      for (const part of [...pending, last]) {
        line.set(part, offset);
        offset += part.length;
      }
      pending = [];
    }
    return line.length && line[line.length - 1] === 13 ? line.subarray(0, line.length - 1) : line;
  };
  for await (const chunk of readable) {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      yield take(chunk.subarray(start, end));
      start = end + 1;
    }
    // The stream may reuse its buffer: keep a copy of the unfinished line.
    if (start < chunk.length) pending.push(chunk.slice(start));
  }
  if (pending.length) yield take(new Uint8Array(0));
}

/** 1-based line of the first byte sequence that is not UTF-8. */
function firstBadLine(bytes: Uint8Array): number {
  let line = 1;
  let start = 0;
  for (let end = bytes.indexOf(10);; end = bytes.indexOf(10, start)) {
    const stop = end === -1 ? bytes.length : end;
    try {
      utf8.decode(bytes.subarray(start, stop));
    } catch {
      return line;
    }
    if (end === -1) return line;
    line++;
    start = end + 1;
  }
}
