/**
 * What the zero-shot signal stages (BLiMP, bits per byte) score, from a stage's inputs:
 * - `checkpoint` (with `tokenizer`): a pretrained decoder with its own head, or for a headless (CWT)
 *   decoder an untied copy of Eᵀ as its head (the paper's "Headless" row); an encoder with its MLM head,
 *   or Eᵀ itself for a headless encoder, which has no head;
 * - `lmFinetuned:<name>` (any number): decoders the LAMBADA stage LM-fine-tuned from that same checkpoint
 *   and saved (`lm-finetuned/seed-N`), each scored with its fine-tuned head; their rows carry the
 *   fine-tune's seed and its compute added to the checkpoint's, as the LAMBADA stage's rows do;
 * - or, for the unigram reference (contracts: objective "unigram", fraction, FLOPs and tokens 0), the
 *   `tokens` folder alone: the train split's add-one-smoothed unigram distribution.
 */
import { join } from "node:path";
import type { Arch } from "../models/config.ts";
import type { Model } from "../models/transformer.ts";
import { findSpecials } from "../tokenizer/special_roles.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";
import type { Tokenizer as TextTokenizer } from "../tokenizer/tokenizer.ts";
import { openTokenFolderSplit, readTokenManifest, type TokenManifest } from "../train/token_stream.ts";
import { InputError } from "../util/errors.ts";
import { type CheckpointSummary, describeCheckpoint, loadCheckpointModel } from "./checkpoint_check.ts";
import { checkpointColumns, loadScoringDecoder, openCheckpoint, type OpenedCheckpoint } from "./eval_run.ts";
import type { Tokenizer } from "./lambada.ts";
import type { Row } from "./result_sink.ts";
import { unigramLogProbs } from "./unigram.ts";

/** The prefix of the input names of LM-fine-tuned checkpoints. */
export const LM_FINETUNED_INPUT = "lmFinetuned:";

/** Appended to a task's name for the scores of an LM-fine-tuned decoder (as lambada_openai_lmft). */
export const LM_FINETUNED_SUFFIX = "_lmft";

/** One thing to score: a model (loaded on demand) or the unigram distribution. */
export interface ScoredModel {
  /** The result-row columns that describe it (RESULT_COLUMNS but task, metric, value, policy; plus details). */
  columns: Row;
  /** Appended to task names ("" or LM_FINETUNED_SUFFIX). */
  suffix: string;
  /** Loads the model; null for the unigram. */
  load: (() => Promise<Model>) | null;
  /** ln p(id) of the unigram reference; null for a model. */
  unigram: Float64Array | null;
}

/** The objective examples.csv names for `entry` (contracts 2): a reference's own, "" for the stage's checkpoint. */
export function exampleObjective(entry: ScoredModel): string {
  return entry.load ? "" : String(entry.columns.objective);
}

/** "unigram", or the model's head ("own head", "E^T copy head", ...), for progress lines and timing notes. */
export function scoredName(entry: ScoredModel): string {
  return entry.load ? `${entry.columns.head} head` : "unigram";
}

/** What a signal stage scores, with the tokenizer they share. */
export interface ScoredModels {
  arch: Arch;
  /** The tokenizer, for decoding and for encoders. */
  tokenizer: TextTokenizer;
  /** The same, as the harness-style scorers see it (with the end-of-text id). */
  scoringTokenizer: Tokenizer;
  /** The token folder the model was trained on. */
  tokensDir: string;
  /** sha256 of the tokenizer.json. */
  tokenizerSha256: string;
  models: ScoredModel[];
}

/** The end-of-text id of a tokenizer, or an InputError naming the file. */
function eotOf(tokenizer: TextTokenizer, file: string): number {
  const eot = findSpecials(tokenizer).eot;
  if (!eot) throw new InputError(`the tokenizer has no end-of-text token (<|endoftext|> or the like)`, file);
  return eot.id;
}

/** The unigram reference over `tokensDir` (its train split and tokenizer). */
export async function unigramModels(tokensDir: string): Promise<ScoredModels> {
  const { manifest } = await readTokenManifest(tokensDir);
  const file = join(tokensDir, manifest.tokenizer.file);
  const { tokenizer } = await loadAnyTokenizer(file);
  const train = await openTokenFolderSplit(tokensDir, "train");
  const unigram = unigramLogProbs(train.read(0, train.length), manifest.vocabSize);
  const columns: Row = {
    arch: "decoder",
    objective: "unigram",
    fraction: 0,
    flops: 0,
    tokens: 0,
    backend: "",
    pretrain_seed: 0,
    model: "unigram",
    checkpoint: "",
    head: "unigram",
    seed: 0,
  };
  return {
    arch: "decoder",
    tokenizer,
    scoringTokenizer: { encode: (s) => tokenizer.encode(s), eotId: eotOf(tokenizer, file) },
    tokensDir,
    tokenizerSha256: manifest.tokenizer.sha256,
    models: [{ columns, suffix: "", load: null, unigram }],
  };
}

/** The checkpoint of `inputs.checkpoint` and the LM-fine-tuned decoders among `inputs`, in that order. */
export async function checkpointModels(inputs: Record<string, string>, purpose: string): Promise<ScoredModels> {
  const arch = (await describeCheckpoint(inputs.checkpoint)).config.arch;
  const opened = await openCheckpoint(inputs.checkpoint, inputs.tokenizer, arch, purpose);
  const { summary, tokenizer, tokenizerFile } = opened;
  const base = await checkpointColumns(summary);
  const pretrainSeed = typeof base.pretrain_seed === "number" ? base.pretrain_seed : 0;
  // A headless decoder gets a copy of Eᵀ as its head (loadScoringDecoder); a headless encoder is scored against E.
  const headless = arch === "decoder"
    ? summary.objective === "cwt" || (!summary.hasHeadParams && !summary.config.tieHead)
    : summary.objective === "cwt" || !summary.hasHeadParams;
  const own: ScoredModel = {
    columns: { ...base, seed: pretrainSeed, head: headless ? (arch === "decoder" ? "E^T copy" : "E^T") : "own" },
    suffix: "",
    load: async () =>
      arch === "decoder"
        ? (await loadScoringDecoder(summary)).model
        : await loadCheckpointModel(headless ? withoutHead(summary) : summary),
    unigram: null,
  };
  const finetuned = await lmFinetunedModels(inputs, opened, purpose);
  return {
    arch,
    tokenizer,
    scoringTokenizer: {
      encode: (s) => tokenizer.encode(s),
      eotId: arch === "decoder" ? eotOf(tokenizer, tokenizerFile) : findSpecials(tokenizer).eot?.id,
    },
    tokensDir: opened.trained.tokensDir,
    tokenizerSha256: opened.trained.sha256,
    models: [own, ...finetuned],
  };
}

/** The checkpoint without its head tensors: a CWT encoder is scored against E, never an untrained head. */
function withoutHead(summary: CheckpointSummary): CheckpointSummary {
  return { ...summary, hasHeadParams: false, paramNames: summary.paramNames.filter((n) => !n.startsWith("head.")) };
}

/** What writeLmFinetunedCheckpoint records under settings.lmFinetune. */
interface LmFinetuneSettings {
  steps: number;
  seed: number;
  flops: number;
}

function lmFinetuneOf(summary: CheckpointSummary): LmFinetuneSettings | null {
  const ft = (summary.meta.settings as Record<string, unknown>).lmFinetune as Partial<LmFinetuneSettings> | undefined;
  if (!ft || typeof ft.seed !== "number" || typeof ft.steps !== "number" || typeof ft.flops !== "number") return null;
  return { steps: ft.steps, seed: ft.seed, flops: ft.flops };
}

/** The `lmFinetuned:*` inputs, checked to be LM fine-tunes of the opened checkpoint, by fine-tuning seed. */
async function lmFinetunedModels(
  inputs: Record<string, string>,
  base: OpenedCheckpoint,
  purpose: string,
): Promise<ScoredModel[]> {
  const out: { seed: number; model: ScoredModel }[] = [];
  for (const [name, path] of Object.entries(inputs)) {
    if (!name.startsWith(LM_FINETUNED_INPUT)) continue;
    const { summary } = await openCheckpoint(path, base.tokenizerFile, "decoder", purpose);
    const ft = lmFinetuneOf(summary);
    if (!ft || !summary.hasHeadParams) {
      throw new InputError(`input ${name}: not an LM-fine-tuned decoder (no settings.lmFinetune or no head)`, path);
    }
    const b = base.summary.meta;
    if (summary.meta.settingsHash !== b.settingsHash || summary.meta.fraction !== b.fraction) {
      throw new InputError(
        `input ${name}: fine-tuned from another checkpoint (settings ${summary.meta.settingsHash}, fraction ` +
          `${summary.meta.fraction}) than ${base.summary.dir} (settings ${b.settingsHash}, fraction ${b.fraction})`,
        path,
      );
    }
    const columns = await checkpointColumns(summary);
    out.push({
      seed: ft.seed,
      model: {
        columns: {
          ...columns,
          seed: ft.seed,
          head: "LM fine-tuned",
          finetune_steps: ft.steps,
          finetune_flops: ft.flops,
        },
        suffix: LM_FINETUNED_SUFFIX,
        load: () => loadCheckpointModel(summary),
        unigram: null,
      },
    });
  }
  return out.sort((a, b) => a.seed - b.seed).map((e) => e.model);
}

/** The manifest of a token folder, checked to be tokenized with `tokenizerSha256` when given. */
export async function tokenFolderFor(
  tokensDir: string,
  tokenizerSha256: string | null,
): Promise<TokenManifest> {
  const { manifest } = await readTokenManifest(tokensDir);
  if (tokenizerSha256 !== null && manifest.tokenizer.sha256 !== tokenizerSha256) {
    throw new InputError(
      `token folder was made with tokenizer sha256 ${manifest.tokenizer.sha256}, the model with ${tokenizerSha256}`,
      join(tokensDir, "manifest.json"),
    );
  }
  return manifest;
}

/** An input that must be there. */
export function requireInput(inputs: Record<string, string>, name: string): string {
  const path = inputs[name];
  if (path === undefined) throw new InputError(`the stage needs an input named ${name}`);
  return path;
}
