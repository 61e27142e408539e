/** Models out to Hugging Face: safetensors, GPT-2 and XLM-RoBERTa-XL layouts, tokenizer files, whole exports. */
export { exportCheckpoint, type ExportOptions, type ExportResult } from "./export_checkpoint.ts";
export { type DecoderHead, gpt2Config, gpt2Tensors } from "./gpt2.ts";
export { type LmFinetuneRecord, writeLmFinetunedCheckpoint } from "./lm_checkpoint.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  type F32Tensor,
  readSafetensorsHeader,
  type SafetensorsHeader,
} from "./safetensors.ts";
export { tokenizerFiles } from "./tokenizer_files.ts";
export { xlmRobertaXlConfig, xlmRobertaXlTensors } from "./xlm_roberta_xl.ts";
