/**
 * The BLiMP stage: minimal pairs scored zero-shot (evals/blimp.ts) by a checkpoint (a decoder by summed
 * log-likelihood, an encoder by pseudo-log-likelihood) and by any LM-fine-tuned decoders given with it
 * (evals/scored_models.ts), or by the unigram reference. Result rows: accuracy per paradigm
 * (`blimp_<UID>`) and over all pairs (`blimp`), `_lmft` appended for an LM-fine-tuned decoder; examples.csv
 * holds every pair under both (1 if right, label 1), so an interval comes from a bootstrap over pairs.
 */
import type { Stage } from "../artifacts/stage.ts";
import { blimpTask, loadMinimalPairs, type MinimalPair } from "../data/blimp.ts";
import { initBackend } from "../backends/mod.ts";
import { InputError } from "../util/errors.ts";
import {
  causalSentenceScorer,
  judgePairs,
  type MinimalPairResult,
  pseudoSentenceScorer,
  scoreMinimalPairs,
  type SentenceScorer,
  unigramSentenceScorer,
} from "./blimp.ts";
import { ResultSink } from "./result_sink.ts";
import {
  checkpointModels,
  exampleObjective,
  requireInput,
  type ScoredModels,
  scoredName,
  unigramModels,
} from "./scored_models.ts";

/** Everything that decides a BLiMP stage's results (checkpoint, tokenizer, fine-tuned decoders, tokens are inputs). */
export interface BlimpSpec {
  /** "model": the `checkpoint` input (and `lmFinetuned:*`); "unigram": the reference from the `tokens` input. */
  scorer: "model" | "unigram";
  /** Paradigm UIDs to score (null: all 67 of the registry's task, in its order). */
  paradigms: string[] | null;
  /** Score only the first N pairs of each paradigm (null: all 1,000). */
  limitPerParadigm: number | null;
  /** Most tokens per forward pass. */
  maxTokens: number;
  /** sha256 of each paradigm file, by cache-relative path. */
  data: Record<string, string>;
  backend: string;
}

/** The result-row task of all pairs, and of one paradigm. */
export const BLIMP_TASK = "blimp";
export const paradigmTask = (uid: string) => `${BLIMP_TASK}_${uid}`;
/** BLiMP has one split: every pair is a test pair. */
const SPLIT = "test";

/** The stage. */
export const stage: Stage<BlimpSpec> = {
  kind: "blimp",
  module: import.meta.url,
  isolate: true,
  async run(spec, io) {
    const task = blimpTask();
    const paradigms = spec.paradigms ?? Object.keys(task.splits);
    const unknown = paradigms.filter((p) => !(p in task.splits));
    if (unknown.length) throw new InputError(`BLiMP has no paradigm ${unknown.join(", ")}`);
    const groups: MinimalPair[][] = [];
    for (const p of paradigms) {
      const pairs = await loadMinimalPairs(io.cacheDir, p, task);
      groups.push(spec.limitPerParadigm === null ? pairs : pairs.slice(0, spec.limitPerParadigm));
    }
    const scored: ScoredModels = spec.scorer === "unigram"
      ? await unigramModels(requireInput(io.inputs, "tokens"))
      : await checkpointModels(io.inputs, "BLiMP");
    if (spec.scorer === "model") await initBackend(spec.backend);
    const sink = new ResultSink(io.out);
    const pairCount = groups.reduce((n, g) => n + g.length, 0);
    for (const [k, entry] of scored.models.entries()) {
      const t0 = performance.now();
      const model = entry.load ? await entry.load() : null;
      try {
        const scorer: SentenceScorer = model === null
          ? unigramSentenceScorer(entry.unigram!, scored.scoringTokenizer)
          : scored.arch === "decoder"
          ? causalSentenceScorer(model, scored.scoringTokenizer)
          : pseudoSentenceScorer(model, scored.tokenizer);
        let said = 0;
        const results = scoreMinimalPairs(scorer, groups, {
          maxTokens: spec.maxTokens,
          onProgress: (done, total) => {
            io.progress.fraction((k + done / total) / scored.models.length);
            if (done - said >= total / 10) {
              said = done;
              console.error(`blimp ${scoredName(entry)}: ${done}/${total} sentences`);
            }
          },
        });
        const seconds = (performance.now() - t0) / 1000;
        const all = pooled(results);
        const row = (taskName: string, r: MinimalPairResult) => ({
          ...entry.columns,
          task: taskName + entry.suffix,
          split: SPLIT,
          examples: r.n,
          metric: "accuracy",
          value: r.acc,
          policy: "",
          ties: r.ties,
          eval_seconds: seconds,
          sentences_per_second: Number((2 * pairCount / seconds).toFixed(1)),
        });
        sink.push(row(BLIMP_TASK, all));
        paradigms.forEach((p, i) => sink.push(row(paradigmTask(p), results[i])));
        const seed = Number(entry.columns.seed);
        const objective = exampleObjective(entry);
        const outputs = (i: number, id: (j: number) => string) =>
          Array.from(results[i].correct, (c, j) => ({ example: id(j), prediction: c, label: 1 }));
        sink.addExamples(
          { task: BLIMP_TASK + entry.suffix, seed, split: SPLIT, objective },
          paradigms.flatMap((p, i) => outputs(i, (j) => `${p}/${j}`)),
        );
        paradigms.forEach((p, i) =>
          sink.addExamples({ task: paradigmTask(p) + entry.suffix, seed, split: SPLIT, objective }, outputs(i, String))
        );
        await sink.flush();
        io.progress.say(
          `${BLIMP_TASK + entry.suffix} (${scoredName(entry)}, seed ${entry.columns.seed}, ${paradigms.length} ` +
            `paradigms, ${all.n} pairs): acc ${(100 * all.acc).toFixed(2)}${all.ties ? `, ${all.ties} ties` : ""} ` +
            `(${seconds.toFixed(1)} s)`,
        );
      } finally {
        model?.dispose();
      }
    }
    await sink.writeSeedSummary();
    return { rows: sink.rows.length, pairs: pairCount, paradigms: paradigms.length, notes: sink.notes };
  },
};

/** All pairs of all paradigms as one result. */
function pooled(results: readonly MinimalPairResult[]): MinimalPairResult {
  const cat = (pick: (r: MinimalPairResult) => Float64Array) => Float64Array.from(results.flatMap((r) => [...pick(r)]));
  return judgePairs(cat((r) => r.good), cat((r) => r.bad));
}
