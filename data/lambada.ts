/**
 * LAMBADA as OpenAI's `lambada_test.jsonl` (the file GPT-2 and lm-evaluation-harness's lambada_openai
 * use): one `{"text": ...}` object a line, 5,153 lines, described by the registry's task file
 * evals/tasks/lambada/lambada_openai.json. Only loading: splitting a passage into context and target
 * word is the evaluation's job.
 */
import { InputError } from "../util/errors.ts";
import { type LastWordTask, registryTask } from "../evals/tasks/registry.ts";
import { requireCached } from "./cache.ts";
import { decodeUtf8, readBytes, splitLines } from "./tsv.ts";

/** The registry's LAMBADA task (a copy). */
export function lambadaTask(): LastWordTask {
  const task = registryTask("lambada_openai");
  if (task.kind !== "last-word") throw new InputError(`task lambada_openai is a ${task.kind} task, expected last-word`);
  return structuredClone(task.spec);
}

/** The file's place in the data cache. */
export const LAMBADA_PATH: string = lambadaTask().splits.test;

/** Result-row task names: scored with the model's own head, and after LM fine-tuning. */
export const LAMBADA_TASKS: Readonly<{ ownHead: string; lmFineTuned: string }> = {
  ownHead: lambadaTask().name,
  lmFineTuned: lambadaTask().lmFineTunedTask,
};

/**
 * Parses the JSONL text into passages (under `key`, the task file's `text`); bad JSON or a missing text
 * is an InputError naming file and line.
 */
export function parseLambada(text: string, file: string, key = lambadaTask().text): string[] {
  return splitLines(text).map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new InputError(`not valid JSON (expected {"${key}": ...}): ${(e as Error).message}`, file, i + 1);
    }
    const passage = typeof row === "object" && row !== null ? (row as Record<string, unknown>)[key] : undefined;
    if (typeof passage !== "string") {
      throw new InputError(`expected {"${key}": "..."} with a string ${key}`, file, i + 1);
    }
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
