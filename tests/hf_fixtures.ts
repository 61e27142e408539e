/**
 * Hugging Face tokenizer.json files built for tests, each in the layout of a well-known tokenizer:
 * GPT-2's byte-level BPE, BERT's WordPiece, a SentencePiece Unigram and a Llama-style BPE with byte
 * fallback. The vocabularies are small (learnt from `texts` or listed), the JSON layout is the real one.
 */
import { BYTE_TO_CHAR } from "../tokenizer/bytes.ts";
import { BpeTokenizer } from "../tokenizer/bpe.ts";
import { PreTokenCounter } from "../tokenizer/pretokenize.ts";
import { FIRST_BYTE_ID } from "../tokenizer/specials.ts";
import { trainBpe } from "../tokenizer/train.ts";

/** Text with words, punctuation, digits, accents, CJK and emoji, for vocabularies and comparisons. */
export const SAMPLE_TEXTS: readonly string[] = [
  "Hello, world! It's 2024 — naïve café, 日本語 テキスト, emoji 🎉👍🏽, tabs\tand\r\nCRLF,   spaces  x\n\n\nend",
  "don't I'll we've they're 12345 3.14 ½ Ⅻ ١٢٣ \u00a0nbsp\u2028ls \u200bzw \u0085nel \ufeffbom",
  "The headless model learns without predicting: contrastive weight tying ties outputs to input embeddings.",
  "Ångström ÉCOLE Straße ΣΊΣΥΦΟΣ ǅungla İstanbul ﬁne ＦＵＬＬＷＩＤＴＨ ① x² Ⅳ",
  "unaffable unbelievably tokenization tokenizer tokenized re-tokenize retokenizing <b>markup</b> a_b c-d",
  "   leading spaces, trailing spaces   ",
  "",
];

/** GPT-2's order of the 256 byte characters in its vocabulary (ids 0-255): printable bytes first. */
export function gpt2ByteOrder(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const bytes = [...Array(256).keys()];
  return [...bytes.filter(printable), ...bytes.filter((b) => !printable(b))].map((b) => BYTE_TO_CHAR[b]);
}

/**
 * A GPT-2 style tokenizer.json: byte-level BPE learnt from `texts` (`vocabSize` ids before the end-of-text
 * token), bytes at ids 0-255 in GPT-2's order, merges next, `<|endoftext|>` last, GPT-2's JSON fields.
 * `mergesAsPairs`: write merges as [a, b] pairs (tokenizers >= 0.20) instead of "a b" strings.
 */
export function gpt2StyleJson(texts: readonly string[], vocabSize = 600, mergesAsPairs = false): string {
  const counter = new PreTokenCounter();
  for (const t of texts) counter.add(t);
  const ours = new BpeTokenizer(trainBpe(counter.entries(), { vocabSize: vocabSize + FIRST_BYTE_ID }));
  const tokens = [...gpt2ByteOrder(), ...ours.merges.map(([a, b]) => ours.tokens[a] + ours.tokens[b])];
  const eot = tokens.length;
  const vocab = Object.fromEntries([...tokens, "<|endoftext|>"].map((t, id) => [t, id]));
  const merges = ours.merges.map(([a, b]) =>
    mergesAsPairs ? [ours.tokens[a], ours.tokens[b]] : `${ours.tokens[a]} ${ours.tokens[b]}`
  );
  const byteLevel = (prefix: boolean, trim: boolean) => ({
    type: "ByteLevel",
    add_prefix_space: prefix,
    trim_offsets: trim,
    use_regex: true,
  });
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{
      id: eot,
      content: "<|endoftext|>",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    }],
    normalizer: null,
    pre_tokenizer: byteLevel(false, true),
    post_processor: byteLevel(true, false),
    decoder: byteLevel(true, true),
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  });
}

function special(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** A BERT (bert-base-uncased) style WordPiece tokenizer.json over the words and characters of `texts`. */
export function bertStyleJson(texts: readonly string[]): string {
  const specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  const words = new Set<string>();
  for (const t of texts) {
    for (const w of t.toLowerCase().normalize("NFD").replace(/\p{Mn}/gu, "").match(/[\p{L}\p{N}]+/gu) ?? []) {
      words.add(w);
    }
  }
  const pieces = new Set<string>();
  for (const w of words) {
    [...w].forEach((ch, i) => pieces.add(i ? `##${ch}` : ch));
    if (w.length > 3) pieces.add(w.slice(0, 3)).add(`##${w.slice(3)}`);
    if (w.length % 2 === 0) pieces.add(w);
  }
  for (const p of "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~—") pieces.add(p);
  const vocab = Object.fromEntries([...specials, ...[...pieces].sort()].map((t, id) => [t, id]));
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((t, id) => special(id, t)),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, {
        SpecialToken: { id: "[SEP]", type_id: 0 },
      }],
      pair: [],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [2], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [3], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  });
}

/**
 * A SentencePiece Unigram tokenizer.json (T5/ALBERT layout without the precompiled character map):
 * NFKC, Metaspace, pieces of the words of `texts` with made-up scores; `<unk>` is id 2.
 */
export function unigramStyleJson(texts: readonly string[]): string {
  const specials = ["<pad>", "</s>", "<unk>", "<s>", "<mask>"];
  const pieces = new Map<string, number>();
  for (const t of texts) {
    for (const w of t.normalize("NFKC").split(/\s+/).filter(Boolean)) {
      const word = "▁" + w;
      const chars = [...word];
      for (let i = 0; i < chars.length; i++) {
        for (let n = 1; n <= 4 && i + n <= chars.length; n++) {
          const p = chars.slice(i, i + n).join("");
          if (/[\p{Extended_Pictographic}]/u.test(p)) continue; // leave emoji unknown
          pieces.set(p, -(n === 1 ? 8 : 10 - n) - (p.codePointAt(0)! % 7) / 3);
        }
      }
    }
  }
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((t, id) => special(id, t)),
    normalizer: {
      type: "Sequence",
      normalizers: [{ type: "NFKC" }, { type: "Replace", pattern: { Regex: " {2,}" }, content: " " }],
    },
    pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    post_processor: null,
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    model: {
      type: "Unigram",
      unk_id: 2,
      vocab: [...specials.map((t) => [t, 0]), ...pieces],
      byte_fallback: false,
    },
  });
}

/** A Llama-style BPE: ▁ for spaces by normalizers, no pre-tokenizer, byte fallback, fused unknowns. */
export function llamaStyleJson(texts: readonly string[]): string {
  const counter = new PreTokenCounter();
  for (const t of texts) counter.add(t);
  const ours = new BpeTokenizer(trainBpe(counter.entries(), { vocabSize: 400 + FIRST_BYTE_ID }));
  const specials = ["<unk>", "<s>", "</s>"];
  const byteTokens = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  // Characters and merges over plain text (no byte-level mapping): keep the merges of ASCII letters only.
  const letters = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ▁,.'"];
  const merged: string[] = [];
  const merges: string[] = [];
  const known = new Set(letters);
  for (const [a, b] of ours.merges) {
    const [l, r] = [ours.tokens[a], ours.tokens[b]].map((t) => t.replaceAll("Ġ", "▁"));
    if (known.has(l) && known.has(r) && [...l + r].every((c) => letters.includes(c))) {
      merges.push(`${l} ${r}`);
      if (!known.has(l + r)) merged.push(l + r);
      known.add(l + r);
    }
  }
  const vocab = Object.fromEntries([...specials, ...byteTokens, ...letters, ...merged].map((t, id) => [t, id]));
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((t, id) => special(id, t)),
    normalizer: {
      type: "Sequence",
      normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges,
    },
  });
}
