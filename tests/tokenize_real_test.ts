/** The whole pipeline on the real default corpus (Brown, State of the Union, Moby-Dick), vocab 16384. */
import { hfTokenizers } from "./hf_tokenizers.ts";
import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { defaultCorpus, type Document, splitOf } from "../data/corpus.ts";
import { type BpeTokenizer } from "../tokenizer/bpe.ts";
import { loadTokenizer } from "../tokenizer/hf_json.ts";
import { tokenizeCorpus, type TokenizeStats } from "../tokenizer/pipeline.ts";
import { openTokenSplit } from "../tokenizer/shards.ts";
import { EOT_ID } from "../tokenizer/specials.ts";

const SEED = 0, VALID_FRACTION = 0.02;
interface Run {
  stats: TokenizeStats;
  tok: BpeTokenizer;
  tokenizerJson: string;
  train: Int32Array;
  docs: Document[];
}
let run: Run | undefined;

/** Tokenizes once for all tests here, keeps what they read, and removes the folder. */
async function tokenized(): Promise<Run> {
  if (!run) {
    const docs: Document[] = [];
    for await (const d of defaultCorpus()) docs.push(d);
    const dir = await Deno.makeTempDir();
    const out = join(dir, "out");
    try {
      const stats = await tokenizeCorpus({
        docs,
        vocabSize: 16384,
        seed: SEED,
        validFraction: VALID_FRACTION,
        outDir: out,
      });
      const split = await openTokenSplit(out, "train");
      run = {
        stats,
        tok: await loadTokenizer(join(out, "tokenizer.json")),
        tokenizerJson: await Deno.readTextFile(join(out, "tokenizer.json")),
        train: split.read(0, split.length),
        docs,
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  return run;
}

Deno.test("the default corpus tokenizes at vocab 16384: every document round-trips, ~4.7 bytes a token", async () => {
  const { stats, docs } = await tokenized();
  assertEquals(stats.vocabSize, 16384);
  assertEquals(stats.roundTrip?.failures, 0, `round trip failed for ${stats.roundTrip?.failedIds.join(", ")}`);
  assertEquals(stats.roundTrip?.documents, docs.length);
  assertEquals(stats.splits.train.documents + stats.splits.valid.documents, docs.length);
  assertEquals(
    stats.splits.valid.documents,
    docs.filter((d) => splitOf(d.id, VALID_FRACTION, SEED) === "valid").length,
  );
  assert(stats.splits.valid.documents > 5, `${stats.splits.valid.documents} valid documents`);
  assert(stats.splits.train.words > 2_500_000, `${stats.splits.train.words} train words`);
  // English prose at a 16k vocabulary: GPT-2 gets ~4.5 bytes a token on web text at 50k.
  const bytesPerToken = stats.splits.train.bytes / (stats.splits.train.tokens - stats.splits.train.documents);
  assert(bytesPerToken > 4.2 && bytesPerToken < 5.2, `${bytesPerToken.toFixed(2)} bytes a token`);
});

Deno.test("the default corpus's train shards begin with the first train document and hold one eot per document", async () => {
  const { stats, tok, docs, train: ids } = await tokenized();
  assertEquals(ids.length, stats.splits.train.tokens);
  assertEquals(ids.filter((id) => id === EOT_ID).length, stats.splits.train.documents);
  const firstEnd = ids.indexOf(EOT_ID);
  assertEquals(
    tok.decode(ids.subarray(0, firstEnd)),
    docs.find((d) => splitOf(d.id, VALID_FRACTION, SEED) === "train")!.text,
  );
  assertEquals(tok.encode(" the"), [tok.tokenToId("Ġthe")!], "' the' is one token");
});

Deno.test({
  name: hfTokenizers
    ? "Hugging Face tokenizers encodes the default corpus's validation documents to the same ids"
    : "Hugging Face tokenizers on the default corpus (ignored: npm:tokenizers@0.23.2 could not load here)",
  ignore: hfTokenizers === null,
  fn: async () => {
    const { tok, docs, tokenizerJson } = await tokenized();
    const hf = hfTokenizers!.Tokenizer.fromString(tokenizerJson);
    for (const doc of docs.filter((d) => splitOf(d.id, VALID_FRACTION, SEED) === "valid")) {
      assertEquals((await hf.encode(doc.text)).getIds(), tok.encode(doc.text), doc.id);
    }
  },
});
