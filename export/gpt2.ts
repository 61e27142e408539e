/**
 * A decoder as transformers' GPT2LMHeadModel. The layouts already agree: pre-LayerNorm blocks, learned
 * positions, q|k|v in one [d, 3d] projection split into heads the same way, x·W + b products (GPT-2's
 * Conv1D keeps W as [in, out], as we do), exact GELU, LayerNorm eps 1e-5, a final LayerNorm, no
 * biases on the LM head. Only the names change, and the untied head is stored transposed ([V, d]).
 */
import type { ModelConfig } from "../models/config.ts";
import { LAYER_NORM_EPS } from "../models/ops.ts";
import type { F32Tensor } from "./safetensors.ts";
import { transposed } from "./tensors.ts";

/** Where the exported LM head comes from. */
export type DecoderHead =
  /** Tied: logits = h Eᵀ (a softmax decoder with tieHead); no lm_head.weight is written. */
  | "tied"
  /** The checkpoint's own untied head.w (a softmax decoder, or a headless one after LM fine-tuning). */
  | "own"
  /** A copy of E as an untied head (a headless decoder that was not LM fine-tuned: the paper's Eᵀ head). */
  | "embedding-copy";

/** Our parameter name -> GPT-2's, per block. */
const BLOCK_NAMES: ReadonlyArray<[string, string]> = [
  ["ln1.g", "ln_1.weight"],
  ["ln1.b", "ln_1.bias"],
  ["attn.qkv.w", "attn.c_attn.weight"],
  ["attn.qkv.b", "attn.c_attn.bias"],
  ["attn.out.w", "attn.c_proj.weight"],
  ["attn.out.b", "attn.c_proj.bias"],
  ["ln2.g", "ln_2.weight"],
  ["ln2.b", "ln_2.bias"],
  ["mlp.fc.w", "mlp.c_fc.weight"],
  ["mlp.fc.b", "mlp.c_fc.bias"],
  ["mlp.proj.w", "mlp.c_proj.weight"],
  ["mlp.proj.b", "mlp.c_proj.bias"],
];

/** GPT2LMHeadModel's state dict (`transformer.*`, plus `lm_head.weight` unless tied) from our parameters. */
export function gpt2Tensors(
  config: ModelConfig,
  params: ReadonlyMap<string, F32Tensor>,
  head: DecoderHead,
): Map<string, F32Tensor> {
  const get = (name: string): F32Tensor => {
    const t = params.get(name);
    if (!t) throw new Error(`decoder ${config.name} has no parameter ${name}`);
    return t;
  };
  const out = new Map<string, F32Tensor>([
    ["transformer.wte.weight", get("embed.tok.w")],
    ["transformer.wpe.weight", get("embed.pos.w")],
  ]);
  for (let i = 0; i < config.layers; i++) {
    for (const [ours, theirs] of BLOCK_NAMES) out.set(`transformer.h.${i}.${theirs}`, get(`blocks.${i}.${ours}`));
  }
  out.set("transformer.ln_f.weight", get("ln_f.g"));
  out.set("transformer.ln_f.bias", get("ln_f.b"));
  if (head === "own") out.set("lm_head.weight", transposed(get("head.w")));
  if (head === "embedding-copy") out.set("lm_head.weight", get("embed.tok.w"));
  return out;
}

/** GPT-2's config.json for `config`; `eot` is the end-of-text id (GPT-2's bos and eos). */
export function gpt2Config(
  config: ModelConfig,
  head: DecoderHead,
  specials: { eot: number; pad?: number },
): Record<string, unknown> {
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: config.vocabSize,
    n_positions: config.context,
    n_ctx: config.context,
    n_embd: config.dModel,
    n_layer: config.layers,
    n_head: config.heads,
    n_inner: config.dFF,
    activation_function: "gelu",
    layer_norm_epsilon: LAYER_NORM_EPS,
    scale_attn_weights: true,
    // Pretraining here uses no dropout.
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    initializer_range: 0.02,
    tie_word_embeddings: head === "tied",
    bos_token_id: specials.eot,
    eos_token_id: specials.eot,
    ...(specials.pad !== undefined ? { pad_token_id: specials.pad } : {}),
    use_cache: true,
    torch_dtype: "float32",
  };
}
