/**
 * XNLI for an encoder checkpoint, in the paper's two setups (evals/xnli.ts):
 *
 *   deno run -A tasks/xnli.ts --checkpoint runs/pretrain/RUN/ckpt/frac-1 --setup both --langs paper --seeds 0,1,2
 *   deno run -A tasks/xnli.ts --checkpoint RUN --setup en --langs all --max-train 2000 --epochs 3 --split test
 *
 * `--setup en` fine-tunes on English and scores every language in `--langs` zero-shot; `--setup target`
 * fine-tunes on each language's translate-train set and scores that language (languages without one,
 * e.g. hi, are reported and skipped); `both` runs the two. The output folder holds results.csv (the row
 * format of reports/rows.ts plus detail columns; tasks `xnli-en/<lang>` and `xnli-target/<lang>`, with
 * `/test` appended for the test split; metric `accuracy`; policies best-epoch and last-epoch),
 * timings.csv (seconds per fine-tuning run) and xnli.json (settings, languages skipped for lack of a
 * train file). It is written under a temporary name and renamed into place when everything is done.
 * Averages over languages are not written here: reports/xnli_table.ts derives them per seed.
 */
import { join } from "node:path";
import { resolveCacheDir } from "../data/cache.ts";
import type { ClassificationLossName } from "../evals/balanced_ce.ts";
import { loadCheckpointModel, modelFromSnapshot, modelSnapshot } from "../evals/checkpoint_check.ts";
import { checkpointColumns, claimEvalOutput, openCheckpoint } from "../evals/eval_run.ts";
import { GLUE_PROTOCOLS, meanStd } from "../evals/finetune_glue.ts";
import {
  finetuneOnEnglish,
  finetunePerLanguage,
  loadXnliData,
  missingTrainNote,
  PAPER_XNLI_LANGUAGES,
  parseXnliLanguages,
  XNLI_METRIC,
  XNLI_SETUPS,
  type XnliEvalSplit,
  type XnliFinetuneOptions,
  type XnliSetup,
  type XnliSetupResult,
} from "../evals/xnli.ts";
import { initBackend } from "../models/mod.ts";
import { RESULT_COLUMNS, writeCsvAtomic } from "../reports/rows.ts";
import { formatDuration } from "../train/log.ts";
import { integerFlag, numberFlag, parseFlags, runMain, seedListFlag } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";

const SPEC = {
  checkpoint: {
    type: "string",
    help: "encoder checkpoint folder (ckpt/frac-F) or pretraining run folder (its newest checkpoint) (required)",
  },
  tokenizer: { type: "string", help: "tokenizer.json (default: the one in the checkpoint's token folder)" },
  setup: {
    type: "string",
    default: "both",
    help: "en (fine-tune on English, zero-shot elsewhere) | target (fine-tune per language) | both",
  },
  langs: {
    type: "string",
    default: "paper",
    help: `comma list of XNLI languages, or paper (${PAPER_XNLI_LANGUAGES.join(",")}) or all`,
  },
  split: { type: "string", default: "dev", help: "dev | test: the split scored" },
  seeds: { type: "string", default: "0,1,2", help: "fine-tuning seeds, comma separated" },
  loss: {
    type: "string",
    default: "balanced",
    help: "balanced | plain (classification loss; picks the protocol's defaults)",
  },
  epochs: { type: "string", help: "epochs (default 10)" },
  "max-train": {
    type: "string",
    help: "train on a seeded subset of at most N examples per language (default all 15,001)",
  },
  "max-eval": {
    type: "string",
    help: "score a fixed seeded subset of at most N examples per language (smoke runs; default all)",
  },
  lr: { type: "string", help: "peak learning rate (default: balanced 1e-5, plain 5e-6)" },
  "weight-decay": { type: "string", help: "AdamW weight decay (default: balanced 0, plain 0.01)" },
  batch: { type: "string", help: "training batch (default 32)" },
  "eval-batch": { type: "string", default: "64", help: "examples per evaluation forward pass" },
  "cache-dir": {
    type: "string",
    help: "evaluation-data cache folder (default $HEADLESS_BENCH_DATA, else ~/.cache/headless-bench/data)",
  },
  out: { type: "string", help: "output folder (default runs/xnli/<model>-<objective>-<settings hash>)" },
  backend: { type: "string", default: "auto", help: "auto | tensorflow | wasm | cpu" },
} as const;

/** Detail columns written after the standard result columns. */
const DETAIL_COLUMNS = [
  "epoch",
  "pretrain_seed",
  "model",
  "checkpoint",
  "split",
  "train_lang",
  "finetune_loss",
  "train_examples",
  "eval_examples",
  "finetune_steps",
  "finetune_flops",
  "finetune_seconds",
] as const;

/** Columns of timings.csv: one line per fine-tuning run. */
const TIMING_COLUMNS = [
  "setup",
  "train_lang",
  "seed",
  "seconds",
  "train_examples",
  "eval_examples",
  "steps",
  "epochs",
] as const;

type Row = Record<string, string | number>;

/** --setup: en, target or both. */
function parseSetups(value: string): XnliSetup[] {
  if (value === "both") return [...XNLI_SETUPS];
  if ((XNLI_SETUPS as readonly string[]).includes(value)) return [value as XnliSetup];
  throw new InputError(`--setup expects en, target or both, got ${JSON.stringify(value)}`);
}

/** Result rows of one setup and seed; a non-finite accuracy is reported and left out. */
function resultRows(result: XnliSetupResult, base: Row, loss: string): Row[] {
  return result.scores.flatMap((s) => {
    if (!Number.isFinite(s.value)) {
      console.error(`note: ${s.task} seed ${s.seed} ${s.policy} is ${s.value}; not written`);
      return [];
    }
    return [{
      ...base,
      seed: s.seed,
      task: s.task,
      metric: XNLI_METRIC,
      value: s.value,
      policy: s.policy,
      epoch: s.epoch,
      split: s.split,
      train_lang: s.trainLang,
      finetune_loss: loss,
      train_examples: s.trainExamples,
      eval_examples: s.evalExamples,
      finetune_steps: s.steps,
      finetune_flops: s.finetuneFlops,
      finetune_seconds: Number(s.finetuneSeconds.toFixed(3)),
    }];
  });
}

/** "ar 34.10 ± 0.52, de ..." over seeds, best-epoch, for the console. */
function consoleLine(results: XnliSetupResult[], policy: string): string {
  const byLang = new Map<string, number[]>();
  for (const r of results) {
    for (const s of r.scores) if (s.policy === policy) byLang.set(s.lang, [...(byLang.get(s.lang) ?? []), s.value]);
  }
  return [...byLang].map(([lang, values]) => {
    const m = meanStd(values);
    return `${lang} ${(100 * m.mean).toFixed(2)}${values.length > 1 ? ` ± ${(100 * m.std).toFixed(2)}` : ""}`;
  }).join(", ");
}

async function main() {
  const { values: v, positionals } = parseFlags("xnli", SPEC);
  if (positionals.length) {
    throw new InputError(`unexpected argument(s) ${positionals.join(" ")}; every input is a --flag`);
  }
  if (typeof v.checkpoint !== "string" || v.checkpoint === "") throw new InputError("--checkpoint is required");
  const setups = parseSetups(v.setup as string);
  const langs = parseXnliLanguages(v.langs as string);
  const split = v.split as string;
  if (split !== "dev" && split !== "test") {
    throw new InputError(`--split expects dev or test, got ${JSON.stringify(split)}`);
  }
  const loss = v.loss as ClassificationLossName;
  if (!Object.hasOwn(GLUE_PROTOCOLS, loss)) {
    throw new InputError(`--loss expects balanced or plain, got ${JSON.stringify(v.loss)}`);
  }
  const protocol = GLUE_PROTOCOLS[loss];
  const seeds = seedListFlag(v.seeds as string);
  const cacheDir = resolveCacheDir(v["cache-dir"] as string | undefined);
  const maxEval = v["max-eval"] === undefined ? undefined : integerFlag("max-eval", v["max-eval"], 1);
  const finetune = {
    loss,
    epochs: v.epochs === undefined ? protocol.epochs : integerFlag("epochs", v.epochs, 1),
    lr: v.lr === undefined ? protocol.lr : numberFlag("lr", v.lr),
    weightDecay: v["weight-decay"] === undefined ? protocol.weightDecay : numberFlag("weight-decay", v["weight-decay"]),
    batch: v.batch === undefined ? protocol.batch : integerFlag("batch", v.batch, 1),
    evalBatch: integerFlag("eval-batch", v["eval-batch"], 1),
    maxTrain: v["max-train"] === undefined ? undefined : integerFlag("max-train", v["max-train"], 1),
  };

  // The checkpoint and its tokenizer, checked before any work; then the data, before any training.
  const { summary, tokenizer, tokenizerFile, trained } = await openCheckpoint(
    v.checkpoint as string,
    v.tokenizer as string | undefined,
    "encoder",
    "XNLI fine-tuning",
  );
  const data = new Map<XnliSetup, Awaited<ReturnType<typeof loadXnliData>>>();
  for (const setup of setups) {
    data.set(setup, await loadXnliData(setup, langs, split as XnliEvalSplit, cacheDir, { maxEval }));
  }
  const missingTrain = data.get("target")?.missingTrain ?? [];
  if (setups.includes("target")) console.error(`target setup: ${missingTrainNote(missingTrain)}`);
  const backend = await initBackend(v.backend as string);

  const settings = {
    checkpoint: { tensorsSha256: summary.meta.tensorsSha256 },
    tokenizerSha256: trained.sha256,
    setups,
    langs,
    split,
    seeds,
    finetune,
    maxEval: maxEval ?? null,
    backend,
  };
  const { outDir, hash, tmpDir } = await claimEvalOutput(
    "xnli",
    `${summary.config.name}-${summary.objective}`,
    settings,
    v.out as string | undefined,
  );
  if (tmpDir === null) {
    console.log(`already evaluated with these settings: ${outDir}`);
    return;
  }
  console.error(
    `xnli: ${summary.config.name} (${summary.objective}) from ${summary.dir}, setups ${
      setups.join("+")
    }, ${split}, backend ${backend}, out ${outDir}`,
  );
  const startedAt = new Date().toISOString();
  const base = checkpointColumns(summary);
  const rows: Row[] = [];
  const timings: Row[] = [];
  const flush = async () => {
    await writeCsvAtomic(join(tmpDir, "results.csv"), [...RESULT_COLUMNS, ...DETAIL_COLUMNS], rows);
    await writeCsvAtomic(join(tmpDir, "timings.csv"), TIMING_COLUMNS, timings);
  };
  const loaded = await loadCheckpointModel(summary);
  const snapshot = modelSnapshot(loaded);
  loaded.dispose();
  const fresh = () => modelFromSnapshot(summary.config, snapshot);
  const epochLog =
    (setup: string, lang: string, seed: number) =>
    (e: { epoch: number; trainLoss: number; scores: Record<string, number>; seconds: number }) =>
      console.error(
        `${setup}/${lang} seed ${seed} epoch ${e.epoch}/${finetune.epochs}: train loss ${e.trainLoss.toFixed(4)}, ` +
          Object.entries(e.scores).map(([k, x]) => `${k} ${(100 * x).toFixed(2)}`).join(", ") +
          ` (${formatDuration(e.seconds)})`,
      );
  try {
    for (const setup of setups) {
      const setupData = data.get(setup)!;
      const results: XnliSetupResult[] = [];
      for (const seed of seeds) {
        const options: XnliFinetuneOptions = {
          ...finetune,
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
          result = finetunePerLanguage(
            fresh,
            tokenizer,
            setupData,
            options,
            (lang, r) =>
              console.error(
                `target/${lang} seed ${seed}: best epoch ${r.best.epoch} ${
                  (100 * r.best.scores[XNLI_METRIC]).toFixed(2)
                } (${formatDuration(r.seconds)})`,
              ),
          );
        }
        results.push(result);
        rows.push(...resultRows(result, base, loss));
        for (const { trainLang, result: r } of result.runs) {
          timings.push({
            setup,
            train_lang: trainLang,
            seed,
            seconds: Number(r.seconds.toFixed(3)),
            train_examples: r.trainExamples,
            eval_examples: Object.values(r.devExamples).reduce((a, b) => a + b, 0),
            steps: r.steps,
            epochs: r.epochs.length,
          });
        }
        await flush();
      }
      for (const policy of ["best-epoch", "last-epoch"]) {
        console.log(`xnli-${setup} ${split} (${policy}, ${seeds.length} seeds): ${consoleLine(results, policy)}`);
      }
    }
  } catch (e) {
    if (rows.length) console.error(`results so far are in ${tmpDir}`);
    else await Deno.remove(tmpDir, { recursive: true });
    throw e;
  }
  await writeJsonAtomic(join(tmpDir, "xnli.json"), {
    format: "headless-bench-xnli/1",
    settings,
    settingsHash: hash,
    checkpointDir: summary.dir,
    tokenizerFile,
    cacheDir,
    startedAt,
    endedAt: new Date().toISOString(),
    missingTrain: setups.includes("target") ? { languages: missingTrain, note: missingTrainNote(missingTrain) } : null,
    evalExamples: Object.fromEntries(
      [...data].map((
        [setup, d],
      ) => [
        setup,
        Object.fromEntries(Object.entries(d.eval).map(([l, ex]) => [l, `${ex.length}/${d.evalAvailable[l]}`])),
      ]),
    ),
  });
  await Deno.rename(tmpDir, outDir);
  console.log(`results: ${join(outDir, "results.csv")}`);
}

if (import.meta.main) await runMain(main);
