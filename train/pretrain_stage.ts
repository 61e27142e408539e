/**
 * The pretrain stage: an encoder or decoder trained with one objective until its budget (FLOPs, tokens or
 * seconds of training, train/budget.ts) is spent, on the token folder given as input `tokens`, with
 * checkpoints at the budget fractions. It resumes in its partial folder after a kill (train/loop.ts) and,
 * at a FLOP or token budget, ends with bit-identical weights; a seconds budget is recorded as not
 * reproducible.
 */
import type { Stage } from "../artifacts/stage.ts";
import { unigramCrossEntropy } from "../evals/unigram.ts";
import { runEnvironment } from "../kernels/summary.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, type ModelConfig } from "../models/mod.ts";
import { pretrain, type PretrainOptions } from "./loop.ts";
import type { Arch } from "./model_kit.ts";
import { budgetOf } from "./budget.ts";
import { openTokenFolderSplit, readTokenManifest } from "./token_stream.ts";
import { transformerKit } from "./transformer_kit.ts";

/** The loop's options that are not settings: given by the stage at run time, or replaced in the spec. */
type RuntimeOptions = "config" | "tokensDir" | "fractions" | "outDir" | "quiet" | "onProgress" | "stopAfterSteps";

/**
 * Everything that decides a pretraining run (the tokens are the input): the loop's settings (train/loop.ts,
 * `backend` resolved, e.g. "wasm-blas", never "auto"), with the model named instead of resolved.
 */
export interface PretrainSpec extends Omit<PretrainOptions, RuntimeOptions> {
  /** Model config name (models/configs) or JSON path; vocabSize comes from the token folder. */
  model: string;
  /** Fields replacing the config's. */
  overrides: Partial<ModelConfig>;
  arch: Arch;
  fractions: number[];
}

/** The model config a spec trains, given the token folder's vocabulary size. */
export function specConfig(spec: Pick<PretrainSpec, "model" | "overrides" | "arch">, vocabSize: number): ModelConfig {
  return loadModelConfig(spec.model, { ...spec.overrides, ...(spec.arch ? { arch: spec.arch } : {}), vocabSize });
}

/** The stage. Input: `tokens`, a token folder (the tokenize stage's artifact). */
export const stage: Stage<PretrainSpec> = {
  kind: "pretrain",
  module: import.meta.url,
  resumable: true,
  isolate: true,
  async run(spec, io) {
    const tokensDir = io.inputs.tokens;
    const { manifest } = await readTokenManifest(tokensDir);
    const config = specConfig(spec, manifest.vocabSize);
    const backend = await initBackend(spec.backend);
    const { model: _m, overrides: _o, arch: _a, ...rest } = spec;
    const options: PretrainOptions<ModelConfig> = {
      ...rest,
      config,
      backend,
      tokensDir,
      outDir: io.out,
      onProgress: (f) => io.progress.fraction(f),
    };
    const budget = budgetOf(spec);
    const result = await pretrain(options, transformerKit);
    const c = result.counters;
    io.progress.say(
      `pretrain ${config.name} ${spec.objective}: ${c.step} steps, ${c.tokens} tokens, ${
        c.flops.toExponential(3)
      } FLOPs, ` +
        `${c.seconds.toFixed(1)} s` + (result.resumedFromStep ? ` (resumed from step ${result.resumedFromStep})` : ""),
    );
    return {
      budget,
      ...(budget.mode === "seconds"
        ? {
          reproducible: false,
          note: "a seconds budget stops where this machine's speed and load put it: not bit-reproducible elsewhere",
        }
        : {}),
      environment: runEnvironment(backend),
      counters: c,
      plannedSteps: result.plannedSteps,
      checkpoints: result.checkpoints.map(({ checkpoint: _, ...row }) => row),
      unigramValidLoss: await unigramBaseline(tokensDir, manifest.vocabSize),
    };
  },
};

/** Cross-entropy of the valid split under the train split's smoothed unigram frequencies (nats/token). */
export async function unigramBaseline(tokensDir: string, vocabSize: number): Promise<number> {
  const [train, valid] = await Promise.all([
    openTokenFolderSplit(tokensDir, "train"),
    openTokenFolderSplit(tokensDir, "valid"),
  ]);
  return unigramCrossEntropy(train.read(0, train.length), valid.read(0, valid.length), vocabSize);
}
