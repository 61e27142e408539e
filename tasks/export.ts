/**
 * `deno task export --checkpoint RUN_OR_CKPT --out DIR [--tokenizer FILE] [--force]`: writes a
 * checkpoint as a Hugging Face model folder (model.safetensors, config.json, tokenizer.json with its
 * post-processor, tokenizer_config.json), loadable with transformers' from_pretrained:
 * decoders as GPT2LMHeadModel (a headless decoder with its LM-fine-tuned head when the checkpoint has
 * one, else a copy of Eᵀ), encoders as XLM-RoBERTa-XL (export/xlm_roberta_xl.ts says why that class).
 */
import { exportCheckpoint } from "../export/export_checkpoint.ts";
import { parseFlags, runMain } from "../util/cli.ts";
import { sharedFlags } from "../util/flags.ts";

const FLAGS = sharedFlags({
  checkpoint: { required: true },
  out: { required: true },
  tokenizer: { defaultHelp: "the one of the checkpoint's token folder" },
  force: true,
});

async function main() {
  const { values } = parseFlags("export", FLAGS);
  const result = await exportCheckpoint({
    checkpoint: values.checkpoint as string,
    outDir: values.out as string,
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
