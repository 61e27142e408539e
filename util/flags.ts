/**
 * The project's flag vocabulary: every flag more than one command takes, with the one meaning it has
 * everywhere. A command picks the ones it takes with {@link sharedFlags}, setting only its default (or
 * the words for a default it works out) and whether the flag is required; the help text stays this
 * table's, so `--batch` or `--max-eval` cannot mean one thing in one task and another in the next.
 * Flags only one command has are defined in that command, under a name no other command uses
 * (tests/flags_test.ts checks every tasks/ CLI against this table).
 */
import { DATA_CACHE_ENV } from "../data/cache.ts";
import type { FlagDef, FlagSpec } from "./cli.ts";

/** The shared flags: name -> type and meaning. */
export const SHARED_FLAGS = {
  out: { type: "string", help: "output folder" },
  force: { type: "boolean", help: "replace the output folder if it holds something else (another artifact or export)" },
  backend: { type: "string", help: "compute backend: auto | tensorflow | webgpu | wasm-blas | wasm | cpu" },
  "cache-dir": {
    type: "string",
    help: `evaluation-data cache folder (default $${DATA_CACHE_ENV}, else ~/.cache/headless-bench/data)`,
  },
  offline: { type: "boolean", help: "fetch nothing: use what the cache holds, and name what is missing" },
  "base-url": { type: "string", help: "fetch every download from this base URL instead of its canonical host" },
  checkpoint: {
    type: "string",
    help: "checkpoint folder (ckpt/frac-F) or pretraining run folder (its newest checkpoint)",
  },
  tokenizer: { type: "string", help: "tokenizer.json (any Hugging Face one) to use instead of the default" },
  tokens: { type: "string", help: "token folder made by `deno task tokenize`" },
  model: { type: "string", help: "model config name (models/configs) or JSON path" },
  vocab: { type: "string", help: "vocabulary size of the BPE to train, 4096 to 65536 (specials and bytes included)" },
  languages: { type: "string", help: "languages, comma-separated codes" },
  seed: { type: "string", help: "seed of every random choice the command makes (splits, samples, weights, order)" },
  seeds: { type: "string", help: "seeds, comma-separated: one run per seed" },
  "valid-fraction": { type: "string", help: "share of documents held out for validation" },
  "seq-len": { type: "string", help: "tokens per training sequence" },
  batch: { type: "string", help: "training batch: sequences or examples per micro-batch" },
  lr: { type: "string", help: "peak learning rate" },
  "weight-decay": { type: "string", help: "AdamW weight decay" },
  epochs: { type: "string", help: "fine-tuning epochs" },
  loss: { type: "string", help: "classification loss: balanced | plain (each picks its protocol's defaults)" },
  "valid-batches": { type: "string", help: "validation micro-batches per evaluation during pretraining" },
  "max-train": {
    type: "string",
    help: "fine-tune on a seeded subset of at most N training examples per task (per language for XNLI)",
  },
  "max-eval": {
    type: "string",
    help: "score at most N evaluation examples per task (LAMBADA: the first N; XNLI: a seeded subset per language)",
  },
  "eval-batch": { type: "string", help: "examples per evaluation forward pass" },
  "lm-steps": { type: "string", help: "LM fine-tuning steps for a headless decoder before LAMBADA (0: none)" },
  "lm-lr": { type: "string", help: "LM fine-tuning learning rate (constant after 20% warmup)" },
  "lm-batch": { type: "string", help: "LM fine-tuning sequences per step" },
  "lm-seq-len": { type: "string", help: "LM fine-tuning sequence length" },
} as const satisfies Record<string, Pick<FlagDef, "type" | "help">>;

/** A shared flag's name. */
export type SharedFlag = keyof typeof SHARED_FLAGS;

/** How one command takes a shared flag: its default, the words for a default it works out, required. */
export type FlagUse = Pick<FlagDef, "default" | "defaultHelp" | "required" | "multiple">;

/** The spec of the shared flags a command takes (`true`: as the table has it, with no default). */
export function sharedFlags(uses: { [K in SharedFlag]?: FlagUse | true }): FlagSpec {
  return Object.fromEntries(
    Object.entries(uses).map((
      [name, use],
    ) => [name, { ...SHARED_FLAGS[name as SharedFlag], ...(use === true ? {} : use) }]),
  );
}
