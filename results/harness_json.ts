/**
 * results.json: the results in the shape lm-evaluation-harness writes its own in, one document per model
 * (a checkpoint: arch, model, objective, design, budget fraction), so that tools reading the harness's files
 * can read ours: `results` per task with each metric and `<metric>_stderr`, `versions`, `n-samples`,
 * `higher_is_better` and `config`. A task key is the task with its setup, language, split and epoch policy
 * ("rte/dev/best-epoch", "xnli/en/ar/dev/best-epoch"); metric names are the rows' (results/vocabulary.ts).
 * Values are means over replicates; stderr is the bootstrap standard error over replicates and examples
 * (null where nothing varies).
 */
import type { ResultRow } from "./rows.ts";
import { higherIsBetter } from "./vocabulary.ts";

/**
 * One (checkpoint, task, metric, policy): its mean, standard error and what it was measured on (a result
 * row's fields less the replicate's seeds, the value, the backend and the details).
 */
export interface HarnessEntry extends Omit<ResultRow, "pretrain_seed" | "seed" | "value" | "backend" | "details"> {
  mean: number;
  stderr: number;
  /** Replicates ("pretrain_seed/seed"). */
  seeds: string[];
}

/** The format name written into results.json. */
export const HARNESS_FORMAT = "headless-bench-results/1";

/** The task key of an entry (see the module comment). */
export function harnessTaskKey(e: Pick<HarnessEntry, "task" | "setup" | "lang" | "split" | "policy">): string {
  return [e.task, e.setup, e.lang, e.split, e.policy].filter((p) => p !== "").join("/");
}

type Doc = {
  model_name: string;
  config: Record<string, unknown>;
  results: Record<string, Record<string, string | number | null>>;
  versions: Record<string, number>;
  "n-samples": Record<string, { original: number | null; effective: number | null }>;
  higher_is_better: Record<string, Record<string, boolean>>;
};

/** results.json's object: `config` (what made the report) and one harness-shaped document per model. */
export function harnessResults(entries: readonly HarnessEntry[], config: Record<string, unknown>): unknown {
  const docs = new Map<string, Doc>();
  for (const e of entries) {
    const name = [e.arch, e.model, e.objective, e.design, `fraction ${e.fraction}`].filter(Boolean).join(" ");
    if (!docs.has(name)) {
      docs.set(name, {
        model_name: name,
        config: {
          arch: e.arch,
          model: e.model,
          objective: e.objective,
          design: e.design,
          fraction: e.fraction,
          pretraining_flops: e.flops,
          pretraining_tokens: e.tokens,
        },
        results: {},
        versions: {},
        "n-samples": {},
        higher_is_better: {},
      });
    }
    const doc = docs.get(name)!;
    const key = harnessTaskKey(e);
    doc.results[key] ??= { alias: key };
    doc.results[key][e.metric] = e.mean;
    doc.results[key][`${e.metric}_stderr`] = Number.isFinite(e.stderr) ? e.stderr : null;
    doc.results[key].seeds = e.seeds.join(" ");
    doc.versions[key] = 1;
    doc["n-samples"][key] = { original: e.examples, effective: e.examples };
    doc.higher_is_better[key] = { ...doc.higher_is_better[key], [e.metric]: higherIsBetter(e.metric) };
  }
  return { format: HARNESS_FORMAT, config, models: [...docs.values()] };
}
