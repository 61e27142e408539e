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
 * Long items: context + continuation are cut from the left to the window (the last window + 1 tokens,
 * the last one not fed), as lambada.ts and HFLM._loglikelihood_tokens do; the items cut are counted.
 * Where an option alone is longer than the window (the harness asserts it never is, its windows being
 * 2048 tokens), the same left cut keeps its last `window` tokens, which are scored given its one token
 * before; its loglikelihood then leaves out its first tokens, and those items are counted apart.
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
  type TokenPair,
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
    throw new InputError(`cannot read (${(e as Error).message}); expected a JSONL task file`, path);
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
  /** Some option's context + continuation was cut from the left to the window. */
  truncated: boolean;
  /** Some option alone is longer than the window: only its last `window` tokens were scored. */
  partlyScored: boolean;
}

/** Multiple-choice scores. */
export interface MultipleChoiceResult {
  acc: number;
  accNorm: number;
  n: number;
  /** Items cut to the window (see the module comment). */
  truncated: number;
  /** Items among `truncated` with an option longer than the window, scored on its last tokens only. */
  partlyScored: number;
  examples: MultipleChoiceExample[];
}

/** Options of {@link scoreMultipleChoice}. */
export interface MultipleChoiceOptions extends ScoreOptions {
  /** Joins the context and each option (the harness' target_delimiter; default " "). */
  delimiter?: string;
}

/**
 * A pair cut from the left to `window` + 1 tokens, as the scorer's input is: unchanged when the
 * continuation fits (the scorer cuts the context), else the continuation's last `window` tokens after
 * the token before them. `dropped` counts the tokens cut, `unscored` the continuation's tokens among them.
 */
export function fitToWindow(pair: TokenPair, window: number): { pair: TokenPair; dropped: number; unscored: number } {
  const dropped = Math.max(0, pair.context.length + pair.continuation.length - (window + 1));
  if (pair.continuation.length <= window) return { pair, dropped, unscored: 0 };
  const kept = pair.context.concat(pair.continuation).slice(-(window + 1));
  return {
    pair: { context: kept.slice(0, 1), continuation: kept.slice(1) },
    dropped,
    unscored: pair.continuation.length - window,
  };
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
      let pair: TokenPair;
      try {
        pair = encodePair(tokenizer, item.context, delimiter + option);
      } catch (e) {
        throw e instanceof InputError ? new InputError(`multiple choice item ${i}: ${e.message}`) : e;
      }
      if (pair.context.length === 0) {
        // A context of whitespace only: the harness' rstrip empties it, and it asserts a non-empty context too.
        throw new InputError(
          `multiple choice item ${i}: context ${JSON.stringify(item.context)} has no tokens once trailing ` +
            `whitespace moves to the options; expected text (or "" for none)`,
        );
      }
      return pair;
    })
  );
  const fitted = pairs.map((pair) => fitToWindow(pair, scorer.window));
  const scored = await loglikelihoods(scorer, fitted.map((f) => f.pair), options);
  let offset = 0;
  const examples = items.map((item) => {
    const fits = fitted.slice(offset, offset + item.options.length);
    const results = scored.slice(offset, offset += item.options.length);
    const lls = results.map((r) => r.logLikelihood);
    return {
      options: results,
      pred: firstArgmax(lls),
      predNorm: firstArgmax(lls.map((ll, k) => ll / [...item.options[k]].length)),
      gold: item.gold,
      truncated: fits.some((f) => f.dropped > 0),
      partlyScored: fits.some((f) => f.unscored > 0),
    };
  });
  const n = examples.length;
  return {
    acc: examples.filter((e) => e.pred === e.gold).length / n,
    accNorm: examples.filter((e) => e.predNorm === e.gold).length / n,
    n,
    truncated: examples.filter((e) => e.truncated).length,
    partlyScored: examples.filter((e) => e.partlyScored).length,
    examples,
  };
}

/** One line saying how many items were cut to the window, and how many only partly scored. */
export function truncationLine(
  result: Pick<MultipleChoiceResult, "n" | "truncated" | "partlyScored">,
  window: number,
): string {
  return `${result.truncated} of ${result.n} items cut from the left to the window of ${window} tokens` +
    (result.partlyScored > 0
      ? `; ${result.partlyScored} of them have an option longer than the window, scored on its last ${window} tokens only`
      : "");
}
