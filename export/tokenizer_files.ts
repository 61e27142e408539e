/**
 * The tokenizer files of an exported model: tokenizer.json with a post-processor that frames text as
 * the model was trained (encoder: [CLS] A [SEP] (B [SEP]); decoder: A <|endoftext|>, the end-of-text
 * token every training document ends with), tokenizer_config.json (PreTrainedTokenizerFast, the
 * special tokens, model_max_length) and special_tokens_map.json for older transformers.
 */
import type { Arch } from "../models/config.ts";
import { requireSpecials, type SpecialToken } from "../tokenizer/special_roles.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { setTopLevelField } from "./json_splice.ts";

const UNK_NAMES = ["[UNK]", "<unk>", "<|unk|>"];

/** TemplateProcessing over the given special tokens: `single` and `pair` as lists of "A", "B" or a special. */
function template(single: Array<"A" | SpecialToken>, pair: Array<"A" | "B" | SpecialToken>) {
  const piece = (p: "A" | "B" | SpecialToken) =>
    typeof p === "string" ? { Sequence: { id: p, type_id: 0 } } : { SpecialToken: { id: p.token, type_id: 0 } };
  const specials = [...single, ...pair].filter((p): p is SpecialToken => typeof p !== "string");
  return {
    type: "TemplateProcessing",
    single: single.map(piece),
    pair: pair.map(piece),
    special_tokens: Object.fromEntries(specials.map((s) => [s.token, { id: s.token, ids: [s.id], tokens: [s.token] }])),
  };
}

/** The three tokenizer files of a model of `arch` and context `context`, from the tokenizer.json text it was trained with. */
export function tokenizerFiles(
  arch: Arch,
  tokenizer: Tokenizer,
  tokenizerJson: string,
  context: number,
  source: string,
): Record<"tokenizer.json" | "tokenizer_config.json" | "special_tokens_map.json", string> {
  const roles: Record<string, string> = {};
  let postProcessor;
  if (arch === "encoder") {
    const s = requireSpecials(tokenizer, "encoder", source);
    postProcessor = template([s.cls, "A", s.sep], [s.cls, "A", s.sep, "B", s.sep]);
    Object.assign(roles, {
      bos_token: s.cls.token,
      eos_token: s.sep.token,
      cls_token: s.cls.token,
      sep_token: s.sep.token,
      pad_token: s.pad.token,
      mask_token: s.mask.token,
    });
  } else {
    const s = requireSpecials(tokenizer, "decoder", source);
    postProcessor = template(["A", s.eot], ["A", s.eot, "B", s.eot]);
    Object.assign(roles, { bos_token: s.eot.token, eos_token: s.eot.token });
    if (s.pad) roles.pad_token = s.pad.token;
  }
  const unk = UNK_NAMES.find((t) => tokenizer.specialIds.has(tokenizer.tokenToId(t) ?? -1));
  if (unk) roles.unk_token = unk;

  const added = (JSON.parse(tokenizerJson).added_tokens ?? []) as Array<Record<string, unknown>>;
  const config = {
    tokenizer_class: "PreTrainedTokenizerFast",
    model_max_length: context,
    // No token_type_ids: GPT-2 would add wte[type] to every position, XLM-R-XL has one type.
    model_input_names: ["input_ids", "attention_mask"],
    padding_side: "right",
    clean_up_tokenization_spaces: false,
    ...roles,
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...rest }) => [String(id), rest])),
  };
  return {
    "tokenizer.json": setTopLevelField(tokenizerJson, "post_processor", postProcessor),
    "tokenizer_config.json": JSON.stringify(config, null, 2) + "\n",
    "special_tokens_map.json": JSON.stringify(roles, null, 2) + "\n",
  };
}
