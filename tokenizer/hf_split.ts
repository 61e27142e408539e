/**
 * Cutting text into pieces as Hugging Face's NormalizedString::split does: a pattern marks ranges of
 * the text as matches (the rest are non-matches), and a behaviour says what becomes of the matches
 * (dropped, kept alone, glued to a neighbour, runs merged). Empty pieces are dropped.
 */

/** A piece of text on its way to the model; `atStart`: it begins at the input's first character. */
export interface Piece {
  text: string;
  atStart: boolean;
}

/** Hugging Face's SplitDelimiterBehavior. */
export type SplitBehavior = "Removed" | "Isolated" | "MergedWithPrevious" | "MergedWithNext" | "Contiguous";

/** The split behaviours by name. */
export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = [
  "Removed",
  "Isolated",
  "MergedWithPrevious",
  "MergedWithNext",
  "Contiguous",
];

/** A range [start, end) of a string and whether the pattern matched it. */
export type Span = [start: number, end: number, isMatch: boolean];

/** Spans of `text` covering it in order: the regex's matches and the gaps between them. */
export function regexSpans(text: string, re: RegExp): Span[] {
  if (text.length === 0) return [[0, 0, false]];
  const spans: Span[] = [];
  let prev = 0;
  for (const m of text.matchAll(re)) {
    const start = m.index!, end = start + m[0].length;
    if (prev !== start) spans.push([prev, start, false]);
    spans.push([start, end, true]);
    prev = end;
  }
  if (prev !== text.length) spans.push([prev, text.length, false]);
  return spans;
}

/** Spans of `text` where each code point for which `test` holds is a match of its own. */
export function charSpans(text: string, test: (ch: string) => boolean): Span[] {
  if (text.length === 0) return [[0, 0, false]];
  const spans: Span[] = [];
  let prev = 0, at = 0;
  for (const ch of text) {
    if (test(ch)) {
      if (prev !== at) spans.push([prev, at, false]);
      spans.push([at, at + ch.length, true]);
      prev = at + ch.length;
    }
    at += ch.length;
  }
  if (prev !== text.length) spans.push([prev, text.length, false]);
  return spans;
}

/** Cuts `piece` by `spans` (of its text) with `behavior`; `invert` swaps matches and non-matches first. */
export function splitPiece(piece: Piece, spans: Span[], behavior: SplitBehavior, invert = false): Piece[] {
  const marked = invert ? spans.map(([s, e, m]): Span => [s, e, !m]) : spans;
  const ranges: Array<[number, number]> = [];
  let previousMatch = false;
  switch (behavior) {
    case "Removed":
      for (const [s, e, m] of marked) if (!m) ranges.push([s, e]);
      break;
    case "Isolated":
      for (const [s, e] of marked) ranges.push([s, e]);
      break;
    case "MergedWithPrevious":
      for (const [s, e, m] of marked) {
        if (m && !previousMatch && ranges.length) ranges[ranges.length - 1][1] = e;
        else ranges.push([s, e]);
        previousMatch = m;
      }
      break;
    case "MergedWithNext":
      for (let i = marked.length - 1; i >= 0; i--) {
        const [s, e, m] = marked[i];
        if (m && !previousMatch && ranges.length) ranges[ranges.length - 1][0] = s;
        else ranges.push([s, e]);
        previousMatch = m;
      }
      ranges.reverse();
      break;
    case "Contiguous":
      for (const [s, e, m] of marked) {
        if (m === previousMatch && ranges.length) ranges[ranges.length - 1][1] = e;
        else ranges.push([s, e]);
        previousMatch = m;
      }
      break;
  }
  return ranges.filter(([s, e]) => e > s).map(([s, e]) => ({
    text: piece.text.slice(s, e),
    atStart: piece.atStart && s === 0,
  }));
}
