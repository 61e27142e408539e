/**
 * BLiMP (Warstadt et al. 2020) as the registry describes it (evals/tasks/blimp/blimp.json): 67 paradigm
 * files `blimp/{UID}.jsonl` in the data cache, 1,000 minimal pairs each, one JSON object a line with the
 * grammatical and the ungrammatical sentence (`sentence_good`, `sentence_bad`) among other keys. Only
 * loading: scoring a pair (which sentence the model finds likelier) is the evaluation's job.
 */
import { excerpt, InputError } from "../util/errors.ts";
import { type MinimalPairTask, registryTask } from "../evals/tasks/registry.ts";
import { requireCached } from "./cache.ts";
import { decodeUtf8, readBytes, splitLines } from "./tsv.ts";

/** One minimal pair. */
export interface MinimalPair {
  good: string;
  bad: string;
}

/** The registry's BLiMP task (a copy). */
export function blimpTask(): MinimalPairTask {
  const task = registryTask("blimp");
  if (task.kind !== "minimal-pairs") throw new InputError(`task blimp is a ${task.kind} task, expected minimal-pairs`);
  return structuredClone(task.spec);
}

/** Parses a minimal-pair JSONL text; bad JSON or a missing sentence is an InputError naming file and line. */
export function parseMinimalPairs(text: string, file: string, task: MinimalPairTask): MinimalPair[] {
  return splitLines(text).map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, file, i + 1);
    }
    const get = (key: string) => {
      const v = typeof row === "object" && row !== null ? (row as Record<string, unknown>)[key] : undefined;
      if (typeof v !== "string") throw new InputError(`expected a string under "${key}"`, file, i + 1);
      return v;
    };
    return { good: get(task.good), bad: get(task.bad) };
  });
}

/** Loads one paradigm (a split of the task, e.g. "adjunct_island") from the data cache. */
export async function loadMinimalPairs(
  cacheDir: string,
  paradigm: string,
  task: MinimalPairTask = blimpTask(),
): Promise<MinimalPair[]> {
  const file = task.splits[paradigm];
  if (file === undefined) {
    throw new InputError(
      `task ${task.name} has no paradigm ${excerpt(paradigm)} (${Object.keys(task.splits).length} known)`,
    );
  }
  const path = await requireCached(cacheDir, file);
  return parseMinimalPairs(decodeUtf8(await readBytes(path), path), path, task);
}
