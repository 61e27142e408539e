/** Byte-level BPE: byte table, pre-tokenisation, hand-worked merges, determinism, round trips, tokenizer.json. */
import { hfTokenizers } from "./hf_tokenizers.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { BYTE_TO_CHAR, bytesToTokenString, tokenStringToBytes } from "../tokenizer/bytes.ts";
import { BpeTokenizer } from "../tokenizer/bpe.ts";
import { fromHfJson, loadTokenizer, saveTokenizer, toHfJson } from "../tokenizer/hf_json.ts";
import { mergeByHeap, mergeByScan } from "../tokenizer/merge.ts";
import { PreTokenCounter, preTokenize } from "../tokenizer/pretokenize.ts";
import { EOT_ID, SPECIAL_TOKENS, validateVocabSize } from "../tokenizer/specials.ts";
import { trainBpe } from "../tokenizer/train.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";

/** The classic example (Sennrich et al. 2016), as pre-token counts. */
const CLASSIC = new Map([["low", 5], ["lower", 2], ["newest", 6], ["widest", 3]]);

/** A few hundred pseudo-words with spaces, punctuation, digits and some non-ASCII text. */
function syntheticText(rng: Rng, words: number): string {
  const stems = [
    "the",
    "a",
    "token",
    "model",
    "head",
    "less",
    "weight",
    "tying",
    "learn",
    "predict",
    "contrast",
    "ing",
    "ed",
    "s",
  ];
  const extra = ["café", "naïve", "日本語", "🎉", "Ωmega", "42", "3.14", "don't", "it's", "—", "\n\n", "  ", "\t"];
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const w = rng.next() < 0.1
      ? extra[rng.int(extra.length)]
      : stems[rng.int(stems.length)] + (rng.next() < 0.5 ? stems[rng.int(stems.length)] : "");
    out.push(w, rng.next() < 0.1 ? ". " : rng.next() < 0.05 ? ", " : " ");
  }
  return out.join("");
}

function trainedOn(texts: string[], vocabSize = 1000): BpeTokenizer {
  const counter = new PreTokenCounter();
  for (const t of texts) counter.add(t);
  return new BpeTokenizer(trainBpe(counter.entries(), { vocabSize }));
}

const SMALL = (() => {
  const rng = new Rng(11);
  return trainedOn(Array.from({ length: 20 }, () => syntheticText(rng, 400)));
})();

Deno.test("the byte table is GPT-2's: 256 distinct printable characters, space is Ġ and newline Ċ", () => {
  assertEquals(new Set(BYTE_TO_CHAR).size, 256);
  assertEquals(BYTE_TO_CHAR[0x20], "Ġ");
  assertEquals(BYTE_TO_CHAR[0x0a], "Ċ");
  assertEquals(BYTE_TO_CHAR[0x00], "Ā");
  assertEquals(BYTE_TO_CHAR[0x21], "!");
  assertEquals(BYTE_TO_CHAR[0xad], "Ń"); // the soft hyphen is the last remapped byte (256 + 67)
  const all = Uint8Array.from({ length: 256 }, (_, b) => b);
  assertEquals(tokenStringToBytes(bytesToTokenString(all)), all);
  assertEquals(tokenStringToBytes("a b"), null); // a literal space is no table character
});

Deno.test("pre-tokenisation cuts like GPT-2: contractions, one leading space, the last space of a run joins the next word", () => {
  assertEquals(preTokenize("I'll say: hello  world 123!\n\n"), [
    "I",
    "'ll",
    " say",
    ":",
    " hello",
    " ",
    " world",
    " 123",
    "!",
    "\n\n",
  ]);
  assertEquals(preTokenize("it's  \t x"), ["it", "'s", "  \t", " x"]);
  assertEquals(preTokenize("naïve café 日本語🎉!"), ["naïve", " café", " 日本語", "🎉!"]);
  assertEquals(preTokenize("a\r\nb"), ["a", "\r", "\n", "b"]); // "\r" keeps the run's last space off "b"
  assertEquals(preTokenize("a\r\n"), ["a", "\r\n"]);
  assertEquals(preTokenize(""), []);
  const text = syntheticText(new Rng(1), 300);
  assertEquals(preTokenize(text).join(""), text);
});

Deno.test("BPE on low/lower/newest/widest learns the hand-worked merges in order, ties to the smaller pair", () => {
  const spec = trainBpe(CLASSIC, { vocabSize: 261 + 10 });
  const merges = spec.merges.map(([a, b]) => `${spec.tokens[a]} ${spec.tokens[b]}`);
  // e-s and s-t both occur 9 times: (e, s) wins as the smaller pair; then es-t 9, l-o and o-w 7 (l < o),
  // lo-w 7; at 6, e-w beats n-e and w-est (e < n < w), then n-ew, new-est; at 3, d-est, i-dest, w-idest.
  assertEquals(merges, ["e s", "es t", "l o", "lo w", "e w", "n ew", "new est", "d est", "i dest", "w idest"]);
  assertEquals(spec.tokens.slice(0, 5), [...SPECIAL_TOKENS]);
  assertEquals(spec.tokens.length, 271);
  const tok = new BpeTokenizer(spec);
  assertEquals(tok.encode("lowest").map((id) => tok.tokens[id]), ["low", "est"]);
  assertEquals(tok.encode("widest newer").map((id) => tok.tokens[id]), ["widest", "Ġ", "new", "e", "r"]);
});

Deno.test("BPE stops when no pair occurs minFrequency times, short of the vocabulary size", () => {
  const names = (spec: ReturnType<typeof trainBpe>) =>
    spec.merges.map(([a, b]) => `${spec.tokens[a]} ${spec.tokens[b]}`);
  const withRare = new Map([...CLASSIC, ["xyz", 1]]);
  // After the 10 merges above only "lower" still splits (low-e 2, e-r 2: e-r is the smaller pair), then
  // each word is one token; x-y and y-z occur once, under the default minFrequency of 2.
  const spec = trainBpe(withRare, { vocabSize: 5000 });
  assertEquals(names(spec).slice(10), ["e r", "low er"]);
  assertEquals(spec.tokens.length, 261 + 12);
  assertEquals(names(trainBpe(withRare, { vocabSize: 5000, minFrequency: 1 })).slice(12), ["x y", "xy z"]);
});

Deno.test("training is deterministic: the table's order does not matter and tokenizer.json is byte-identical", () => {
  const rng = new Rng(5);
  const texts = Array.from({ length: 10 }, () => syntheticText(rng, 300));
  const counter = new PreTokenCounter();
  for (const t of texts) counter.add(t);
  const entries = [...counter.entries()];
  const a = toHfJson(new BpeTokenizer(trainBpe(entries, { vocabSize: 600 })));
  const b = toHfJson(new BpeTokenizer(trainBpe(entries, { vocabSize: 600 })));
  const reversed = toHfJson(new BpeTokenizer(trainBpe([...entries].reverse(), { vocabSize: 600 })));
  const shuffled = toHfJson(new BpeTokenizer(trainBpe(new Rng(9).shuffle([...entries]), { vocabSize: 600 })));
  assertEquals(b, a);
  assertEquals(reversed, a);
  assertEquals(shuffled, a);
});

Deno.test("decode(encode(s)) === s for random unicode, emoji, control characters, CRLF and the empty string", () => {
  const rng = new Rng(2024);
  const ranges: Array<[number, number]> = [
    [0x00, 0x20],
    [0x20, 0x7f],
    [0x7f, 0x100],
    [0x300, 0x370],
    [0x400, 0x500],
    [0x600, 0x700],
    [0x2000, 0x2070],
    [0x3040, 0x3100],
    [0x4e00, 0x4f00],
    [0xac00, 0xad00],
    [0xfe00, 0xff00],
    [0x1f300, 0x1f700],
    [0x20000, 0x20100],
    [0xe0000, 0xe0080],
  ];
  const randomString = () => {
    const n = rng.int(60);
    let s = "";
    for (let i = 0; i < n; i++) {
      const [lo, hi] = ranges[rng.int(ranges.length)];
      s += rng.next() < 0.1
        ? ["\r\n", " ", "  ", "'s", "<|endoftext|>"][rng.int(5)]
        : String.fromCodePoint(lo + rng.int(hi - lo));
    }
    return s;
  };
  for (let i = 0; i < 2000; i++) {
    const s = randomString();
    const ids = SMALL.encode(s);
    assertEquals(SMALL.decode(ids), s, JSON.stringify(s));
    assert(ids.every((id) => id >= 5), "no special token comes out of text");
  }
  assertEquals(SMALL.encode(""), []);
  assertEquals(SMALL.decode([]), "");
  assertEquals(SMALL.decode(SMALL.encode("\ufeffBOM first")), "\ufeffBOM first");
  const controls = "\0\x01\x1b[0m\x7f\r\n\r\n\t\v\f\u0085\u00a0\u2028\u2029\ufeff";
  assertEquals(SMALL.decode(SMALL.encode(controls)), controls);
});

Deno.test("special tokens are never produced from text; decode writes them unless skipped; lone surrogates become U+FFFD", () => {
  const text = "[PAD][CLS] x [SEP][MASK]<|endoftext|>";
  const ids = SMALL.encode(text);
  assert(ids.every((id) => id >= 5));
  assertEquals(SMALL.decode(ids), text);
  assertEquals(SMALL.decode([EOT_ID, ...SMALL.encode("hi"), 0]), "<|endoftext|>hi[PAD]");
  assertEquals(SMALL.decode([EOT_ID, ...SMALL.encode("hi")], { skipSpecial: true }), "hi");
  // Lone surrogates are not valid UTF-16: they are written as U+FFFD, as every UTF-8 encoder does.
  assertEquals(SMALL.decode(SMALL.encode("a\ud800b\udc00")), "a\ufffdb\ufffd");
  assertThrows(() => SMALL.decode([SMALL.vocabSize]), RangeError);
});

Deno.test("the scan and the heap apply merges identically, on long pieces too", () => {
  const rankOf = new Map<number, number>();
  SMALL.merges.forEach(([a, b], rank) => rankOf.set((a << 16) | b, rank));
  const mergeResult = Int32Array.from(SMALL.merges, ([a, b]) => SMALL.tokenToId(SMALL.tokens[a] + SMALL.tokens[b])!);
  const table = { rankOf, mergeResult };
  const rng = new Rng(7);
  const utf8 = new TextEncoder();
  for (let i = 0; i < 300; i++) {
    const piece = Array.from({ length: 1 + rng.int(i < 150 ? 30 : 400) }, () => "aeilnrst "[rng.int(9)]).join("");
    const symbols = Array.from(utf8.encode(piece), (b) => SMALL.byteIds[b]);
    const byHeap = mergeByHeap([...symbols], table);
    assertEquals(mergeByScan([...symbols], table), byHeap, piece);
    assertEquals(SMALL.decode(byHeap), piece);
  }
  const spaces = " ".repeat(5000);
  assertEquals(SMALL.decode(SMALL.encode(spaces)), spaces);
});

Deno.test("the vocabulary size must be an integer from 4096 to 65536 (InputError), and training checks its own bounds", () => {
  for (const ok of [4096, 16384, 65536]) assertEquals(validateVocabSize(ok), ok);
  for (const bad of [4095, 65537, 16384.5, NaN, 0]) {
    assertThrows(() => validateVocabSize(bad), InputError, "4096 to 65536");
  }
  assertThrows(() => trainBpe(CLASSIC, { vocabSize: 100 }), InputError, "vocabulary size");
  assertThrows(() => trainBpe(CLASSIC, { vocabSize: 70000 }), InputError, "vocabulary size");
});

Deno.test("tokenizer.json: HF layout, loads back with the same vocab, merges and encodings", async () => {
  const json = toHfJson(SMALL);
  const parsed = JSON.parse(json);
  assertEquals(parsed.model.type, "BPE");
  assertEquals(parsed.pre_tokenizer, {
    type: "ByteLevel",
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  });
  assertEquals(parsed.decoder.type, "ByteLevel");
  assertEquals(
    parsed.added_tokens.map((t: { id: number; content: string; special: boolean }) => [t.id, t.content, t.special]),
    [
      [0, "[PAD]", true],
      [1, "[CLS]", true],
      [2, "[SEP]", true],
      [3, "[MASK]", true],
      [4, "<|endoftext|>", true],
    ],
  );
  const vocabText = json.slice(json.indexOf('"vocab"'), json.indexOf('"merges"'));
  assertEquals(
    [...vocabText.matchAll(/": (\d+)/g)].map((m) => Number(m[1])),
    SMALL.tokens.map((_, id) => id),
    "vocab in id order",
  );
  assertEquals(parsed.model.merges[0], `${SMALL.tokens[SMALL.merges[0][0]]} ${SMALL.tokens[SMALL.merges[0][1]]}`);

  const dir = await Deno.makeTempDir();
  await saveTokenizer(join(dir, "tokenizer.json"), SMALL);
  const back = await loadTokenizer(join(dir, "tokenizer.json"));
  assertEquals(back.tokens, SMALL.tokens);
  assertEquals(back.merges, SMALL.merges);
  assertEquals([...back.specialIds], [0, 1, 2, 3, 4]);
  const text = syntheticText(new Rng(3), 2000);
  assertEquals(back.encode(text), SMALL.encode(text));
  assertEquals(toHfJson(back), json);
  // Merges in the newer [left, right] form load the same.
  const pairs = { ...parsed, model: { ...parsed.model, merges: parsed.model.merges.map((m: string) => m.split(" ")) } };
  assertEquals(fromHfJson(JSON.stringify(pairs)).encode(text), SMALL.encode(text));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tokenizer.json errors name the file and what was expected", async () => {
  const good = JSON.parse(toHfJson(SMALL));
  assertThrows(() => fromHfJson("{", "x/tokenizer.json"), InputError, "x/tokenizer.json: not valid JSON");
  assertThrows(
    () => fromHfJson(JSON.stringify({ ...good, model: { ...good.model, type: "WordPiece" } }), "t.json"),
    InputError,
    't.json: model.type: expected "BPE"',
  );
  const badMerge = { ...good, model: { ...good.model, merges: [...good.model.merges, "zz qq"] } };
  assertThrows(
    () => fromHfJson(JSON.stringify(badMerge), "t.json"),
    InputError,
    `model.merges[${good.model.merges.length}]`,
  );
  const prefixSpace = { ...good, pre_tokenizer: { ...good.pre_tokenizer, add_prefix_space: true } };
  assertThrows(() => fromHfJson(JSON.stringify(prefixSpace), "t.json"), InputError, "add_prefix_space false");
  await assertRejects(() => loadTokenizer("/nonexistent/tokenizer.json"), InputError, "/nonexistent/tokenizer.json");
});

Deno.test({
  name: hfTokenizers
    ? "Hugging Face tokenizers loads our tokenizer.json and encodes varied text to identical ids"
    : "Hugging Face tokenizers compatibility (ignored: npm:tokenizers@0.23.2 could not load here)",
  ignore: hfTokenizers === null,
  fn: async () => {
    const hf = hfTokenizers!.Tokenizer.fromString(toHfJson(SMALL));
    const rng = new Rng(99);
    const texts = [
      "Hello, world! It's 2024 — naïve café, 日本語 テキスト, emoji 🎉👍🏽, tabs\tand\r\nCRLF,   spaces  x\n\n\nend",
      "don't I'll we've they're 12345 3.14 ½ Ⅻ ١٢٣ \u00a0nbsp\u2028ls \u200bzw \u0085nel \ufeffbom",
      syntheticText(rng, 3000),
      // Special strings are left out: HF matches added tokens inside text, we never do (see bpe.ts).
      ...Array.from(
        { length: 200 },
        () => Array.from({ length: rng.int(40) }, () => String.fromCodePoint(rng.int(0x2fff) + 1)).join(""),
      ),
    ];
    for (const text of texts) {
      assertEquals((await hf.encode(text)).getIds(), SMALL.encode(text), JSON.stringify(text.slice(0, 80)));
    }
  },
});
