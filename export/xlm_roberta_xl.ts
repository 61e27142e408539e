/**
 * An encoder as transformers' XLM-RoBERTa-XL (XLMRobertaXLModel / XLMRobertaXLForMaskedLM), the one
 * BERT-family class whose forward is ours exactly: pre-LayerNorm blocks (self_attn_layer_norm before
 * attention, LayerNorm before the MLP), no LayerNorm on the embeddings, a final LayerNorm after the
 * last block (encoder.LayerNorm), exact GELU, eps 1e-5, and an MLM head dense -> GELU -> LayerNorm ->
 * Eᵀ + bias tied to the input embedding, as BertForMaskedLM's and ours. BERT and RoBERTa are post-LN
 * with an embedding LayerNorm; RobertaPreLayerNorm is pre-LN but keeps the embedding LayerNorm.
 *
 * Two details are bridged by the weights: positions count from pad_token_id + 1 (RoBERTa's rule, for
 * right-padded input), so our position rows sit at that offset; token types get one all-zero row.
 */
import type { ModelConfig } from "../models/config.ts";
import { LAYER_NORM_EPS } from "../models/ops.ts";
import type { F32Tensor } from "./safetensors.ts";
import { columns, transposed, zeros } from "./tensors.ts";

/** XLMRobertaXLForMaskedLM's state dict (`roberta.*`, plus `lm_head.*` when the encoder has its MLM head). */
export function xlmRobertaXlTensors(
  config: ModelConfig,
  params: ReadonlyMap<string, F32Tensor>,
  padId: number,
): Map<string, F32Tensor> {
  const get = (name: string): F32Tensor => {
    const t = params.get(name);
    if (!t) throw new Error(`encoder ${config.name} has no parameter ${name}`);
    return t;
  };
  const d = config.dModel;
  const linear = (out: Map<string, F32Tensor>, prefix: string, w: F32Tensor, b: F32Tensor) => {
    out.set(`${prefix}.weight`, transposed(w)); // nn.Linear keeps W as [out, in]
    out.set(`${prefix}.bias`, b);
  };
  const positions = zeros([positionRows(config, padId), d]);
  positions.data.set(get("embed.pos.w").data, (padId + 1) * d);
  const out = new Map<string, F32Tensor>([
    ["roberta.embeddings.word_embeddings.weight", get("embed.tok.w")],
    ["roberta.embeddings.position_embeddings.weight", positions],
    ["roberta.embeddings.token_type_embeddings.weight", zeros([1, d])],
  ]);
  for (let i = 0; i < config.layers; i++) {
    const ours = (s: string) => get(`blocks.${i}.${s}`);
    const p = `roberta.encoder.layer.${i}`;
    out.set(`${p}.attention.self_attn_layer_norm.weight`, ours("ln1.g"));
    out.set(`${p}.attention.self_attn_layer_norm.bias`, ours("ln1.b"));
    ["query", "key", "value"].forEach((part, k) =>
      linear(
        out,
        `${p}.attention.self.${part}`,
        columns(ours("attn.qkv.w"), k * d, (k + 1) * d),
        columns(ours("attn.qkv.b"), k * d, (k + 1) * d),
      )
    );
    linear(out, `${p}.attention.output.dense`, ours("attn.out.w"), ours("attn.out.b"));
    out.set(`${p}.LayerNorm.weight`, ours("ln2.g"));
    out.set(`${p}.LayerNorm.bias`, ours("ln2.b"));
    linear(out, `${p}.intermediate.dense`, ours("mlp.fc.w"), ours("mlp.fc.b"));
    linear(out, `${p}.output.dense`, ours("mlp.proj.w"), ours("mlp.proj.b"));
  }
  out.set("roberta.encoder.LayerNorm.weight", get("ln_f.g"));
  out.set("roberta.encoder.LayerNorm.bias", get("ln_f.b"));
  if (params.has("head.b")) {
    linear(out, "lm_head.dense", get("head.transform.w"), get("head.transform.b"));
    out.set("lm_head.layer_norm.weight", get("head.ln.g"));
    out.set("lm_head.layer_norm.bias", get("head.ln.b"));
    out.set("lm_head.bias", get("head.b"));
    out.set("lm_head.decoder.bias", get("head.b"));
  }
  return out;
}

/** Rows of the position table: ids pad+1 .. pad+context are used. */
function positionRows(config: ModelConfig, padId: number): number {
  return config.context + padId + 1;
}

/** XLM-RoBERTa-XL's config.json for `config`. */
export function xlmRobertaXlConfig(
  config: ModelConfig,
  withHead: boolean,
  specials: { pad: number; cls: number; sep: number },
): Record<string, unknown> {
  return {
    architectures: [withHead ? "XLMRobertaXLForMaskedLM" : "XLMRobertaXLModel"],
    model_type: "xlm-roberta-xl",
    vocab_size: config.vocabSize,
    hidden_size: config.dModel,
    num_hidden_layers: config.layers,
    num_attention_heads: config.heads,
    intermediate_size: config.dFF,
    hidden_act: "gelu",
    // Pretraining here uses no dropout.
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    max_position_embeddings: positionRows(config, specials.pad),
    type_vocab_size: 1,
    initializer_range: 0.02,
    layer_norm_eps: LAYER_NORM_EPS,
    position_embedding_type: "absolute",
    pad_token_id: specials.pad,
    bos_token_id: specials.cls,
    eos_token_id: specials.sep,
    tie_word_embeddings: true,
    torch_dtype: "float32",
  };
}
