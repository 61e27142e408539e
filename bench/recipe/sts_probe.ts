/**
 * A zero-shot probe of an encoder checkpoint for the recipe sweep (notes/recipe.md), forward passes only:
 * each sentence of a sentence-pair regression task (the held-out STS-B split) is encoded alone as
 * `[CLS] text [SEP]`, its final hidden states mean-pooled over its tokens, and the Spearman correlation
 * of the pairs' cosine similarities with the gold scores is printed. It costs about 1/20 of a
 * fine-tuning run, so every budget-fraction checkpoint of every sweep run can be probed.
 *
 *   deno run -A bench/recipe/sts_probe.ts --checkpoint runs/recipe/pt/RUN/ckpt/frac-1 \
 *     --tokenizer runs/recipe/tok-english-8k/tokenizer.json --task runs/recipe/heldout/stsb/spec.json
 */
import * as tf from "@tensorflow/tfjs";
import { dirname } from "node:path";
import { loadExamples, loadTaskSpec } from "../../data/task_spec.ts";
import { describeCheckpoint, loadCheckpointModel } from "../../evals/checkpoint_check.ts";
import { encodeExample, padBatch } from "../../evals/finetune_glue.ts";
import { spearman } from "../../evals/metrics.ts";
import { initBackend } from "../../backends/mod.ts";
import type { Model } from "../../models/transformer.ts";
import { loadAnyTokenizer } from "../../tokenizer/load_any.ts";
import { parseFlags, requiredFlag, runMain } from "../../util/cli.ts";
import { InputError } from "../../util/errors.ts";

const FLAGS = {
  checkpoint: { type: "string", help: "encoder checkpoint folder (required)" },
  tokenizer: { type: "string", help: "tokenizer.json (required)" },
  task: { type: "string", help: "sentence-pair regression task spec.json (required)" },
  split: { type: "string", default: "dev", help: "split scored" },
} as const;

/** Mean of the final hidden states over each row's real tokens: [rows, d]. */
export function meanPooled(model: Model, rows: Int32Array[]): Float32Array[] {
  const out: Float32Array[] = new Array(rows.length);
  const order = rows.map((_, i) => i).sort((a, b) => rows[a].length - rows[b].length);
  for (let s = 0; s < order.length; s += 64) {
    const b = padBatch(rows, order.slice(s, s + 64));
    const h = tf.tidy(() => model.hidden(b.tokens, b.batch, b.seqLen, b.padMask));
    const data = h.dataSync() as Float32Array;
    h.dispose();
    const d = data.length / (b.batch * b.seqLen);
    b.indices.forEach((i, r) => {
      const v = new Float32Array(d);
      const n = rows[i].length;
      for (let t = 0; t < n; t++) for (let k = 0; k < d; k++) v[k] += data[(r * b.seqLen + t) * d + k] / n;
      out[i] = v;
    });
  }
  return out;
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(a: Float32Array, b: Float32Array): number {
  let [ab, aa, bb] = [0, 0, 0];
  for (let k = 0; k < a.length; k++) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

async function main() {
  const { values: v } = parseFlags("bench/recipe/sts_probe", FLAGS);
  const taskFile = requiredFlag("task", v.task);
  const spec = await loadTaskSpec(taskFile);
  if (spec.labels.type !== "regression") throw new InputError(`expected a regression task`, taskFile);
  const { examples } = await loadExamples(spec, v.split as string, dirname(taskFile));
  const pairs = examples.filter((e) => e.textB !== undefined);
  await initBackend("auto");
  const summary = await describeCheckpoint(requiredFlag("checkpoint", v.checkpoint));
  const model = await loadCheckpointModel(summary);
  const { tokenizer } = await loadAnyTokenizer(requiredFlag("tokenizer", v.tokenizer));
  const tok = { encode: (s: string) => tokenizer.encode(s) };
  const max = summary.config.context;
  const a = meanPooled(model, pairs.map((e) => encodeExample(tok, e.textA, undefined, max)));
  const b = meanPooled(model, pairs.map((e) => encodeExample(tok, e.textB!, undefined, max)));
  const sims = pairs.map((_, i) => cosine(a[i], b[i]));
  const rho = spearman(sims, pairs.map((e) => e.label));
  console.log(`${summary.dir}\t${summary.meta.counters.tokens}\t${(100 * rho).toFixed(2)}`);
  model.dispose();
}

if (import.meta.main) await runMain(main);
