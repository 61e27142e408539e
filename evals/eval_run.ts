/**
 * What every evaluation stage (evals/*_stage.ts) does the same way: open a checkpoint with its tokenizer
 * and check they match, describe the checkpoint as result-row columns, and load a decoder ready to score.
 */
import { basename, join } from "node:path";
import { owningArtifact } from "../artifacts/store.ts";
import type { ModelConfig } from "../models/config.ts";
import type { Model } from "../models/transformer.ts";
import { addLmHeadFromEmbedding } from "./lm_finetune.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { InputError } from "../util/errors.ts";
import {
  checkArchitecture,
  type CheckpointSummary,
  checkTokenizer,
  describeCheckpoint,
  findCheckpointTokenizer,
  loadCheckpointModel,
  tokenizerFacts,
} from "./checkpoint_check.ts";
import type { Arch } from "../models/config.ts";
import { isHeadless } from "../models/objective_names.ts";

/** A checkpoint opened for evaluation, with the tokenizer it was trained with. */
export interface OpenedCheckpoint {
  summary: CheckpointSummary;
  tokenizer: Tokenizer;
  tokenizerFile: string;
  /** The tokenizer facts the checkpoint vouches for (sha256 and vocabulary size). */
  trained: Awaited<ReturnType<typeof checkTokenizer>>;
}

/**
 * Opens `checkpoint` for `purpose`, which needs architecture `arch`; the tokenizer is `tokenizerFile`
 * or, when not given, the one of the checkpoint's token folder. Mismatches are InputErrors saying what differs.
 */
export async function openCheckpoint(
  checkpoint: string,
  tokenizerFile: string | undefined,
  arch: Arch,
  purpose: string,
): Promise<OpenedCheckpoint> {
  const summary = await describeCheckpoint(checkpoint);
  checkArchitecture(summary, arch, purpose);
  if (tokenizerFile === undefined) {
    const found = await findCheckpointTokenizer(summary);
    if (!found) {
      throw new InputError(
        `--tokenizer is required: the checkpoint's token folder was not found from its run.json`,
        summary.dir,
      );
    }
    tokenizerFile = join(found.tokensDir, "tokenizer.json");
  }
  const { tokenizer } = await loadAnyTokenizer(tokenizerFile);
  const trained = await checkTokenizer(summary, await tokenizerFacts(tokenizerFile, tokenizer.vocabSize));
  return { summary, tokenizer, tokenizerFile, trained };
}

/**
 * What names a checkpoint in result rows, the same on every machine: `<kind>:<key>/<path inside>` of the
 * artifact that holds it (e.g. "pretrain:3f2a…/ckpt/frac-1"), else the folder's own name.
 */
export async function checkpointId(dir: string): Promise<string> {
  const owner = await owningArtifact(dir);
  return owner ? `${owner.record.kind}:${owner.record.key}${owner.sub ? `/${owner.sub}` : ""}` : basename(dir);
}

/**
 * The result-row columns that describe a pretraining checkpoint (model, compute spent, seed, design,
 * backend), and its timing columns (pretraining wall-clock, the artifact holding it). A checkpoint that
 * had no pretraining (budget fraction 0: weights at initialisation) is the "random-init" reference
 * (contracts 3), whatever objective its run names. The design is the one the run's settings record
 * (`design`), "" for the default design.
 */
export async function checkpointColumns(
  summary: CheckpointSummary,
  config: ModelConfig = summary.config,
): Promise<CheckpointColumns> {
  const { meta } = summary;
  const settings = meta.settings as Record<string, unknown>;
  const budget = typeof settings.budgetFlops === "number" ? settings.budgetFlops : NaN;
  const fraction = meta.fraction ?? meta.counters.flops / budget;
  if (!(fraction > 0 || (fraction === 0 && meta.counters.flops === 0))) {
    throw new InputError(`cannot tell the checkpoint's budget fraction (no fraction, budget ${budget})`, summary.dir);
  }
  const seed = typeof settings.seed === "number" ? settings.seed : 0;
  return {
    model: config.name,
    arch: config.arch,
    objective: fraction === 0 ? RANDOM_INIT : summary.objective,
    design: typeof settings.design === "string" ? settings.design : "",
    pretrain_seed: seed,
    fraction,
    flops: meta.counters.flops,
    tokens: meta.counters.tokens,
    backend: typeof settings.backend === "string" ? settings.backend : "",
    pretrain_seconds: meta.counters.seconds,
    checkpoint: await checkpointId(summary.dir),
  };
}

/** The objective of a checkpoint with no pretraining (contracts 3). */
export const RANDOM_INIT = "random-init";

/**
 * The columns of a reference row that uses no checkpoint (the majority class, a unigram LM; contracts 3):
 * no pretraining compute, seed 0. Spread over a checkpoint's columns, it keeps their model, arch, design
 * and backend.
 */
export const REFERENCE_COLUMNS = {
  fraction: 0,
  flops: 0,
  tokens: 0,
  pretrain_seed: 0,
  seed: 0,
  pretrain_seconds: 0,
  checkpoint: "",
} as const;

/** What {@link checkpointColumns} returns: a checkpoint's result-row and timing columns. */
export interface CheckpointColumns {
  model: string;
  arch: string;
  objective: string;
  design: string;
  pretrain_seed: number;
  fraction: number;
  flops: number;
  tokens: number;
  backend: string;
  pretrain_seconds: number;
  checkpoint: string;
}

/**
 * Loads a decoder checkpoint ready to score text: a headless (CWT) decoder gets an untied LM head that
 * is a copy of Eᵀ (the paper's "Headless" row); a softmax decoder keeps its own head.
 */
export async function loadScoringDecoder(
  summary: CheckpointSummary,
): Promise<{ model: Model; config: ModelConfig; headless: boolean }> {
  const headless = isHeadless(summary.objective) || (!summary.hasHeadParams && !summary.config.tieHead);
  const config: ModelConfig = headless ? { ...summary.config, tieHead: false } : summary.config;
  const model = await loadCheckpointModel(summary, { override: { tieHead: config.tieHead } });
  if (headless) addLmHeadFromEmbedding(model);
  return { model, config, headless };
}
