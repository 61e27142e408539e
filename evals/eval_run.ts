/**
 * What every evaluation entry point (tasks/evaluate.ts, tasks/xnli.ts) does the same way: open a
 * checkpoint with its tokenizer and check they match, describe the checkpoint as result-row columns, and
 * claim an output folder that appears only when complete.
 */
import { join } from "node:path";
import type { ModelConfig } from "../models/config.ts";
import type { Model } from "../models/transformer.ts";
import { addLmHeadFromEmbedding } from "./lm_finetune.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { settingsHash } from "../train/run_manifest.ts";
import {
  checkArchitecture,
  type CheckpointSummary,
  checkTokenizer,
  describeCheckpoint,
  findCheckpointTokenizer,
  loadCheckpointModel,
  tokenizerFacts,
} from "./checkpoint_check.ts";

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
  arch: "encoder" | "decoder",
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

/** The result-row columns that describe a pretraining checkpoint (compute spent, seed, backend). */
export function checkpointColumns(
  summary: CheckpointSummary,
  config: ModelConfig = summary.config,
): Record<string, string | number> {
  const { meta } = summary;
  const settings = meta.settings as Record<string, unknown>;
  const budget = typeof settings.budgetFlops === "number" ? settings.budgetFlops : NaN;
  const fraction = meta.fraction ?? meta.counters.flops / budget;
  if (!(fraction > 0)) {
    throw new InputError(`cannot tell the checkpoint's budget fraction (no fraction, budget ${budget})`, summary.dir);
  }
  return {
    arch: config.arch,
    objective: summary.objective,
    fraction,
    flops: meta.counters.flops,
    tokens: meta.counters.tokens,
    wall_seconds: meta.counters.seconds,
    backend: typeof settings.backend === "string" ? settings.backend : "",
    pretrain_seed: typeof settings.seed === "number" ? settings.seed : "",
    model: config.name,
    checkpoint: summary.dir,
  };
}

/**
 * The output folder of an evaluation of kind `kind` ("evaluate", "xnli", "mc"): `out`, else
 * runs/<kind>/<stem>-<settings hash>, claimed for these settings. `tmpDir` is the temporary folder to
 * write into (renamed to `outDir` when done), or null when `outDir` already holds this evaluation (its
 * <kind>.json has the same settings hash). A folder holding anything else is an InputError.
 */
export async function claimEvalOutput(
  kind: string,
  stem: string,
  settings: unknown,
  out: string | undefined,
): Promise<{ outDir: string; hash: string; tmpDir: string | null }> {
  const hash = settingsHash(settings);
  const outDir = out ?? join(REPO_ROOT, "runs", kind, `${stem}-${hash}`);
  return { outDir, hash, tmpDir: await claimOutputDir(outDir, hash, `${kind}.json`) };
}

async function claimOutputDir(outDir: string, hash: string, recordFile: string): Promise<string | null> {
  if (await exists(outDir)) {
    let old: { settingsHash?: string } = {};
    try {
      old = JSON.parse(await Deno.readTextFile(join(outDir, recordFile)));
    } catch { /* not an evaluation folder */ }
    if (old.settingsHash === hash) return null;
    throw new InputError(
      `the output folder exists and holds another evaluation (or something else): use another --out or delete it`,
      outDir,
    );
  }
  const tmpDir = `${outDir}.${Deno.pid}.tmp`;
  await Deno.mkdir(tmpDir, { recursive: true });
  return tmpDir;
}

/**
 * Loads a decoder checkpoint ready to score text: a headless (CWT) decoder gets an untied LM head that
 * is a copy of Eᵀ (the paper's "Headless" row); a softmax decoder keeps its own head.
 */
export async function loadScoringDecoder(
  summary: CheckpointSummary,
): Promise<{ model: Model; config: ModelConfig; headless: boolean }> {
  const headless = summary.objective === "cwt" || (!summary.hasHeadParams && !summary.config.tieHead);
  const config: ModelConfig = headless ? { ...summary.config, tieHead: false } : summary.config;
  const model = await loadCheckpointModel(summary, { override: { tieHead: config.tieHead } });
  if (headless) addLmHeadFromEmbedding(model);
  return { model, config, headless };
}
