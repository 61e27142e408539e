/**
 * Man pages (roff source, gzipped) -> plain text. Understands what Debian's manpages-LANG packages use:
 * man(7) macros, the mdoc(7) subset BSD pages use, pod2man and docutils output. Text lines are joined into
 * paragraphs (breaks at .PP, .SH, .TP, .IP, .sp, blank lines...); font, size and motion escapes, comments,
 * index entries, macro definitions and conditionals are stripped; tables (.TS), equations (.EQ),
 * pictures (.PS) and code examples (.EX, pod2man's .Vb, Tcl's .CS) are dropped. Special characters
 * (`\(em`, `\[u00E9]`, `\*(lq`...) become the characters they stand for. Pages that only include
 * another (`.so`) are aliases and give no text.
 */
import { join } from "node:path";
import { InputError } from "../../util/errors.ts";
import { listFiles, type Notes, readText, type SourceText } from "./text.ts";

// deno-fmt-ignore
const SPECIAL_CHARACTERS: Record<string, string> = {
  em: "\u2014", en: "\u2013", hy: "-", aq: "'", dq: '"', lq: "\u201c", rq: "\u201d", oq: "\u2018", cq: "\u2019",
  bu: "\u2022", co: "\u00a9", rg: "\u00ae", tm: "\u2122", de: "\u00b0", mu: "\u00d7", di: "\u00f7", "+-": "\u00b1",
  ">=": "\u2265", "<=": "\u2264", "!=": "\u2260", "->": "\u2192", "<-": "\u2190", "==": "\u2261", "~=": "\u2245",
  rs: "\\", sl: "/", ti: "~", ha: "^", ga: "`", aa: "\u00b4", ul: "_", lB: "[", rB: "]", lC: "{", rC: "}",
  la: "\u27e8", ra: "\u27e9", Fo: "\u00ab", Fc: "\u00bb", fo: "\u2039", fc: "\u203a", bv: "|", or: "|", ba: "|",
  pl: "+", mi: "\u2212", eq: "=", sc: "\u00a7", ps: "\u00b6", dg: "\u2020", "12": "\u00bd", "14": "\u00bc",
  "34": "\u00be", ss: "\u00df", ":a": "\u00e4", ":o": "\u00f6", ":u": "\u00fc", ":A": "\u00c4", ":O": "\u00d6",
  ":U": "\u00dc", "'e": "\u00e9", "'a": "\u00e1", "`e": "\u00e8", "`a": "\u00e0", "^e": "\u00ea", "^a": "\u00e2",
  ",c": "\u00e7", "~n": "\u00f1", "'E": "\u00c9", "'o": "\u00f3", "'i": "\u00ed", "'u": "\u00fa", pc: "\u00b7",
  at: "@", sh: "#", Do: "$", ct: "\u00a2", Eu: "\u20ac", eu: "\u20ac", Po: "\u00a3", Ye: "\u00a5", OK: "\u2713",
  dd: "\u2021", "%0": "\u2030", fm: "\u2032", sd: "\u2033", ".i": "\u0131", "r!": "\u00a1", "r?": "\u00bf",
};

/** Strings every page may use without defining them (man, pod2man and groff's defaults). */
// deno-fmt-ignore
const DEFAULT_STRINGS: Record<string, string> = {
  lq: "\u201c", rq: "\u201d", R: "\u00ae", Tm: "\u2122", Aq: "'", 'L"': "\u201c", 'R"': "\u201d", "C`": "", "C'": "",
  "C+": "C++", PI: "\u03c0", "-": "\u2014",
};

/** Macros that end the paragraph. */
// deno-fmt-ignore
const BREAKS = new Set([
  "PP", "P", "LP", "Pp", "sp", "Sp", "HP", "RS", "RE", "bp", "It", "Lp", "IP", "TP", "TQ", "br", "Bl", "El", "Bd", "Ed",
  "INDENT", "UNINDENT",
]);

/** man(7) font macros that alternate fonts between arguments written without spaces. */
const ALTERNATING = new Set(["BI", "BR", "IB", "IR", "RB", "RI"]);

/** Macros whose arguments are text, written with spaces between them. */
// deno-fmt-ignore
const TEXT_MACROS = new Set([
  "SH", "SS", "Sh", "Ss", "B", "I", "SM", "SB", "R", "C", "Em", "Sy", "Nm", "Ar", "Cm", "Pa", "Ic", "Dv", "Ev", "Va",
  "Fn", "Fa", "Ft", "Tn", "Li", "Ql", "Dq", "Sq", "Qq", "Pq", "Op", "Fl", "Xr", "Nd", "No", "Ns", "Sx", "Er", "Ad",
  "Ms", "Lk", "Mt", "Ux", "Aq", "Bq", "Brq", "Eo", "Ec", "Do", "Dc", "Qo", "Qc", "So", "Sc", "Po", "Pc", "Oo", "Oc",
  "Bo", "Bc", "D1", "Dl", "%A", "%T", "%B", "%J", "%D", "%N", "%V", "%P", "%I", "%Q", "%R", "%O", "Rs", "Re", "It",
  "URL", "MTO", "UE", "ME", "q", "T", "Cd", "Vt", "Ot", "Fo", "Fc", "Ta", "Ap", "Dx", "Hf", "Rv", "Ex", "Pf",
  "argument",
]);

/** Blocks dropped whole: opening macro -> closing one. */
const DROPPED_BLOCKS: Record<string, string> = {
  TS: "TE",
  EQ: "EN",
  PS: "PE",
  EX: "EE",
  Vb: "Ve",
  CS: "CE",
  ig: "..",
  de: "..",
  am: "..",
  de1: "..",
};

/** mdoc's callable macros: when they appear as arguments they are markup, not text. */
// deno-fmt-ignore
const MDOC_CALLABLE = new Set([
  "Ac", "Ad", "An", "Ao", "Ap", "Aq", "Ar", "Bc", "Bo", "Bq", "Brc", "Bro", "Brq", "Bsx", "Bx", "Cm", "Dc", "Do",
  "Dq", "Dv", "Dx", "Ec", "Em", "En", "Eo", "Er", "Es", "Ev", "Fa", "Fc", "Fl", "Fn", "Fo", "Fr", "Fx", "Ic", "Li",
  "Lk", "Ms", "Mt", "Nm", "No", "Ns", "Nx", "Oc", "Oo", "Op", "Ox", "Pa", "Pc", "Pf", "Po", "Pq", "Qc", "Ql", "Qo",
  "Qq", "Sc", "So", "Sq", "Sx", "Sy", "Ta", "Tn", "Ux", "Va", "Vt", "Xc", "Xo", "Xr",
]);

/** Spaces before a man macro name alone on its line. */
const INDENTED_MACRO = /^[ \t]+(?=\.[A-Z][A-Za-z]?(?:[ \t]|$))/;

/** Punctuation mdoc writes against the word before it. */
const CLOSING_PUNCTUATION = /^[.,:;)\]?!]+$/;

/** Converts one roff page to text: paragraphs joined by blank lines, `.br` line breaks kept. */
export function roffToText(source: string): string {
  const strings: Record<string, string> = { ...DEFAULT_STRINGS };
  const paragraphs: string[] = [];
  let lines: string[] = []; // lines of the current paragraph
  let words: string[] = []; // the current output line, filled
  let noFill = false;
  let pageName = "";
  let tagPending = false; // after .TP the next text line is the tag, on a line of its own

  const endLine = () => {
    const line = joinFilled(words).replace(/[ \t]+/g, " ").trim();
    if (line) lines.push(line);
    words = [];
  };
  const endParagraph = () => {
    endLine();
    const text = lines.join("\n").trim();
    if (text) paragraphs.push(text);
    lines = [];
  };
  const emit = (text: string) => {
    if (noFill) {
      words.push(text);
      endLine();
    } else words.push(text);
    if (tagPending && text.trim()) {
      tagPending = false;
      endLine();
    }
  };

  const rawLines = joinContinuations(source).split("\n");
  for (let i = 0; i < rawLines.length; i++) {
    // An indented macro line (" .PP") is text to roff, but in these pages it is always a slip.
    let line = rawLines[i].replace(INDENTED_MACRO, "");
    if (/^[.']\s*\\"/.test(line) || line.startsWith("\\#") || line.startsWith(".\\#")) continue; // comment line
    if (!/^[.']/.test(line)) {
      if (line.trim() === "") {
        endParagraph();
        continue;
      }
      if (/^\s/.test(line) && !noFill) endLine(); // a line starting with a space breaks the line
      const { text, joinNext } = inline(line, strings);
      if (joinNext && i + 1 < rawLines.length && !/^[.']/.test(rawLines[i + 1])) {
        rawLines[i + 1] = text + rawLines[i + 1];
        continue;
      }
      emit(text);
      continue;
    }

    line = line.replace(/\\".*$/, "");
    const request = /^[.']\s*(\S+)\s*(.*)$/.exec(line);
    if (!request) continue; // a lone "." is an empty request
    const [, name, rest] = request;

    const closing = DROPPED_BLOCKS[name];
    if (closing !== undefined) {
      endParagraph();
      const end = closing === ".." ? /^\.\.\s*$/ : new RegExp(`^[.']\\s*${closing}\\b`);
      while (i + 1 < rawLines.length && !end.test(rawLines[i + 1])) i++;
      i++;
      continue;
    }
    if (name === "if" || name === "ie" || name === "el") {
      i = skipConditional(rawLines, i);
      continue;
    }
    if (name === "ds" || name === "as") {
      const m = /^(\S+)\s?"?(.*)$/.exec(rest);
      if (m) strings[m[1]] = (name === "as" ? strings[m[1]] ?? "" : "") + m[2];
      continue;
    }
    if (name === "nf" || name === "fi") {
      endLine();
      noFill = name === "nf";
      continue;
    }
    if (name === "br") {
      endLine();
      continue;
    }
    if (BREAKS.has(name)) endParagraph();
    if (name === "TP" || name === "TQ") {
      tagPending = true;
      continue;
    }
    if (name === "IP") {
      const tag = inline(parseArguments(rest)[0] ?? "", strings).text;
      if (/[\p{L}\p{N}]/u.test(tag)) {
        emit(tag);
        endLine();
      }
      continue;
    }
    if (name === "Nm" && !pageName && rest.trim()) pageName = inline(parseArguments(rest)[0], strings).text;

    if (ALTERNATING.has(name)) {
      emit(parseArguments(rest).map((a) => inline(a, strings).text).join(""));
    } else if (TEXT_MACROS.has(name)) {
      const text = mdocText(name, parseArguments(rest), pageName, (a) => inline(a, strings).text);
      if (name === "SH" || name === "SS" || name === "Sh" || name === "Ss") {
        endParagraph();
        if (text) {
          emit(text);
          endParagraph();
        } else tagPending = true; // the heading is the next line
      } else if (text) emit(text);
      if (name === "It") endLine();
    }
    // Anything else (.UR/.MT link targets, layout requests, macros a page defines itself) prints nothing.
  }
  endParagraph();
  return paragraphs.join("\n\n");
}

/** Characters of scripts written without spaces (Han, kana, their punctuation and full-width forms). */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef\u30fc]/u;

/**
 * Joins filled input lines as roff would, with a space, except between two characters of unspaced scripts
 * (Chinese and Japanese sources break lines anywhere, even inside a word).
 */
function joinFilled(parts: string[]): string {
  let out = "";
  for (const part of parts) {
    const piece = out ? part.replace(/^[ \t]+/, "") : part;
    const before = out.trimEnd();
    if (before && piece && UNSPACED.test(before[before.length - 1]) && UNSPACED.test(piece[0])) out = before + piece;
    else out += out && piece ? ` ${piece}` : piece;
  }
  return out;
}

/** Joins a line ending in an unescaped backslash with the next one. */
function joinContinuations(source: string): string {
  return source.replace(/\r\n?/g, "\n").replace(/(^|[^\\])((?:\\\\)*)\\\n/g, "$1$2");
}

/** Skips a conditional request: one line, or a `\{ ... \}` block spanning lines. Returns the last index. */
function skipConditional(lines: string[], i: number): number {
  let depth = 0;
  for (let j = i; j < lines.length; j++) {
    depth += (lines[j].match(/\\\{/g)?.length ?? 0) - (lines[j].match(/\\\}/g)?.length ?? 0);
    if (depth <= 0) return j;
  }
  return lines.length - 1;
}

/** Splits macro arguments at spaces, honouring "double quotes" ("" inside is a quote). */
export function parseArguments(rest: string): string[] {
  const args: string[] = [];
  const re = /"((?:[^"]|"")*)(?:"|$)|(\S+)/g;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    args.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]);
  }
  return args;
}

/** The text of a text macro: mdoc's callable macro names dropped, flags and cross-references spelled out. */
function mdocText(name: string, args: string[], pageName: string, render: (arg: string) => string): string {
  if (name === "Nm" && args.length === 0) return pageName;
  if (name === "Xr" && args.length >= 2 && /^\d/.test(args[1])) {
    return `${render(args[0])}(${args[1]})${args.slice(2).join("")}`;
  }
  let out = "";
  let flag = name === "Fl";
  for (const arg of args) {
    if (MDOC_CALLABLE.has(arg)) {
      flag = arg === "Fl";
      continue;
    }
    const text = (flag ? "-" : "") + render(arg);
    flag = false;
    out += out && !CLOSING_PUNCTUATION.test(arg) && !out.endsWith("(") ? ` ${text}` : text;
  }
  if (name === "Dq") return `\u201c${out}\u201d`;
  if (name === "Sq" || name === "Ql") return `\u2018${out}\u2019`;
  if (name === "Pq") return `(${out})`;
  if (name === "Op") return `[${out}]`;
  if (name === "Nd") return `\u2013 ${out}`;
  return out;
}

/**
 * Interprets the escapes of one line of text. `joinNext` is true when the line ends with `\c` (the next
 * text line continues this one without a space).
 */
export function inline(
  line: string,
  strings: Record<string, string> = DEFAULT_STRINGS,
): { text: string; joinNext: boolean } {
  let out = "";
  let joinNext = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = line[++i];
    if (e === undefined) break;
    switch (e) {
      case '"':
        i = line.length; // comment to the end of the line
        break;
      case "#":
        i = line.length;
        break;
      case "\\":
        out += "\\";
        if (line[i + 1] === "f" && /[BIRP]/.test(line[i + 2] ?? "")) i += 2; // "\fB\\fR": a bold backslash
        break;
      case "e":
      case "E":
        out += "\\";
        break;
      case "-":
      case ".":
      case "`":
        out += e === "`" ? "`" : e;
        break;
      case "'":
        out += "'";
        break;
      case " ":
      case "~":
      case "0":
      case "t":
        out += " ";
        break;
      case "c":
        joinNext = i === line.length - 1;
        break;
      case "(":
        out += SPECIAL_CHARACTERS[line.slice(i + 1, i + 3)] ?? "";
        i += 2;
        break;
      case "[": {
        const end = line.indexOf("]", i);
        const body = end === -1 ? "" : line.slice(i + 1, end);
        out += specialByName(body);
        i = end === -1 ? line.length : end;
        break;
      }
      case "*": {
        const { name, next } = escapeName(line, i + 1);
        out += inline(strings[name.split(" ")[0]] ?? "", {}).text;
        i = next - 1;
        break;
      }
      case "f":
      case "n":
      case "g":
      case "m":
      case "M":
      case "F":
      case "Y":
      case "V":
      case "$":
      case "k":
        i = escapeName(line, i + 1 + (e === "n" && /[+-]/.test(line[i + 1] ?? "") ? 1 : 0)).next - 1;
        break;
      case "s": {
        // \sN, \s±N, \s(NN, \s±(NN, \s[N], \s'N'
        const m = /^[+-]?(?:\(\d\d|\[[^\]]*\]|'[^']*'|\d)/.exec(line.slice(i + 1));
        i += m ? m[0].length : 0;
        break;
      }
      case "N": {
        const m = /^'(\d+)'/.exec(line.slice(i + 1));
        if (m) {
          out += String.fromCharCode(Number(m[1]));
          i += m[0].length;
        }
        break;
      }
      case "h":
      case "v":
      case "w":
      case "l":
      case "L":
      case "o":
      case "X":
      case "Z":
      case "D":
      case "b":
      case "x":
      case "R":
      case "B":
      case "A":
      case "C":
      case "S":
      case "H": {
        // an escape with a delimited argument: \h'1m', \w'text', \C'em'...
        const delimiter = line[i + 1];
        const end = delimiter === undefined ? -1 : line.indexOf(delimiter, i + 2);
        if (e === "C" && end !== -1) out += specialByName(line.slice(i + 2, end));
        i = end === -1 ? line.length : end;
        break;
      }
      // Zero-width and spacing escapes that print nothing: \& \) \| \^ \, \/ \: \% \! \{ \} \a \p \r \u \d \z
      default:
        break;
    }
  }
  return { text: out, joinNext };
}

/** The name after `\f`, `\*`, `\n`...: one character, `(xx`, or `[long name]`. */
function escapeName(line: string, at: number): { name: string; next: number } {
  const c = line[at];
  if (c === "(") return { name: line.slice(at + 1, at + 3), next: at + 3 };
  if (c === "[") {
    const end = line.indexOf("]", at);
    return end === -1 ? { name: "", next: line.length } : { name: line.slice(at + 1, end), next: end + 1 };
  }
  return { name: c ?? "", next: at + 1 };
}

/** A special character by its groff name: `em`, `u00E9`, `u0041_0301`, `char65`; unknown ones print nothing. */
function specialByName(name: string): string {
  const unicode = /^u([0-9A-Fa-f]{4,6})((?:_[0-9A-Fa-f]{4,6})*)$/.exec(name);
  if (unicode) {
    return [unicode[1], ...unicode[2].split("_").filter(Boolean)].map((h) => String.fromCodePoint(parseInt(h, 16)))
      .join("").normalize("NFC");
  }
  const char = /^char(\d+)$/.exec(name);
  if (char) return String.fromCharCode(Number(char[1]));
  return SPECIAL_CHARACTERS[name] ?? "";
}

/** Where a package's man pages for one locale are ("" = the English pages in usr/share/man itself). */
export function manPagesDir(packageRoot: string, locale: string): string {
  return join(packageRoot, "usr", "share", "man", locale);
}

/**
 * Reads a package's man pages for one locale (`manN/NAME.N.gz`, sorted), one document per page, each
 * paragraph filtered by `keep`. Aliases (`.so` pages), pages left empty, and files that are not UTF-8
 * are skipped; the last are reported to `notes`. Names are `manN/NAME.N`.
 */
export async function* readManPages(
  packageRoot: string,
  locale: string,
  keep: (paragraph: string) => boolean = () => true,
  notes: Notes = () => {},
): AsyncGenerator<SourceText> {
  const dir = manPagesDir(packageRoot, locale);
  for (const rel of await listFiles(dir, (p) => /^man[^/]+\/[^/]+$/.test(p))) {
    let source: string;
    try {
      source = await readText(join(dir, rel));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      notes(`skipped ${e.message}`);
      continue;
    }
    const paragraphs = roffToText(source).split("\n\n").filter((p) => /\p{L}/u.test(p) && keep(p));
    if (paragraphs.length) yield { name: rel.replace(/\.gz$/, ""), text: paragraphs.join("\n\n") };
  }
}
