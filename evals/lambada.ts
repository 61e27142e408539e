/**
 * LAMBADA scored exactly as EleutherAI's lm-evaluation-harness scores `lambada_openai`, and the
 * loglikelihood-of-a-continuation path it rests on (shared with multiple_choice.ts).
 *
 * Harness files read (EleutherAI/lm-evaluation-harness, through the search tool):
 * - lm_eval/tasks/lambada/lambada_openai.yaml (commit 11d8a69c): output_type loglikelihood;
 *   doc_to_text "{{text.split(' ')[:-1]|join(' ')}}", doc_to_target "{{' '+text.split(' ')[-1]}}";
 *   metrics perplexity (aggregation perplexity) and acc (aggregation mean).
 * - lm_eval/api/task.py, ConfigurableTask: construct_requests makes one request (ctx, doc_to_target)
 *   for a loglikelihood task; process_results returns {"perplexity": ll, "acc": int(is_greedy)}.
 * - lm_eval/api/metrics.py: perplexity(items) = exp(-mean(items)), over the per-example summed ll.
 * - lm_eval/api/model.py (commit 04e74420), TemplateLM.loglikelihood / _encode_pair: an empty context
 *   becomes [prefix_token_id] (the EOT id); otherwise trailing whitespace of the context (Python
 *   rstrip) is moved onto the continuation, then whole = encode(context + continuation),
 *   ctx = encode(context), continuation tokens = whole[len(ctx):].
 * - lm_eval/models/huggingface.py (commit 0068151d), HFLM._loglikelihood_tokens: asserts the context
 *   and continuation are non-empty and the continuation fits max_length; input =
 *   (ctx + cont)[-(max_length + 1):][:-1] (cut from the left, last token dropped); log_softmax of the
 *   logits; _select_cont_toks keeps rows [inplen - contlen, inplen); is_greedy = every argmax equals
 *   its continuation token; ll = sum of the continuation tokens' log-probs. Requests are sorted by
 *   length (longest first) for batching only; results come back in the original order.
 */
import { InputError } from "../util/errors.ts";

/** Turns text into token ids, adding no special tokens. */
export interface Tokenizer {
  encode(text: string): number[];
  /** End-of-text id: the whole context when a context string is empty (the harness' prefix_token_id). */
  eotId?: number;
}

/** A causal language model as the scorers see it. */
export interface CausalScorer {
  /** Most tokens the model reads at once (the harness' max_length). */
  readonly window: number;
  /**
   * For each input (at most `window` tokens) and each listed position in it, the log-softmax row
   * (vocabulary-sized) of the next token after that position: result[b][k] belongs to
   * inputs[b] at positions[b][k]. Inputs of one call may differ in length; the scorer pads as needed.
   */
  logProbsAt(inputs: Int32Array[], positions: number[][]): Promise<Float32Array[][]>;
}

/** A context and its continuation, as token ids. */
export interface TokenPair {
  context: number[];
  continuation: number[];
}

/** The loglikelihood of one continuation given its context. */
export interface LoglikelihoodResult {
  /** Sum of the continuation tokens' log-probabilities (natural log). */
  logLikelihood: number;
  /** True when every continuation token is the argmax at its position (teacher-forced greedy). */
  isGreedy: boolean;
  /** Each continuation token's log-probability. */
  tokenLogProbs: number[];
}

/** Batching of model calls. */
export interface ScoreOptions {
  /** Requests per model call (default 16). */
  batchSize?: number;
}

// Python's str.rstrip() whitespace (str.isspace), which differs from JS \s: it adds \x1c-\x1f and
// \x85 and lacks \ufeff.
// deno-lint-ignore no-control-regex
const PYTHON_TRAILING_SPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/;

/** Tokenises a (context, continuation) pair the way the harness does (see the module comment). */
export function encodePair(tokenizer: Tokenizer, context: string, continuation: string): TokenPair {
  if (context === "") {
    if (tokenizer.eotId === undefined) {
      throw new InputError(
        `empty context before ${JSON.stringify(continuation)}; the tokenizer needs an eotId to stand for it`,
      );
    }
    return { context: [tokenizer.eotId], continuation: tokenizer.encode(continuation) };
  }
  const trailing = PYTHON_TRAILING_SPACE.exec(context)?.[0] ?? "";
  if (trailing) {
    continuation = trailing + continuation;
    context = context.slice(0, -trailing.length);
  }
  const whole = tokenizer.encode(context + continuation);
  const contextTokens = tokenizer.encode(context);
  return { context: contextTokens, continuation: whole.slice(contextTokens.length) };
}

/**
 * The model input for one pair, cut to the window as the harness does: the last window + 1 tokens of
 * context + continuation, all but the last fed to the model; `positions` are where each continuation
 * token is predicted.
 */
export function windowInput(pair: TokenPair, window: number): { input: Int32Array; positions: number[] } {
  const { context, continuation } = pair;
  if (context.length === 0) throw new InputError("context has no tokens; expected at least one");
  if (continuation.length === 0) {
    throw new InputError(
      `continuation has no tokens after context [${context.slice(-8).join(", ")}]; expected at least one`,
    );
  }
  if (continuation.length > window) {
    throw new InputError(`continuation has ${continuation.length} tokens; expected at most the window, ${window}`);
  }
  const whole = context.concat(continuation).slice(-(window + 1));
  const input = Int32Array.from(whole.slice(0, -1));
  const first = input.length - continuation.length;
  return { input, positions: continuation.map((_, j) => first + j) };
}

/** Index of the first largest value (torch/numpy argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Scores every pair through `scorer`, in batches, longest inputs first; results in input order. */
export async function loglikelihoods(
  scorer: CausalScorer,
  pairs: TokenPair[],
  options: ScoreOptions = {},
): Promise<LoglikelihoodResult[]> {
  const batchSize = options.batchSize ?? 16;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InputError(`batchSize is ${batchSize}; expected a positive integer`);
  }
  const prepared = pairs.map((pair) => windowInput(pair, scorer.window));
  const order = prepared.map((_, i) => i).sort((a, b) => prepared[b].input.length - prepared[a].input.length || a - b);
  const results = new Array<LoglikelihoodResult>(pairs.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const rows = await scorer.logProbsAt(batch.map((i) => prepared[i].input), batch.map((i) => prepared[i].positions));
    if (rows.length !== batch.length) {
      throw new Error(`scorer returned ${rows.length} row lists for a batch of ${batch.length}`);
    }
    batch.forEach((i, b) => {
      const continuation = pairs[i].continuation;
      if (rows[b].length !== continuation.length) {
        throw new Error(`scorer returned ${rows[b].length} rows for ${continuation.length} positions`);
      }
      let isGreedy = true;
      const tokenLogProbs = continuation.map((token, j) => {
        if (argmax(rows[b][j]) !== token) isGreedy = false;
        return rows[b][j][token];
      });
      results[i] = { logLikelihood: tokenLogProbs.reduce((a, v) => a + v, 0), isGreedy, tokenLogProbs };
    });
  }
  return results;
}

/** A LAMBADA passage split as lambada_openai does: text up to the last space, and " " + last word. */
export function lambadaRequest(text: string): { context: string; continuation: string } {
  const words = text.split(" ");
  return { context: words.slice(0, -1).join(" "), continuation: " " + words[words.length - 1] };
}

/** LAMBADA scores. */
export interface LambadaResult {
  /** Fraction of passages whose last word is the teacher-forced greedy continuation. */
  acc: number;
  /** exp(-mean over passages of the last word's summed log-likelihood): a per-word perplexity. */
  perplexity: number;
  /** Number of passages. */
  n: number;
  /** Each passage's loglikelihood result, in input order. */
  examples: LoglikelihoodResult[];
}

/** Scores LAMBADA passages (the `text` field of lambada_openai) as the harness does. */
export async function scoreLambada(
  scorer: CausalScorer,
  tokenizer: Tokenizer,
  texts: string[],
  options: ScoreOptions = {},
): Promise<LambadaResult> {
  if (texts.length === 0) throw new InputError("LAMBADA: no passages; expected at least one");
  const pairs = texts.map((text, i) => {
    const { context, continuation } = lambadaRequest(text);
    try {
      return encodePair(tokenizer, context, continuation);
    } catch (e) {
      throw e instanceof InputError ? new InputError(`LAMBADA passage ${i}: ${e.message}`) : e;
    }
  });
  const examples = await loglikelihoods(scorer, pairs, options);
  const n = examples.length;
  const meanLl = examples.reduce((a, r) => a + r.logLikelihood, 0) / n;
  return { acc: examples.filter((r) => r.isGreedy).length / n, perplexity: Math.exp(-meanLl), n, examples };
}
