/**
 * The bits-per-byte stage: the held-out (valid) split of a token folder scored document by document
 * (evals/bits_per_byte.ts) by a decoder checkpoint, by the LM-fine-tuned decoders given with it, or by
 * the unigram reference of the folder's train split. Result rows: task `bpb` (`bpb_lmft` after LM
 * fine-tuning), metric bits_per_byte over the documents' UTF-8 bytes; examples.csv has a line per document
 * (loglik, count = bytes), so an interval comes from a bootstrap over documents.
 *
 * A document's bytes are those of its decoded tokens; over the whole split they must add up to the bytes
 * the token folder's manifest recorded for the text (corpus.splits.valid.bytes): a tokenizer that does not
 * give the text back (one that normalizes) cannot be scored per byte.
 */
import { join } from "node:path";
import type { Stage } from "../artifacts/stage.ts";
import { initBackend } from "../backends/mod.ts";
import { openTokenFolderSplit } from "../train/token_stream.ts";
import { InputError } from "../util/errors.ts";
import {
  bitsPerByte,
  causalDocumentScorer,
  type DocumentScorer,
  splitDocuments,
  unigramDocumentScorer,
} from "./bits_per_byte.ts";
import { ResultSink } from "./result_sink.ts";
import {
  checkpointModels,
  exampleObjective,
  requireInput,
  type ScoredModels,
  scoredName,
  tokenFolderFor,
  unigramModels,
} from "./scored_models.ts";

/** Everything that decides a bits-per-byte stage's results (checkpoint, tokens and fine-tuned decoders are inputs). */
export interface BpbSpec {
  /** "model": the `checkpoint` input (and `lmFinetuned:*`); "unigram": the reference of the `tokens` input. */
  scorer: "model" | "unigram";
  /** Score only the first N documents of the valid split (null: all). */
  limitDocuments: number | null;
  /** Most tokens per forward pass. */
  maxTokens: number;
  backend: string;
}

/** The result-row task and metric. */
export const BPB_TASK = "bpb";
export const BPB_METRIC = "bits_per_byte";

/**
 * The stage. Inputs: `tokens` (the token folder whose valid split is scored; for "model", default: the
 * one the checkpoint was trained on), and for "model" `checkpoint`, `tokenizer`, `lmFinetuned:*`.
 */
export const stage: Stage<BpbSpec> = {
  kind: "bpb",
  module: import.meta.url,
  isolate: true,
  async run(spec, io) {
    const scored: ScoredModels = spec.scorer === "unigram"
      ? await unigramModels(requireInput(io.inputs, "tokens"))
      : await checkpointModels(io.inputs, "bits per byte");
    if (scored.arch !== "decoder") {
      throw new InputError(
        `bits per byte needs a decoder, but the checkpoint is an ${scored.arch}`,
        io.inputs.checkpoint,
      );
    }
    const tokensDir = io.inputs.tokens ?? scored.tokensDir;
    const manifest = await tokenFolderFor(tokensDir, scored.tokenizerSha256);
    const split = await openTokenFolderSplit(tokensDir, "valid");
    const allDocs = splitDocuments(split.read(0, split.length), manifest.eot);
    const manifestFile = join(tokensDir, "manifest.json");
    if (allDocs.length !== manifest.splits.valid.documents) {
      throw new InputError(
        `the valid split holds ${allDocs.length} end-of-text ids, the manifest says ${manifest.splits.valid.documents} documents`,
        manifestFile,
      );
    }
    const utf8 = new TextEncoder();
    const allBytes = allDocs.map((d) => utf8.encode(scored.tokenizer.decode(d)).length);
    const recorded = (manifest.corpus as { splits?: { valid?: { bytes?: unknown } } }).splits?.valid?.bytes;
    const decoded = allBytes.reduce((a, b) => a + b, 0);
    if (typeof recorded === "number" && recorded !== decoded) {
      throw new InputError(
        `the valid split's tokens decode to ${decoded} UTF-8 bytes, but its text had ${recorded}: the tokenizer ` +
          `does not give the text back, so bits per byte cannot be computed`,
        manifestFile,
      );
    }
    const limit = spec.limitDocuments ?? allDocs.length;
    const docs = allDocs.slice(0, limit);
    const bytes = allBytes.slice(0, limit);
    const byteTotal = bytes.reduce((a, b) => a + b, 0);
    const tokenTotal = docs.reduce((a, d) => a + d.length, 0);

    if (spec.scorer === "model") await initBackend(spec.backend);
    const sink = new ResultSink(io.out);
    for (const [k, entry] of scored.models.entries()) {
      const t0 = performance.now();
      const model = entry.load ? await entry.load() : null;
      try {
        const scorer: DocumentScorer = model === null
          ? unigramDocumentScorer(entry.unigram!)
          : causalDocumentScorer(model, manifest.eot);
        const ll = scorer.score(docs, {
          maxTokens: spec.maxTokens,
          onProgress: (done, total) => io.progress.fraction((k + done / total) / scored.models.length),
        });
        const seconds = (performance.now() - t0) / 1000;
        const task = BPB_TASK + entry.suffix;
        const value = bitsPerByte(ll.reduce((a, v) => a + v, 0), byteTotal);
        sink.push({
          ...entry.columns,
          task,
          metric: BPB_METRIC,
          value,
          split: "valid",
          examples: docs.length,
          policy: "",
          scored_tokens: tokenTotal,
          bytes: byteTotal,
          eval_seconds: seconds,
          tokens_per_second: Number((tokenTotal / seconds).toFixed(1)),
        });
        sink.addExamples(
          {
            task,
            seed: Number(entry.columns.seed),
            split: "valid",
            objective: exampleObjective(entry),
          },
          Array.from(ll, (v, i) => ({ loglik: v, count: bytes[i] })),
        );
        await sink.flush();
        io.progress.say(
          `${task} (${scoredName(entry)}, seed ${entry.columns.seed}, ${docs.length} documents, ${tokenTotal} ` +
            `tokens, ${byteTotal} bytes): ${value.toFixed(4)} bits per byte (${seconds.toFixed(1)} s)`,
        );
      } finally {
        model?.dispose();
      }
    }
    await sink.writeSeedSummary();
    return { rows: sink.rows.length, documents: docs.length, tokens: tokenTotal, bytes: byteTotal, notes: sink.notes };
  },
};
