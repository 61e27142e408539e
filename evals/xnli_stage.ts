/**
 * The XNLI stage: an encoder checkpoint fine-tuned and scored in the paper's two setups (evals/xnli.ts):
 * `en` fine-tunes on English and scores every language zero-shot; `target` fine-tunes on each language's
 * translate-train set and scores that language (languages without one, e.g. hi, are noted and skipped).
 * Rows: tasks `xnli-en/<lang>` and `xnli-target/<lang>` (with `/test` for the test split), metric
 * `accuracy`, policies best-epoch and last-epoch. Averages over languages are left to reports/xnli_table.ts.
 */
import type { Stage } from "../artifacts/stage.ts";
import { initBackend } from "../backends/mod.ts";
import { formatDuration } from "../util/format.ts";
import { loadCheckpointModel, modelFromSnapshot, modelSnapshot } from "./checkpoint_check.ts";
import { type CheckpointColumns, checkpointColumns, openCheckpoint, REFERENCE_COLUMNS } from "./eval_run.ts";
import { meanStd } from "./finetune_glue.ts";
import type { FinetuneSettings } from "./glue_stage.ts";
import { MAJORITY, majorityPredictions } from "./majority.ts";
import { accuracy } from "./metrics.ts";
import { ResultSink, type Row } from "./result_sink.ts";
import {
  finetuneOnEnglish,
  finetunePerLanguage,
  loadXnliData,
  missingTrainNote,
  XNLI_METRIC,
  XNLI_TASK,
  type XnliData,
  type XnliEvalSplit,
  type XnliSetup,
  type XnliSetupResult,
} from "./xnli.ts";

/** Everything that decides an XNLI stage's results (checkpoint and tokenizer are inputs). */
export interface XnliSpec {
  setups: XnliSetup[];
  langs: string[];
  split: XnliEvalSplit;
  seeds: number[];
  /** maxTrain: at most this many training examples per language (null: all 15,001). */
  finetune: FinetuneSettings;
  /** Score a fixed seeded subset of at most this many examples per language (null: all). */
  maxEval: number | null;
  /** sha256 of every XNLI file read, by cache-relative path. */
  data: Record<string, string>;
  backend: string;
}

/** Result rows of one setup and seed. */
function resultRows(result: XnliSetupResult, base: CheckpointColumns, loss: string): Row[] {
  return result.scores.map((s) => ({
    ...base,
    seed: s.seed,
    task: XNLI_TASK,
    setup: s.setup,
    lang: s.lang,
    split: s.split,
    examples: s.evalExamples,
    metric: XNLI_METRIC,
    value: s.value,
    policy: s.policy,
    epoch: s.epoch,
    train_lang: s.trainLang,
    finetune_loss: loss,
    train_examples: s.trainExamples,
    finetune_steps: s.steps,
    finetune_flops: s.finetuneFlops,
    eval_seconds: s.finetuneSeconds,
  }));
}

/** The per-example predictions of one setup and seed, best and last epoch, of every scored language. */
function addPredictions(sink: ResultSink, result: XnliSetupResult, data: XnliData): void {
  for (const { result: run } of result.runs) {
    const { labels, best, last } = run.predictions;
    for (const lang of Object.keys(labels).filter((l) => l in data.eval)) {
      for (const [policy, predictions] of [["best-epoch", best[lang]], ["last-epoch", last[lang]]] as const) {
        const of = { task: XNLI_TASK, seed: result.seed, policy, setup: result.setup, lang, split: data.split };
        sink.addExamples(of, labels[lang].map((label, i) => ({ prediction: predictions[i], label })));
      }
    }
  }
}

/**
 * The majority-class reference of a setup (contracts 3): the fine-tuning language's most frequent training
 * label predicted on each scored language.
 */
function pushMajority(sink: ResultSink, setup: XnliSetup, data: XnliData, base: CheckpointColumns): void {
  for (const [lang, examples] of Object.entries(data.eval)) {
    const train = data.train[setup === "en" ? "en" : lang];
    if (!train) continue;
    const labels = examples.map((e) => e.label);
    const predictions = majorityPredictions(train.map((e) => e.label), { [lang]: labels })[lang];
    const of = { task: XNLI_TASK, setup, lang, split: data.split };
    sink.push({
      ...base,
      ...REFERENCE_COLUMNS,
      objective: MAJORITY,
      ...of,
      examples: labels.length,
      metric: XNLI_METRIC,
      value: accuracy(predictions, labels),
      policy: "",
    });
    sink.addExamples(
      { ...of, seed: 0, objective: MAJORITY },
      labels.map((label, i) => ({ prediction: predictions[i], label })),
    );
  }
}

/** "ar 34.10 ± 0.52, de ..." over seeds, for the log. */
function languageLine(results: XnliSetupResult[], policy: string): string {
  const byLang = new Map<string, number[]>();
  for (const r of results) {
    for (const s of r.scores) if (s.policy === policy) byLang.set(s.lang, [...(byLang.get(s.lang) ?? []), s.value]);
  }
  return [...byLang].map(([lang, values]) => {
    const m = meanStd(values);
    return `${lang} ${(100 * m.mean).toFixed(2)}${values.length > 1 ? ` ± ${(100 * m.std).toFixed(2)}` : ""}`;
  }).join(", ");
}

/** The stage. Inputs: `checkpoint` (an encoder checkpoint folder) and `tokenizer` (its tokenizer.json). */
export const stage: Stage<XnliSpec> = {
  kind: "xnli",
  module: import.meta.url,
  isolate: true,
  async run(spec, io) {
    const { summary, tokenizer } = await openCheckpoint(
      io.inputs.checkpoint,
      io.inputs.tokenizer,
      "encoder",
      "XNLI fine-tuning",
    );
    const data = new Map<XnliSetup, Awaited<ReturnType<typeof loadXnliData>>>();
    for (const setup of spec.setups) {
      data.set(
        setup,
        await loadXnliData(setup, spec.langs, spec.split, io.cacheDir, { maxEval: spec.maxEval ?? undefined }),
      );
    }
    const missingTrain = data.get("target")?.missingTrain ?? [];
    if (spec.setups.includes("target")) io.progress.say(`target setup: ${missingTrainNote(missingTrain)}`);
    await initBackend(spec.backend);
    const sink = new ResultSink(io.out);
    const base = await checkpointColumns(summary);
    const loaded = await loadCheckpointModel(summary);
    const snapshot = modelSnapshot(loaded);
    loaded.dispose();
    const fresh = () => modelFromSnapshot(summary.config, snapshot);
    const f = spec.finetune;
    const work = spec.setups.length * spec.seeds.length;
    let done = 0;
    const epochLog =
      (setup: string, lang: string, seed: number) =>
      (e: { epoch: number; trainLoss: number; scores: Record<string, number>; seconds: number }) =>
        console.error(
          `${setup}/${lang} seed ${seed} epoch ${e.epoch}/${f.epochs}: train loss ${e.trainLoss.toFixed(4)}, ` +
            Object.entries(e.scores).map(([k, x]) => `${k} ${(100 * x).toFixed(2)}`).join(", ") +
            ` (${formatDuration(e.seconds)})`,
        );
    for (const setup of spec.setups) {
      const setupData = data.get(setup)!;
      pushMajority(sink, setup, setupData, base);
      const results: XnliSetupResult[] = [];
      for (const seed of spec.seeds) {
        const options = {
          ...f,
          maxTrain: f.maxTrain ?? undefined,
          seed,
          onEpoch: epochLog(setup, setup === "en" ? "en" : "*", seed),
        };
        let result: XnliSetupResult;
        if (setup === "en") {
          const model = fresh();
          try {
            result = finetuneOnEnglish(model, tokenizer, setupData, options);
          } finally {
            model.dispose();
          }
        } else {
          result = finetunePerLanguage(fresh, tokenizer, setupData, options, (lang, r) =>
            console.error(
              `target/${lang} seed ${seed}: best epoch ${r.best.epoch} ${
                (100 * r.best.scores[XNLI_METRIC]).toFixed(2)
              } (${formatDuration(r.seconds)})`,
            ));
        }
        results.push(result);
        for (const row of resultRows(result, base, f.loss)) sink.push(row);
        addPredictions(sink, result, setupData);
        await sink.flush();
        io.progress.fraction(++done / work);
      }
      for (const policy of ["best-epoch", "last-epoch"]) {
        io.progress.say(
          `xnli-${setup} ${spec.split} (${policy}, ${spec.seeds.length} seeds): ${languageLine(results, policy)}`,
        );
      }
    }
    await sink.writeSeedSummary();
    return {
      rows: sink.rows.length,
      notes: sink.notes,
      missingTrain: spec.setups.includes("target")
        ? { languages: missingTrain, note: missingTrainNote(missingTrain) }
        : null,
      evalExamples: Object.fromEntries(
        [...data].map(([setup, d]) => [
          setup,
          Object.fromEntries(Object.entries(d.eval).map(([l, ex]) => [l, `${ex.length}/${d.evalAvailable[l]}`])),
        ]),
      ),
    };
  },
};
