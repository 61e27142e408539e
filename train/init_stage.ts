/**
 * The init stage: the random-init reference, a model with no pretraining at all. It writes the weights a
 * pretraining run of the same config and seed starts from (with the softmax head, which an encoder's
 * fine-tuning ignores and a decoder is scored with) as the checkpoint `ckpt/frac-0`, recorded with
 * objective "random-init" and zero compute, so the evaluation stages read it like any other checkpoint
 * and write rows with fraction 0, flops 0 and tokens 0.
 */
import type * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { Stage } from "../artifacts/stage.ts";
import { keyOf } from "../artifacts/hash.ts";
import { initBackend } from "../backends/mod.ts";
import { createModel, type ModelConfig } from "../models/mod.ts";
import { BatchStream, type DataState } from "./batch_stream.ts";
import { writeCheckpoint } from "./checkpoint.ts";
import { fractionDirName } from "./loop.ts";
import type { Arch } from "./model_kit.ts";
import { specConfig } from "./pretrain_stage.ts";
import { openTokenFolderSplit, readTokenManifest } from "./token_stream.ts";
import { transformerKit } from "./transformer_kit.ts";

/** The objective name of a random-init checkpoint (and of its result rows). */
export const RANDOM_INIT = "random-init" as const;

/** What decides a random-init model (the token folder, for its vocabulary and tokenizer, is the input). */
export interface InitSpec {
  /** Model config name (models/configs) or JSON path; vocabSize comes from the token folder. */
  model: string;
  overrides: Partial<ModelConfig>;
  arch: Arch;
  seed: number;
  backend: string;
}

/** The stage. Input: `tokens`, a token folder (the tokenize stage's artifact). */
export const stage: Stage<InitSpec> = {
  kind: "init",
  module: import.meta.url,
  async run(spec, io) {
    const tokensDir = io.inputs.tokens;
    const { manifest, sha256 } = await readTokenManifest(tokensDir);
    const config = specConfig({ model: spec.model, overrides: spec.overrides, arch: spec.arch }, manifest.vocabSize);
    const backend = await initBackend(spec.backend);
    const settings = {
      model: config,
      objective: RANDOM_INIT,
      tokens: { manifestSha256: sha256 },
      budgetFlops: 0,
      seed: spec.seed,
      backend,
    };
    const model = createModel(config, spec.seed);
    try {
      const train = await openTokenFolderSplit(tokensDir, "train");
      const data = new BatchStream(transformerKit, config.arch, train, {
        seqLen: config.context,
        batch: 1,
        seed: spec.seed,
        vocabSize: config.vocabSize,
      });
      const dir = await writeInitialCheckpoint(join(io.out, "ckpt"), fractionDirName(0), model.params, data.state(), {
        settingsHash: keyOf(settings),
        fraction: 0,
        settings,
      });
      io.progress.say(`random-init ${config.name} (${config.arch}, seed ${spec.seed}): ${dir}`);
      return {
        objective: RANDOM_INIT,
        model: config.name,
        parameters: [...model.params.values()].reduce((n, p) => n + p.size, 0),
      };
    } finally {
      model.dispose();
    }
  },
};

/**
 * Writes a model as it stands before its first step, as checkpoint `root/name`: its parameters, zero
 * counters, no optimizer state, and `data` where its batches would start. Returns the folder.
 */
export function writeInitialCheckpoint(
  root: string,
  name: string,
  params: ReadonlyMap<string, tf.Tensor>,
  data: DataState,
  meta: { settingsHash: string; fraction: number; settings: unknown },
): Promise<string> {
  const tensors = new Map(
    [...params].map(([param, p]) => [
      `param/${param}`,
      { shape: p.shape, data: Float32Array.from(p.dataSync() as Float32Array) },
    ]),
  );
  return writeCheckpoint(root, name, {
    settingsHash: meta.settingsHash,
    counters: { step: 0, tokens: 0, flops: 0, seconds: 0 },
    data,
    adamStep: 0,
    logWindow: { loss: 0, gradNorm: 0, steps: 0 },
    fraction: meta.fraction,
    settings: meta.settings,
  }, tensors);
}
