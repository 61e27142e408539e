/**
 * `deno task export --checkpoint RUN_OR_CKPT --out DIR [--tokenizer FILE] [--force]`: writes a
 * checkpoint as a Hugging Face model folder (model.safetensors, config.json, tokenizer.json with its
 * post-processor, tokenizer_config.json), loadable with transformers' from_pretrained:
 * decoders as GPT2LMHeadModel (a headless decoder with its LM-fine-tuned head when the checkpoint has
 * one, else a copy of Eᵀ), encoders as XLM-RoBERTa-XL (export/xlm_roberta_xl.ts says why that class).
 */
import { exportCheckpoint } from "../export/export_checkpoint.ts";
import { parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

const FLAGS = {
  checkpoint: { type: "string" as const, help: "checkpoint folder, or pretraining run folder (its newest checkpoint)" },
  out: { type: "string" as const, help: "the Hugging Face model folder to create" },
  tokenizer: {
    type: "string" as const,
    help: "the tokenizer.json the checkpoint was trained with (default: its token folder's)",
  },
  force: { type: "boolean" as const, help: "replace the output folder if it exists" },
};

async function main() {
  const { values, positionals } = parseFlags("export", FLAGS);
  if (positionals.length) throw new InputError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  if (typeof values.checkpoint !== "string") throw new InputError("--checkpoint is required");
  if (typeof values.out !== "string") throw new InputError("--out is required (the folder to create)");
  const result = await exportCheckpoint({
    checkpoint: values.checkpoint,
    outDir: values.out,
    tokenizerFile: values.tokenizer as string | undefined,
    force: values.force === true,
  });
  const head = {
    tied: "tied to the input embedding",
    own: "the checkpoint's own LM head",
    "embedding-copy": "an untied copy of the input embedding (headless, not LM fine-tuned)",
    mlm: "the MLM head",
    none: "no MLM head (headless)",
  }[result.head];
  console.log(
    `exported ${result.className} (${
      result.parameters.toLocaleString("en-US")
    } parameters, ${head}) to ${result.outDir}`,
  );
}

if (import.meta.main) await runMain(main);
