/**
 * Replacing one top-level field of a JSON object's text and leaving every other byte as it is (a
 * parse and re-serialise would reorder keys such as "0" and "1" in a vocabulary).
 */

/** `text` (a JSON object) with top-level `key` set to `value` (replaced in place, or appended). */
export function setTopLevelField(text: string, key: string, value: unknown): string {
  JSON.parse(text); // only well-formed JSON gets here
  const json = JSON.stringify(value);
  let depth = 0;
  let lastClose = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (depth === 1 && JSON.parse(text.slice(i, end)) === key) {
        const colon = text.indexOf(":", end);
        const start = skipSpace(text, colon + 1);
        return text.slice(0, start) + json + text.slice(valueEnd(text, start));
      }
      i = end - 1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) lastClose = i;
    }
  }
  const before = text.slice(0, lastClose).trimEnd();
  const comma = before.endsWith("{") ? "" : ",";
  return `${before}${comma}\n  ${JSON.stringify(key)}: ${json}\n${text.slice(lastClose)}`;
}

/** The index just after the string literal starting at `i`. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j + 1;
  }
  throw new SyntaxError("unterminated string");
}

function skipSpace(text: string, i: number): number {
  while (/\s/.test(text[i])) i++;
  return i;
}

/** The index just after the JSON value starting at `start`. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i) - 1;
      if (depth === 0) return i + 1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      if (depth === 0) return i; // end of a scalar that was the last field
      if (--depth === 0) return i + 1;
    } else if (depth === 0 && (c === "," || /\s/.test(c))) return i;
  }
  return text.length;
}
