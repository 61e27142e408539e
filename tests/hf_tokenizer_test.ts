/**
 * Any Hugging Face tokenizer.json (tokenizer/hf_tokenizer.ts): GPT-2's byte-level BPE, BERT's
 * WordPiece, a SentencePiece Unigram and a Llama-style BPE with byte fallback encode and decode as
 * Hugging Face's own `tokenizers` does (where it loads), hand-worked cases give the expected pieces,
 * special tokens are found by name, and `tokenize --tokenizer` writes shards with the file's ids.
 */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { hfTokenizers } from "./hf_tokenizers.ts";
import { bertStyleJson, gpt2StyleJson, llamaStyleJson, SAMPLE_TEXTS, unigramStyleJson } from "./hf_fixtures.ts";
import { BpeTokenizer } from "../tokenizer/bpe.ts";
import { toHfJson } from "../tokenizer/hf_json.ts";
import { PreTokenCounter } from "../tokenizer/pretokenize.ts";
import { trainBpe } from "../tokenizer/train.ts";
import { charSpans, splitPiece } from "../tokenizer/hf_split.ts";
import { HfTokenizer } from "../tokenizer/hf_tokenizer.ts";
import { parseAnyTokenizer } from "../tokenizer/load_any.ts";
import {
  documentSeparator,
  findSpecials,
  fixedEncoderLayoutMismatch,
  requireSpecials,
} from "../tokenizer/special_roles.ts";
import { openTokenSplit, readManifest } from "../tokenizer/shards.ts";
import { sha256 } from "../util/fs.ts";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { Rng } from "../util/rng.ts";
import { tokenizeCorpus } from "../tokenizer/pipeline.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * Random text from Unicode blocks assigned long ago (Hugging Face's tables are older than V8's, so
 * characters added in recent Unicode versions are classified differently), plus spaces and punctuation.
 */
function randomText(rng: Rng, length: number): string {
  const blocks = [
    [0x20, 0x7e],
    [0xa0, 0x17f],
    [0x391, 0x3c9],
    [0x410, 0x44f],
    [0x5d0, 0x5ea],
    [0x3041, 0x3096],
    [
      0x4e00,
      0x4eff,
    ],
    [0x2000, 0x206f],
    [0x1f600, 0x1f64f],
  ];
  let s = "";
  for (let i = 0; i < length; i++) {
    const [lo, hi] = blocks[rng.int(blocks.length)];
    s += rng.next() < 0.2 ? " " : String.fromCodePoint(lo + rng.int(hi - lo + 1));
  }
  return s;
}

const RNG = new Rng(17);
const TEXTS = [
  ...SAMPLE_TEXTS,
  "specials in text: <|endoftext|>x [CLS] a [SEP] <s>b</s> <unk> [MASK]",
  ...Array.from({ length: 150 }, () => randomText(RNG, RNG.int(60))),
];

const FIXTURES: Record<string, string> = {
  "GPT-2 byte-level BPE": gpt2StyleJson(SAMPLE_TEXTS),
  "GPT-2 byte-level BPE, merges as pairs": gpt2StyleJson(SAMPLE_TEXTS, 300, true),
  "BERT WordPiece": bertStyleJson(SAMPLE_TEXTS),
  "SentencePiece Unigram": unigramStyleJson(SAMPLE_TEXTS),
  "Llama-style BPE with byte fallback": llamaStyleJson(SAMPLE_TEXTS),
};

for (const [name, json] of Object.entries(FIXTURES)) {
  Deno.test({
    name: hfTokenizers
      ? `${name}: our reader encodes and decodes as Hugging Face tokenizers does`
      : `${name}: comparison with Hugging Face tokenizers (ignored: npm:tokenizers could not load here)`,
    ignore: hfTokenizers === null,
    fn: async () => {
      const hf = hfTokenizers!.Tokenizer.fromString(json);
      const ours = HfTokenizer.fromJson(json);
      assertEquals(ours.vocabSize, hf.getVocabSize(true));
      for (const text of TEXTS) {
        const encoding = await hf.encode(text, null, { addSpecialTokens: false });
        const ids = encoding.getIds();
        assertEquals(ours.encode(text), ids, JSON.stringify(text.slice(0, 80)));
        assertEquals(ours.decode(ids), await hf.decode(ids, false), `decode of ${JSON.stringify(text.slice(0, 80))}`);
        assertEquals(ours.decode(ids, { skipSpecial: true }), await hf.decode(ids, true));
      }
    },
  });
}

Deno.test("GPT-2's layout is read as a Hugging Face tokenizer: lossless, end-of-text found, encoder roles missing", () => {
  const loaded = parseAnyTokenizer(utf8(FIXTURES["GPT-2 byte-level BPE"]));
  assertEquals(loaded.kind, "hf");
  const tok = loaded.tokenizer as HfTokenizer;
  assert(tok.lossless);
  for (const text of TEXTS) assertEquals(tok.decode(tok.encode(text)), text.toWellFormed());
  const eot = tok.vocabSize - 1;
  assertEquals(findSpecials(tok), { eot: { id: eot, token: "<|endoftext|>" } });
  assertEquals(documentSeparator(tok).id, eot);
  assertEquals(tok.encode("a<|endoftext|>b"), [tok.tokenToId("a")!, eot, tok.tokenToId("b")!]);
  const error = assertThrows(() => requireSpecials(tok, "encoder", "gpt2.json"), InputError);
  assertStringIncludes(
    error.message,
    "gpt2.json: an encoder needs special tokens this tokenizer lacks: pad (one of [PAD]",
  );
  assertStringIncludes(error.message, "mask (one of [MASK] <mask> <|mask|>)");
  assertEquals(requireSpecials(tok, "decoder").eot.id, eot);
});

Deno.test("our own tokenizer.json is read as BpeTokenizer, and the general reader gives it the same ids", () => {
  const counter = new PreTokenCounter();
  for (const t of SAMPLE_TEXTS) counter.add(t);
  const json = toHfJson(new BpeTokenizer(trainBpe(counter.entries(), { vocabSize: 500 })));
  const ours = parseAnyTokenizer(utf8(json));
  assertEquals(ours.kind, "bpe");
  const general = HfTokenizer.fromJson(json);
  assert(general.lossless);
  for (const text of TEXTS.filter((t) => !t.includes("<|endoftext|>") && !/[\u0085\ufeff]/.test(t))) {
    assertEquals(general.encode(text), ours.tokenizer.encode(text), JSON.stringify(text));
    assertEquals(general.decode(general.encode(text)), ours.tokenizer.decode(ours.tokenizer.encode(text)));
  }
  assertEquals(findSpecials(ours.tokenizer), {
    pad: { id: 0, token: "[PAD]" },
    cls: { id: 1, token: "[CLS]" },
    sep: { id: 2, token: "[SEP]" },
    mask: { id: 3, token: "[MASK]" },
    eot: { id: 4, token: "<|endoftext|>" },
  });
  assertEquals(fixedEncoderLayoutMismatch(ours.tokenizer), null);
});

Deno.test("BERT's WordPiece: hand-worked pieces, roles by name, [SEP] ends documents, and the id layout is checked", () => {
  const tok = HfTokenizer.fromJson(FIXTURES["BERT WordPiece"]);
  const pieces = (text: string) => tok.encode(text).map((id) => tok.idToToken(id));
  // Lowercased, accents stripped, punctuation split off, greedy longest match with ## continuations.
  assertEquals(pieces("Ångström, unaffable!"), ["angstrom", ",", "una", "##ffable", "!"]);
  assertEquals(pieces("HELLO ℵ"), ["hel", "##lo", "[UNK]"]);
  assertEquals(tok.decode(tok.encode("Hello, world!")), "hello, world!");
  const s = requireSpecials(tok, "encoder");
  assertEquals([s.pad.token, s.cls.token, s.sep.token, s.mask.token], ["[PAD]", "[CLS]", "[SEP]", "[MASK]"]);
  assertEquals(documentSeparator(tok), { id: 3, token: "[SEP]" });
  assertThrows(() => requireSpecials(tok, "decoder", "bert.json"), InputError, "eot (one of <|endoftext|> </s>");
  assertEquals(
    fixedEncoderLayoutMismatch(tok),
    "the encoder code assumes fixed special ids: cls is [CLS] = 2, expected id 1; sep is [SEP] = 3, expected id 2; " +
      "mask is [MASK] = 4, expected id 3",
  );
  assert(!tok.lossless);
});

Deno.test("Unigram takes the best-scoring segmentation and fuses unknown characters into one [unk]", async () => {
  const json = JSON.stringify({
    added_tokens: [
      { id: 0, content: "<unk>", special: true, normalized: false, single_word: false, lstrip: false, rstrip: false },
    ],
    normalizer: null,
    pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    decoder: { type: "Metaspace", replacement: "▁", prepend_scheme: "always" },
    model: {
      type: "Unigram",
      unk_id: 0,
      vocab: [["<unk>", 0], ["▁", -2], ["a", -3], ["b", -3], ["ab", -5], ["▁a", -4], ["▁ab", -10], ["bb", -1.5]],
    },
  });
  const tok = HfTokenizer.fromJson(json);
  const pieces = (text: string) => tok.encode(text).map((id) => tok.idToToken(id));
  // ▁ + ab and ▁a + b both score -7: the one reaching the end first (from the earlier start) stays; ▁ab is -10.
  assertEquals(pieces("ab"), ["▁", "ab"]);
  assertEquals(pieces("abb"), ["▁a", "bb"]); // -5.5
  assertEquals(pieces("axyb"), ["▁a", "<unk>", "b"]); // x and y: one fused unknown
  assertEquals(tok.decode(tok.encode("ab ab")), "ab ab");
  if (hfTokenizers) { // the hand-worked cases are also Hugging Face's
    const hf = hfTokenizers.Tokenizer.fromString(json);
    for (const text of ["ab", "abb", "axyb", "ab ab"]) {
      assertEquals((await hf.encode(text, null, { addSpecialTokens: false })).getIds(), tok.encode(text));
    }
  }
});

Deno.test("splits follow Hugging Face's documented behaviours on the-final--countdown", () => {
  const piece = { text: "the-final--countdown", atStart: true };
  const spans = charSpans(piece.text, (c) => c === "-");
  const cut = (b: Parameters<typeof splitPiece>[2], invert = false) =>
    splitPiece(piece, spans, b, invert).map((p) => p.text);
  assertEquals(cut("Removed"), ["the", "final", "countdown"]);
  assertEquals(cut("Isolated"), ["the", "-", "final", "-", "-", "countdown"]);
  assertEquals(cut("MergedWithPrevious"), ["the-", "final-", "-", "countdown"]);
  assertEquals(cut("MergedWithNext"), ["the", "-final", "-", "-countdown"]);
  assertEquals(cut("Contiguous"), ["the", "-", "final", "--", "countdown"]);
  assertEquals(cut("Removed", true), ["-", "-", "-"]); // a character pattern matches one character at a time
});

Deno.test("a component this reader lacks, a random BPE and broken JSON are errors naming the file and place", () => {
  const root = JSON.parse(FIXTURES["GPT-2 byte-level BPE"]);
  const bad = (patch: (r: typeof root) => void) => {
    const r = structuredClone(root);
    patch(r);
    return () => HfTokenizer.fromJson(JSON.stringify(r), "t.json");
  };
  assertThrows(
    bad((r) => (r.pre_tokenizer = { type: "Sequence", pretokenizers: [{ type: "UnicodeScripts" }] })),
    InputError,
    't.json: pre_tokenizer.pretokenizers[0]: type "UnicodeScripts" is not supported (supported: ByteLevel,',
  );
  assertThrows(bad((r) => (r.model.dropout = 0.1)), InputError, "t.json: model.dropout: 0.1 makes encoding random");
  assertThrows(bad((r) => (r.model.merges[0] = "Ġ nope")), InputError, "model.merges[0]");
  assertThrows(() => HfTokenizer.fromJson("{", "t.json"), InputError, "t.json: not valid JSON");
  assertThrows(
    bad((r) => (r.normalizer = { type: "Replace", pattern: { Regex: "a++" }, content: "" })),
    InputError,
    "normalizer.pattern: regex",
  );
});

Deno.test("tokenizeCorpus with a GPT-2 style tokenizer: the file copied as it is, its sha256 and end-of-text in the manifest", async () => {
  const json = FIXTURES["GPT-2 byte-level BPE"];
  const loaded = parseAnyTokenizer(utf8(json));
  const dir = await Deno.makeTempDir();
  try {
    const docs = TEXTS.slice(0, 40).map((text, i) => ({ id: `d${i}`, source: "test", text }));
    const stats = await tokenizeCorpus({
      docs,
      vocabSize: loaded.tokenizer.vocabSize,
      outDir: join(dir, "t"),
      tokenizer: loaded.tokenizer,
      tokenizerJson: loaded.bytes,
      validFraction: 0,
    });
    assertEquals(stats.roundTrip?.failures, 0);
    const manifest = await readManifest(join(dir, "t"));
    assertEquals(await Deno.readFile(join(dir, "t", "tokenizer.json")), loaded.bytes);
    assertEquals(manifest.tokenizer.sha256, sha256(json));
    const eot = loaded.tokenizer.vocabSize - 1;
    assertEquals([manifest.eot, manifest.vocabSize], [eot, loaded.tokenizer.vocabSize]);
    const split = await openTokenSplit(join(dir, "t"), "train");
    const ids = [...split.read(0, split.length)];
    const expected = docs.flatMap((d) => [...loaded.tokenizer.encode(d.text), eot]);
    assertEquals(ids, expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tokenize --tokenizer (the CLI) with BERT's WordPiece: [SEP] ends documents, no round-trip check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "bert.json"), FIXTURES["BERT WordPiece"]);
    await Deno.writeTextFile(join(dir, "corpus.txt"), SAMPLE_TEXTS.filter(Boolean).join("\n\n") + "\n");
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "tasks/tokenize.ts",
        "--tokenizer",
        join(dir, "bert.json"),
        "--corpus",
        join(dir, "corpus.txt"),
        "--out",
        join(dir, "t"),
        "--valid-fraction",
        "0",
      ],
      cwd: REPO_ROOT,
    }).output();
    const out = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 0, out);
    assertStringIncludes(out, "note: the tokenizer normalizes text, so decode(encode(doc)) is not checked");
    const manifest = await readManifest(join(dir, "t"));
    assertEquals(manifest.tokenizer.sha256, sha256(FIXTURES["BERT WordPiece"]));
    assertEquals(manifest.eot, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
