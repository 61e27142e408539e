/**
 * Hugging Face's own `tokenizers` npm package (Rust, native library bundled), for compatibility tests;
 * null where it cannot load. The specifier is built at run time so nothing is fetched unless a test runs.
 */
const HF_TOKENIZERS = "npm:tokenizers@" + "0.23.2";

/** An encoding: ids and their token strings. */
export interface HfEncoding {
  getIds(): number[];
  getTokens(): string[];
}

/** The parts of a loaded tokenizer the tests use. */
export interface HfTokenizer {
  encode(s: string, pair?: string | null, options?: { addSpecialTokens?: boolean }): Promise<HfEncoding>;
  decode(ids: number[], skipSpecialTokens: boolean): Promise<string>;
  getVocabSize(withAddedTokens?: boolean): number;
}

/** The parts of the package the tests use. */
export interface HfTokenizers {
  Tokenizer: { fromString(json: string): HfTokenizer };
}

/** The loaded package, or null (tests using it are then ignored, saying why). */
export const hfTokenizers: HfTokenizers | null = await import(HF_TOKENIZERS).catch(() => null);
