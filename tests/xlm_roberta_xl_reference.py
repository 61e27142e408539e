#!/usr/bin/env python3
"""The forward pass of transformers' XLMRobertaXLForMaskedLM (modeling_xlm_roberta_xl.py), written
with nothing but PyTorch over an exported folder (config.json + model.safetensors), for the export test:

  /usr/bin/python3 tests/xlm_roberta_xl_reference.py DIR --input batch.json --out out.json

batch.json: {"ids": [[...], ...], "mask": [[1, 1, 0], ...]} (right-padded rows of equal length).
Prints {"hidden": [B, T, d] final hidden states, "logits": [B, T, V] or null without an lm_head}.
Follows transformers: positions count from pad_token_id + 1 over the non-pad tokens (RoBERTa's
create_position_ids_from_input_ids), embeddings = word + token type + position with no LayerNorm,
pre-LN layers (attention.self_attn_layer_norm, then LayerNorm before the MLP), encoder.LayerNorm at
the end, MLM head dense -> gelu -> layer_norm -> decoder tied to the word embeddings + bias."""
import argparse, json, math, struct
import torch

F = torch.nn.functional


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32", meta
        a, b = meta["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(meta["shape"])
    return out


def forward(cfg, w, ids, mask):
    d, H, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    pad = cfg["pad_token_id"]
    B, T = ids.shape
    ln = lambda x, p: F.layer_norm(x, (d,), w[p + ".weight"], w[p + ".bias"], eps)
    lin = lambda x, p: F.linear(x, w[p + ".weight"], w[p + ".bias"])
    not_pad = ids.ne(pad).int()
    positions = torch.cumsum(not_pad, dim=1) * not_pad + pad
    e = "roberta.embeddings."
    x = (w[e + "word_embeddings.weight"][ids] + w[e + "token_type_embeddings.weight"][torch.zeros_like(ids)]
         + w[e + "position_embeddings.weight"][positions])
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    split = lambda t: t.view(B, T, H, d // H).transpose(1, 2)
    for i in range(cfg["num_hidden_layers"]):
        p = f"roberta.encoder.layer.{i}."
        a = ln(x, p + "attention.self_attn_layer_norm")
        q, k, v = (split(lin(a, p + "attention.self." + n)) for n in ("query", "key", "value"))
        att = (q @ k.transpose(-1, -2) / math.sqrt(d // H) + bias).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, d)
        x = x + lin(y, p + "attention.output.dense")
        h = F.gelu(lin(ln(x, p + "LayerNorm"), p + "intermediate.dense"))
        x = x + lin(h, p + "output.dense")
    x = ln(x, "roberta.encoder.LayerNorm")
    if "lm_head.dense.weight" not in w:
        return x, None
    u = ln(F.gelu(lin(x, "lm_head.dense")), "lm_head.layer_norm")
    return x, u @ w["roberta.embeddings.word_embeddings.weight"].T + w["lm_head.bias"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir"); ap.add_argument("--input", required=True); ap.add_argument("--out", required=True)
    a = ap.parse_args()
    cfg = json.load(open(f"{a.dir}/config.json"))
    assert cfg["model_type"] == "xlm-roberta-xl" and cfg["hidden_act"] == "gelu", cfg
    w = read_safetensors(f"{a.dir}/model.safetensors")
    batch = json.load(open(a.input))
    with torch.no_grad():
        hidden, logits = forward(cfg, w, torch.tensor(batch["ids"]), torch.tensor(batch["mask"]))
    json.dump({"hidden": hidden.tolist(), "logits": None if logits is None else logits.tolist()}, open(a.out, "w"))


if __name__ == "__main__":
    main()
