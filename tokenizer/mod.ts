/**
 * Byte-level BPE tokenizer (GPT-2 style, Hugging Face tokenizer.json compatible), any Hugging Face
 * tokenizer.json read in TypeScript, the Tokenizer interface both satisfy, and token shards.
 */
export { BYTE_TO_CHAR, bytesToTokenString, tokenStringToBytes } from "./bytes.ts";
export { type BpeSpec, BpeTokenizer, MAX_TOKENS } from "./bpe.ts";
export { fromHfJson, loadTokenizer, saveTokenizer, toHfJson } from "./hf_json.ts";
export { HfTokenizer } from "./hf_tokenizer.ts";
export { loadAnyTokenizer, type LoadedTokenizer, parseAnyTokenizer } from "./load_any.ts";
export {
  documentSeparator,
  findSpecials,
  fixedEncoderLayoutMismatch,
  requireSpecials,
  ROLE_NAMES,
  type SpecialRole,
  type SpecialToken,
  type SpecialTokens,
} from "./special_roles.ts";
export type { Tokenizer } from "./tokenizer.ts";
export { type SplitStats, tokenizeCorpus, type TokenizeCorpusOptions, type TokenizeStats } from "./pipeline.ts";
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
export { countWeights, DEFAULT_ALPHA, LanguageCounts, samplingProbabilities } from "./language_sampling.ts";
export { type SampledBpeInfo, type SampledBpeOptions, trainSampledBpe } from "./sampled_bpe.ts";
