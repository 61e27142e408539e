/**
 * Saving a decoder after LM fine-tuning (evals/lm_finetune.ts) as a checkpoint folder, with
 * train/checkpoint.ts's writer: the parameters with the fine-tuned untied head (`head.w`), the
 * pretraining settings (model config with tieHead false, tokens, objective) plus what the fine-tune
 * was, and the counters with its tokens, FLOPs and seconds added. No optimizer moments: it is an end
 * point to export or score, not to resume.
 */
import type { CheckpointSummary } from "../evals/checkpoint_check.ts";
import type { Model } from "../models/transformer.ts";
import { type StoredTensor, writeCheckpoint } from "../train/checkpoint.ts";

/** What the LM fine-tune was. */
export interface LmFinetuneRecord {
  steps: number;
  lr: number;
  seed: number;
  batch: number;
  seqLen: number;
  tokens: number;
  flops: number;
  seconds: number;
}

/** Writes `model` (fine-tuned from checkpoint `base`) as checkpoint folder `root/name`; returns its path. */
export async function writeLmFinetunedCheckpoint(
  root: string,
  name: string,
  model: Model,
  base: CheckpointSummary,
  lmFinetune: LmFinetuneRecord,
): Promise<string> {
  if (!model.hasHead() || model.config.tieHead) {
    throw new Error(`writeLmFinetunedCheckpoint: model ${model.config.name} has no untied LM head`);
  }
  const tensors = new Map<string, StoredTensor>();
  for (const [param, v] of model.params) {
    tensors.set(`param/${param}`, { shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) });
  }
  const c = base.meta.counters;
  return await writeCheckpoint(root, name, {
    settingsHash: base.meta.settingsHash,
    counters: {
      step: c.step,
      tokens: c.tokens + lmFinetune.tokens,
      flops: c.flops + lmFinetune.flops,
      seconds: c.seconds + lmFinetune.seconds,
    },
    data: base.meta.data,
    adamStep: 0,
    logWindow: { loss: 0, gradNorm: 0, steps: 0 },
    ...(base.meta.fraction !== undefined ? { fraction: base.meta.fraction } : {}),
    settings: { ...(base.meta.settings as Record<string, unknown>), model: model.config, lmFinetune },
  }, tensors);
}
