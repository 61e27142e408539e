/** An error in a user's input (a file, a row, a flag), with the place it was found. */
export class InputError extends Error {
  constructor(message: string, readonly file?: string, readonly line?: number) {
    super(file ? `${file}${line !== undefined ? `:${line}` : ""}: ${message}` : message);
    this.name = "InputError";
  }
}

/** Longest piece of a user's text an error message quotes. */
export const EXCERPT_CHARS = 60;

/**
 * A short, escaped quotation of user text for an error message: JSON-quoted (so control characters and
 * newlines cannot break the one-line message) and cut to {@link EXCERPT_CHARS} characters, "…" marking a cut.
 */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const chars = [...text];
  return JSON.stringify(chars.length > max ? `${chars.slice(0, max).join("")}…` : text);
}

/** `text` with its control characters (newlines, tabs, ...) escaped as in JSON, so a message quoting it stays one line. */
export function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));
}
