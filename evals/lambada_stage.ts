/**
 * The LAMBADA stage: a decoder checkpoint scored on LAMBADA (OpenAI version) as lm-evaluation-harness scores
 * `lambada_openai`, with its own head (for a headless CWT decoder: a copy of Eᵀ, not fine-tuned, the
 * paper's "Headless" row, task `lambada_openai`); then, for a headless decoder with lmSteps > 0, after an LM
 * fine-tune on the pretraining token stream per seed (task `lambada_openai_lmft`), whose FLOPs, tokens and
 * seconds are added to the checkpoint's.
 */
import { join } from "node:path";
import type { Stage } from "../artifacts/stage.ts";
import { LAMBADA_TASKS as LAMBADA_TASK, loadLambada } from "../data/lambada.ts";
import { initBackend } from "../backends/mod.ts";
import { findSpecials } from "../tokenizer/special_roles.ts";
import { writeLmFinetunedCheckpoint } from "../export/lm_checkpoint.ts";
import { readTokenManifest } from "../train/token_stream.ts";
import { InputError } from "../util/errors.ts";
import { ModelScorer } from "./causal_scorer.ts";
import { modelFromSnapshot, modelSnapshot } from "./checkpoint_check.ts";
import { checkpointColumns, loadScoringDecoder, openCheckpoint } from "./eval_run.ts";
import { type LoglikelihoodResult, scoreLambada } from "./lambada.ts";
import { lmFinetune, openLmBatches } from "./lm_finetune.ts";
import { ResultSink } from "./result_sink.ts";

/** Everything that decides a LAMBADA stage's results (checkpoint, tokenizer and LM fine-tuning tokens are inputs). */
export interface LambadaSpec {
  /** LM fine-tuning seeds (one fine-tune and score per seed). */
  seeds: number[];
  /** LM fine-tuning steps for a headless decoder (0: none). */
  lmSteps: number;
  lmLr: number;
  lmBatch: number;
  /** LM fine-tuning sequence length (null: the model's context). */
  lmSeqLen: number | null;
  /** Score only the first N passages (null: all 5,153). */
  limit: number | null;
  evalBatch: number;
  /** Keep each LM-fine-tuned decoder as a checkpoint folder lm-finetuned/seed-N (for `deno task export`). */
  saveModels: boolean;
  /** sha256 of the LAMBADA file, by cache-relative path. */
  data: Record<string, string>;
  backend: string;
}

/** The split LAMBADA is scored on (lambada_openai's only split). */
const SPLIT = "test";

/** Per-passage outputs (contracts 2): 1 if the last word was greedy, its summed log-likelihood over one word. */
function passageOutputs(examples: LoglikelihoodResult[]) {
  return examples.map((e) => ({ prediction: e.isGreedy ? 1 : 0, label: 1, loglik: e.logLikelihood, count: 1 }));
}

/**
 * The stage. Inputs: `checkpoint` (a decoder checkpoint folder), `tokenizer` (its tokenizer.json), and
 * optionally `lmTokens` (the token folder to LM-fine-tune on; default: the one the checkpoint was trained on).
 */
export const stage: Stage<LambadaSpec> = {
  kind: "lambada",
  module: import.meta.url,
  isolate: true,
  async run(spec, io) {
    const t0 = performance.now();
    const { summary, tokenizer, trained } = await openCheckpoint(
      io.inputs.checkpoint,
      io.inputs.tokenizer,
      "decoder",
      "LAMBADA",
    );
    await initBackend(spec.backend);
    let passages = await loadLambada(io.cacheDir);
    if (spec.limit !== null) passages = passages.slice(0, spec.limit);
    const scoringTokenizer = { encode: (s: string) => tokenizer.encode(s), eotId: findSpecials(tokenizer).eot?.id };
    const sink = new ResultSink(io.out);
    const { model, config, headless } = await loadScoringDecoder(summary);
    const base = await checkpointColumns(summary, config);
    const pretrainSeed = base.pretrain_seed;
    const lmRuns = spec.lmSteps > 0 && headless ? spec.seeds.length : 0;
    try {
      const own = await scoreLambada(new ModelScorer(model), scoringTokenizer, passages, {
        batchSize: spec.evalBatch,
      });
      io.progress.fraction(1 / (1 + lmRuns));
      const seconds = (performance.now() - t0) / 1000;
      for (const [metric, value] of [["accuracy", own.acc], ["perplexity", own.perplexity]] as const) {
        sink.push({
          ...base,
          seed: pretrainSeed,
          task: LAMBADA_TASK.ownHead,
          split: SPLIT,
          examples: own.n,
          metric,
          value,
          policy: "",
          finetune_loss: headless ? "none (E^T head copy)" : "none",
          eval_seconds: seconds,
        });
      }
      sink.addExamples({ task: LAMBADA_TASK.ownHead, seed: pretrainSeed, split: SPLIT }, passageOutputs(own.examples));
      io.progress.say(
        `${LAMBADA_TASK.ownHead} (${headless ? "E^T head, no fine-tuning" : "own head"}, ${own.n} passages): acc ${
          (100 * own.acc).toFixed(2)
        }, ppl ${own.perplexity.toFixed(2)} (${seconds.toFixed(1)} s)`,
      );
      await sink.flush();
      if (lmRuns === 0) {
        await sink.writeSeedSummary();
        return { rows: sink.rows.length, headless, notes: sink.notes };
      }

      const tokensDir = io.inputs.lmTokens ?? trained.tokensDir;
      const { manifest } = await readTokenManifest(tokensDir);
      if (manifest.tokenizer.sha256 !== trained.sha256) {
        throw new InputError(
          `token folder was made with tokenizer sha256 ${manifest.tokenizer.sha256}, the checkpoint with ${trained.sha256}`,
          join(tokensDir, "manifest.json"),
        );
      }
      const withHead = modelSnapshot(model);
      for (const [i, seed] of spec.seeds.entries()) {
        const t1 = performance.now();
        const copy = modelFromSnapshot(config, withHead);
        try {
          const source = await openLmBatches(tokensDir, copy, {
            batch: spec.lmBatch,
            seqLen: spec.lmSeqLen ?? config.context,
            seed,
            vocabSize: manifest.vocabSize,
          });
          const every = Math.max(1, Math.floor(spec.lmSteps / 10));
          const ft = lmFinetune(copy, source, {
            steps: spec.lmSteps,
            lr: spec.lmLr,
            onStep: (step, l) => {
              if (step % every === 0) {
                console.error(`lm fine-tune seed ${seed} step ${step}/${spec.lmSteps}: loss ${l.toFixed(4)}`);
              }
            },
          });
          if (spec.saveModels) {
            await writeLmFinetunedCheckpoint(join(io.out, "lm-finetuned"), `seed-${seed}`, copy, summary, {
              steps: ft.steps,
              lr: spec.lmLr,
              seed,
              batch: spec.lmBatch,
              seqLen: spec.lmSeqLen ?? config.context,
              tokens: ft.tokens,
              flops: ft.flops,
              seconds: ft.seconds,
            });
          }
          const scored = await scoreLambada(new ModelScorer(copy), scoringTokenizer, passages, {
            batchSize: spec.evalBatch,
          });
          const seconds = (performance.now() - t1) / 1000;
          for (const [metric, value] of [["accuracy", scored.acc], ["perplexity", scored.perplexity]] as const) {
            sink.push({
              ...base,
              // The LM fine-tune counts toward the model's compute.
              flops: base.flops + ft.flops,
              tokens: base.tokens + ft.tokens,
              pretrain_seconds: base.pretrain_seconds + ft.seconds,
              seed,
              task: LAMBADA_TASK.lmFineTuned,
              split: SPLIT,
              examples: scored.n,
              metric,
              value,
              policy: "",
              finetune_loss: "next-token CE",
              finetune_steps: ft.steps,
              finetune_flops: ft.flops,
              eval_seconds: seconds,
            });
          }
          sink.addExamples({ task: LAMBADA_TASK.lmFineTuned, seed, split: SPLIT }, passageOutputs(scored.examples));
          io.progress.say(
            `${LAMBADA_TASK.lmFineTuned} seed ${seed} (${ft.steps} steps, ${ft.flops.toExponential(3)} FLOPs, loss ${
              ft.losses[0].toFixed(3)
            } -> ${ft.losses.at(-1)!.toFixed(3)}): acc ${(100 * scored.acc).toFixed(2)}, ppl ${
              scored.perplexity.toFixed(2)
            } (${seconds.toFixed(1)} s)`,
          );
          await sink.flush();
          io.progress.fraction((2 + i) / (1 + lmRuns));
        } finally {
          copy.dispose();
        }
      }
      await sink.writeSeedSummary();
      return { rows: sink.rows.length, headless, notes: sink.notes };
    } finally {
      model.dispose();
    }
  },
};
