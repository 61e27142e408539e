/** An error in a user's input (a file, a row, a flag), with the place it was found. */
export class InputError extends Error {
  constructor(message: string, readonly file?: string, readonly line?: number) {
    super(file ? `${file}${line !== undefined ? `:${line}` : ""}: ${message}` : message);
    this.name = "InputError";
  }
}
