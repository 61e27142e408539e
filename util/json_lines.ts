/** Lines of a JSON text: where a key sits, where a JSON.parse error points, for file:line error messages. */

/** The 1-based line of the last key of a dotted `path` ("pretrain.encoder.lr" -> the line of "lr" after "encoder"). */
export function lineOfPath(text: string, path: string): number | undefined {
  let at = 0;
  for (const part of path.replace(/\[\d+\]/g, "").split(".").filter(Boolean)) {
    const i = text.indexOf(`"${part}"`, at);
    if (i < 0) break;
    at = i;
  }
  return at > 0 || text.startsWith(`"`) ? text.slice(0, at).split("\n").length : undefined;
}

/**
 * The line of a JSON.parse error: from "at position N", from the text excerpt V8 quotes
 * ("Unexpected token 'o', ..."ription": oops..." is not valid JSON"), or the last line at the end of input.
 */
export function jsonErrorLine(text: string, message: string): number | undefined {
  const lineAt = (pos: number) => text.slice(0, pos).split("\n").length;
  const pos = message.match(/at position (\d+)/);
  if (pos) return lineAt(Number(pos[1]));
  if (/end of JSON input/.test(message)) return text.split("\n").length;
  const quoted = message.match(/^Unexpected token '(.)', (\.\.\.)?"([\s\S]*?)"(\.\.\.)? is not valid JSON$/);
  if (quoted) {
    const at = text.indexOf(quoted[3]);
    // V8 quotes up to 10 characters before the bad token.
    if (at >= 0) return lineAt(at + Math.max(0, quoted[3].indexOf(quoted[1], quoted[2] ? 10 : 0)));
  }
  return undefined;
}
