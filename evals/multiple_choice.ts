/**
 * Zero-shot multiple choice for decoders, scored as lm-evaluation-harness scores `multiple_choice`
 * tasks (lm_eval/api/task.py, ConfigurableTask, read through the search tool):
 * - construct_requests: one loglikelihood request (ctx, target_delimiter + option) per option, the
 *   delimiter defaulting to " ";
 * - process_results: pred = argmax of the summed loglikelihoods (acc); pred_norm = argmax of
 *   loglikelihood / len(option) with len in characters of the option without the delimiter (acc_norm).
 *   numpy's argmax takes the first of equal values; so does ours.
 * The loglikelihoods go through the same path as LAMBADA (lambada.ts: encodePair, loglikelihoods).
 *
 * Task files are JSONL, one item a line: {"context": string, "options": [string, ...], "gold": index}.
 */
import { InputError } from "../util/errors.ts";
import {
  type CausalScorer,
  encodePair,
  type LoglikelihoodResult,
  loglikelihoods,
  type ScoreOptions,
  type Tokenizer,
} from "./lambada.ts";

/** One multiple-choice question. */
export interface MultipleChoiceItem {
  context: string;
  /** The options, without the delimiter that joins them to the context. */
  options: string[];
  /** Index of the right option. */
  gold: number;
}

/** Parses JSONL text into items; `file` names the source in errors (file:line). Blank lines are skipped. */
export function parseMultipleChoiceJsonl(text: string, file: string): MultipleChoiceItem[] {
  const items: MultipleChoiceItem[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new InputError(`not valid JSON (${(e as Error).message}); expected one JSON object a line`, file, line);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new InputError(`expected a JSON object {"context", "options", "gold"}`, file, line);
    }
    const { context, options, gold } = row as Record<string, unknown>;
    if (typeof context !== "string") {
      throw new InputError(`"context" is ${JSON.stringify(context)}; expected a string`, file, line);
    }
    if (!Array.isArray(options) || options.length < 2) {
      throw new InputError(
        `"options" is ${JSON.stringify(options)}; expected an array of at least 2 strings`,
        file,
        line,
      );
    }
    options.forEach((option, k) => {
      if (typeof option !== "string" || option === "") {
        throw new InputError(`"options"[${k}] is ${JSON.stringify(option)}; expected a non-empty string`, file, line);
      }
    });
    if (typeof gold !== "number" || !Number.isInteger(gold) || gold < 0 || gold >= options.length) {
      throw new InputError(
        `"gold" is ${JSON.stringify(gold)}; expected an integer index from 0 to ${options.length - 1}`,
        file,
        line,
      );
    }
    items.push({ context, options: options as string[], gold });
  });
  if (items.length === 0) throw new InputError("no items; expected at least one JSON line", file);
  return items;
}

/** Reads a multiple-choice JSONL file. */
export async function loadMultipleChoiceJsonl(path: string): Promise<MultipleChoiceItem[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError("file not found; expected a JSONL task file", path);
    throw e;
  }
  return parseMultipleChoiceJsonl(text, path);
}

/** How one item was scored. */
export interface MultipleChoiceExample {
  /** Each option's loglikelihood result. */
  options: LoglikelihoodResult[];
  /** Option with the largest summed loglikelihood. */
  pred: number;
  /** Option with the largest loglikelihood per character. */
  predNorm: number;
  gold: number;
}

/** Multiple-choice scores. */
export interface MultipleChoiceResult {
  acc: number;
  accNorm: number;
  n: number;
  examples: MultipleChoiceExample[];
}

/** Options of {@link scoreMultipleChoice}. */
export interface MultipleChoiceOptions extends ScoreOptions {
  /** Joins the context and each option (the harness' target_delimiter; default " "). */
  delimiter?: string;
}

const firstArgmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

/** Scores every item: one loglikelihood request per option, all batched through `scorer`. */
export async function scoreMultipleChoice(
  scorer: CausalScorer,
  tokenizer: Tokenizer,
  items: MultipleChoiceItem[],
  options: MultipleChoiceOptions = {},
): Promise<MultipleChoiceResult> {
  if (items.length === 0) throw new InputError("multiple choice: no items; expected at least one");
  const delimiter = options.delimiter ?? " ";
  const pairs = items.flatMap((item, i) =>
    item.options.map((option) => {
      try {
        return encodePair(tokenizer, item.context, delimiter + option);
      } catch (e) {
        throw e instanceof InputError ? new InputError(`multiple choice item ${i}: ${e.message}`) : e;
      }
    })
  );
  const scored = await loglikelihoods(scorer, pairs, options);
  let offset = 0;
  const examples = items.map((item) => {
    const results = scored.slice(offset, offset += item.options.length);
    const lls = results.map((r) => r.logLikelihood);
    return {
      options: results,
      pred: firstArgmax(lls),
      predNorm: firstArgmax(lls.map((ll, k) => ll / [...item.options[k]].length)),
      gold: item.gold,
    };
  });
  const n = examples.length;
  return {
    acc: examples.filter((e) => e.pred === e.gold).length / n,
    accNorm: examples.filter((e) => e.predNorm === e.gold).length / n,
    n,
    examples,
  };
}
