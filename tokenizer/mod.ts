/** Byte-level BPE tokenizer (GPT-2 style, Hugging Face tokenizer.json compatible) and token shards. */
export { BYTE_TO_CHAR, bytesToTokenString, tokenStringToBytes } from "./bytes.ts";
export { type BpeSpec, BpeTokenizer, MAX_TOKENS } from "./bpe.ts";
export { fromHfJson, loadTokenizer, saveTokenizer, toHfJson } from "./hf_json.ts";
export {
  corpusSha256,
  type SplitStats,
  tokenizeCorpus,
  type TokenizeCorpusOptions,
  type TokenizeStats,
} from "./pipeline.ts";
export { GPT2_PATTERN, PreTokenCounter, preTokenize, scanPieces } from "./pretokenize.ts";
export {
  DEFAULT_SHARD_TOKENS,
  dtypeFor,
  openTokenSplit,
  readManifest,
  type ShardInfo,
  ShardWriter,
  type SplitInfo,
  type TokenDtype,
  type TokenManifest,
  TOKENS_FORMAT,
  type TokenSplit,
  writeManifest,
} from "./shards.ts";
export {
  BASE_VOCAB_SIZE,
  CLS_ID,
  EOT_ID,
  FIRST_BYTE_ID,
  MASK_ID,
  MAX_VOCAB_SIZE,
  MIN_VOCAB_SIZE,
  PAD_ID,
  SEP_ID,
  SPECIAL_TOKENS,
  validateVocabSize,
} from "./specials.ts";
export { trainBpe, type TrainOptions } from "./train.ts";
