/**
 * LAMBADA as OpenAI's `lambada_test.jsonl` (the file GPT-2 and lm-evaluation-harness's lambada_openai
 * use): one `{"text": ...}` object a line, 5,153 lines. Only loading: splitting a passage into context
 * and target word is the evaluation's job.
 */
import { InputError } from "../util/errors.ts";
import { requireCached } from "./cache.ts";
import { decodeUtf8, readBytes, splitLines } from "./tsv.ts";

/** The file's place in the data cache. */
export const LAMBADA_PATH = "lambada/lambada_test.jsonl";

/** Parses the JSONL text into passages; bad JSON or a missing `text` is an InputError naming file and line. */
export function parseLambada(text: string, file: string): string[] {
  return splitLines(text).map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new InputError(`not valid JSON (expected {"text": ...}): ${(e as Error).message}`, file, i + 1);
    }
    const passage = typeof row === "object" && row !== null ? (row as Record<string, unknown>).text : undefined;
    if (typeof passage !== "string") throw new InputError(`expected {"text": "..."} with a string text`, file, i + 1);
    return passage;
  });
}

/** Reads a LAMBADA JSONL file from a path. */
export async function readLambada(path: string): Promise<string[]> {
  return parseLambada(decodeUtf8(await readBytes(path), path), path);
}

/** Loads the LAMBADA passages from the data cache; a missing file says how to fetch it. */
export async function loadLambada(cacheDir: string): Promise<string[]> {
  return readLambada(await requireCached(cacheDir, LAMBADA_PATH));
}
