/** The model kit backed by models/: the real transformer, objectives, masking and FLOP counter. */
import {
  createModel,
  hasSoftmaxHead,
  hasTargetEmbedding,
  lmLoss,
  makeDecoderBatch,
  makeEncoderBatch,
  type Model,
  type ModelConfig,
  noDecay,
  stepFlops,
} from "../models/mod.ts";
import type { ModelKit } from "./model_kit.ts";

/** models/ as the training loop sees it. A headless run (CWT, NCE) creates no softmax head (it would get no gradient). */
export const transformerKit: ModelKit<ModelConfig, Model> = {
  createModel: (config, seed, objective) =>
    createModel(config, seed, { head: hasSoftmaxHead(objective), targetEmbedding: hasTargetEmbedding(objective) }),
  noDecay,
  lmLoss,
  stepFlops,
  makeEncoderBatch,
  makeDecoderBatch,
};
