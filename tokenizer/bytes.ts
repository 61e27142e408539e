/**
 * GPT-2's byte <-> unicode table: every byte gets a printable character, so a byte-level token can be
 * written as a plain string in tokenizer.json. Printable Latin-1 bytes map to themselves; the other 68
 * bytes (controls, space, 0x7f-0xa0, 0xad) map to U+0100 onwards in byte order (space -> "Ġ", "\n" -> "Ċ").
 */

/** The character standing for each byte, indexed by byte value. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Byte value of each table character, indexed by its char code (-1 where the code is no table char). */
export const CHAR_CODE_TO_BYTE: Int16Array = buildCharCodeToByte(BYTE_TO_CHAR);

function buildByteToChar(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
}

function buildCharCodeToByte(byteToChar: readonly string[]): Int16Array {
  const table = new Int16Array(512).fill(-1);
  byteToChar.forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
  return table;
}

/** Writes bytes in the table's characters (the form tokens take in tokenizer.json). */
export function bytesToTokenString(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]];
  return s;
}

/** Reads a tokenizer.json token string back into bytes; null when a character is not in the table. */
export function tokenStringToBytes(token: string): Uint8Array | null {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    const b = code < CHAR_CODE_TO_BYTE.length ? CHAR_CODE_TO_BYTE[code] : -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}
