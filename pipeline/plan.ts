/**
 * A profile -> the list of stages: tokenize, then pretrain {encoder, decoder} x objectives x seeds at
 * one FLOP budget per architecture (matched FLOPs), then per run and checkpoint fraction GLUE
 * fine-tuning (encoders, one stage per task) or LAMBADA with the LM-head fine-tune (decoders).
 */
import { join } from "node:path";
import { defaultCorpus, type Document } from "../data/corpus.ts";
import { LAMBADA_PATH } from "../data/lambada.ts";
import { hasTrainFile } from "../evals/xnli_tasks.ts";
import { loadModelConfig, type ModelConfig, stepFlops } from "../models/mod.ts";
import { corpusSha256, tokenizeCorpus } from "../tokenizer/pipeline.ts";
import { fractionDirName } from "../train/loop.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { runChild } from "./child.ts";
import { glueFiles } from "./data_needs.ts";
import { MULTILINGUAL_TOKENIZE_ID, multilingualCorpusStage, type MultilingualSources } from "./multilingual.ts";
import type { ArchProfile, MultilingualProfile, Profile } from "./profile.ts";
import type { PretrainSpec } from "./pretrain_worker.ts";
import type { Stage } from "./stage.ts";

/** Scored share of an encoder row (BERT masking), for planning only. */
const MASK_RATE = 0.15;

/** LAMBADA passages in the OpenAI test file. */
const LAMBADA_PASSAGES = 5153;

/** What planning needs besides the profile. */
export interface PlanContext {
  profile: Profile;
  /** The backend in use (resolved from the profile's, e.g. "wasm-blas"). */
  backend: string;
  cacheDir: string;
  /** GLUE tasks to run (the profile's list, "all-in-cache" expanded). */
  glueTasks: string[];
  /** sha256 of every cache file read, by cache-relative path. */
  dataHashes: Record<string, string>;
  /** Example counts of GLUE train files (for the ETA), by task. */
  glueTrainExamples: Record<string, number>;
  /** Example counts of GLUE dev files, by task. */
  glueDevExamples: Record<string, number>;
  /** The corpus slice and its hash. */
  corpus: { documents: Document[]; sha256: string; bytes: number };
  /** Where the multilingual sources are and what they hold (when the profile has a multilingual section). */
  multilingual?: MultilingualSources;
}

/** One pretraining run of the plan, with its budget worked out. */
export interface PlannedRun {
  /** The text it trains on: the default (English) corpus or the multilingual one. */
  corpus: "default" | "multilingual";
  arch: "encoder" | "decoder";
  objective: "softmax" | "cwt";
  seed: number;
  config: ModelConfig;
  settings: ArchProfile;
  budgetFlops: number;
  flopsPerToken: number;
  tokens: number;
  steps: number;
}

/** Picks `max` documents spread evenly over the corpus (all of them when max is null). */
export function sliceDocuments(docs: readonly Document[], max: number | null): Document[] {
  if (max === null || max >= docs.length) return [...docs];
  return Array.from({ length: max }, (_, i) => docs[Math.floor((i * docs.length) / max)]);
}

/** Reads the default corpus and takes the profile's slice. */
export async function loadCorpusSlice(profile: Profile): Promise<PlanContext["corpus"]> {
  const all: Document[] = [];
  for await (const d of defaultCorpus()) all.push(d);
  const documents = sliceDocuments(all, profile.corpus.maxDocuments);
  const bytes = documents.reduce((n, d) => n + new TextEncoder().encode(d.text).length, 0);
  return { documents, sha256: await corpusSha256(documents), bytes };
}

/** Model config of an architecture at the profile's vocabulary size. */
export function archConfig(profile: Profile, arch: "encoder" | "decoder"): ModelConfig {
  return configOf(profile.pretrain[arch]!, arch, profile.tokenizer.vocabSize);
}

function configOf(a: ArchProfile, arch: "encoder" | "decoder", vocabSize: number): ModelConfig {
  return loadModelConfig(a.model, { ...a.overrides, arch, vocabSize } as Partial<ModelConfig>);
}

/** The runs of one architecture: every objective and seed at one budget (matched FLOPs). */
function budgetedRuns(
  corpus: PlannedRun["corpus"],
  arch: "encoder" | "decoder",
  a: ArchProfile,
  vocabSize: number,
  objectives: readonly ("softmax" | "cwt")[],
  seeds: readonly number[],
): PlannedRun[] {
  const config = configOf(a, arch, vocabSize);
  const scored = arch === "decoder" ? a.batch * a.seqLen : Math.round(MASK_RATE * a.batch * (a.seqLen - 2));
  const shape = { batch: a.batch, seqLen: a.seqLen, scored };
  const budgetFlops = a.budgetFlops ?? a.budgetSoftmaxTokens! * stepFlops(config, "softmax", shape).perToken;
  return objectives.flatMap((objective) => {
    const perToken = stepFlops(config, objective, shape).perToken;
    const tokens = budgetFlops / perToken;
    return seeds.map((seed) => ({
      corpus,
      arch,
      objective,
      seed,
      config,
      settings: a,
      budgetFlops,
      flopsPerToken: perToken,
      tokens,
      steps: Math.ceil(tokens / (a.batch * a.seqLen * a.accum)),
    }));
  });
}

/** The pretraining runs with their budgets: one budget per architecture (and corpus) for every objective. */
export function plannedRuns(profile: Profile): PlannedRun[] {
  const { pretrain, tokenizer, multilingual: m } = profile;
  return [
    ...(["encoder", "decoder"] as const).flatMap((arch) =>
      pretrain[arch]
        ? budgetedRuns("default", arch, pretrain[arch]!, tokenizer.vocabSize, pretrain.objectives, pretrain.seeds)
        : []
    ),
    ...(m
      ? budgetedRuns("multilingual", "encoder", m.encoder, m.tokenizer.vocabSize, pretrain.objectives, m.seeds)
      : []),
  ];
}

/** What starts the label of a run on the multilingual corpus. */
export const MULTILINGUAL_RUN_PREFIX = "multilingual-";

/** The label of a run: "encoder-cwt-s0", "multilingual-encoder-cwt-s0". */
export const runLabel = (r: { corpus?: PlannedRun["corpus"]; arch: string; objective: string; seed: number }) =>
  `${r.corpus === "multilingual" ? MULTILINGUAL_RUN_PREFIX : ""}${r.arch}-${r.objective}-s${r.seed}`;

/** Parses "... 45.2% of 1.00e+12 FLOPs ..." from a pretraining progress line. */
function pretrainFraction(line: string): number | undefined {
  const m = line.match(/\| ([\d.]+)% of /);
  return m ? Number(m[1]) / 100 : undefined;
}

/** The stage id of the default corpus's tokenizer and shards. */
export const DEFAULT_TOKENIZE_ID = "tokenize/corpus";

/** Folder names inside a finished stage folder. */
export const STAGE_OUTPUT = { tokens: "tokens", run: "run", eval: "eval" } as const;

/** The stages of a profile, in the order they run. */
export function planStages(ctx: PlanContext): Stage[] {
  const { profile, backend } = ctx;
  const stages: Stage[] = [];
  if (profile.pretrain.encoder || profile.pretrain.decoder) {
    stages.push({
      id: DEFAULT_TOKENIZE_ID,
      kind: "tokenize",
      run: "corpus",
      settings: {
        corpus: { sha256: ctx.corpus.sha256, documents: ctx.corpus.documents.length },
        tokenizer: profile.tokenizer,
      },
      inputs: [],
      estimateSeconds: 3 + ctx.corpus.bytes / 400_000,
      async execute({ dir, say }) {
        const t = profile.tokenizer;
        const stats = await tokenizeCorpus({
          docs: ctx.corpus.documents,
          vocabSize: t.vocabSize,
          seed: t.seed,
          validFraction: t.validFraction,
          maxTrainBytes: t.maxTrainBytes ?? Infinity,
          outDir: join(dir, STAGE_OUTPUT.tokens),
          corpusInfo: { source: "default corpus", documents: ctx.corpus.documents.length, sha256: ctx.corpus.sha256 },
        });
        say(
          `tokenized ${ctx.corpus.documents.length} documents: train ${stats.splits.train.tokens} tokens, valid ${stats.splits.valid.tokens}, vocab ${stats.vocabSize}`,
        );
      },
    });
  }
  const m = profile.multilingual;
  if (m) {
    if (!ctx.multilingual) {
      throw new Error("planStages: a multilingual profile needs ctx.multilingual (prepareMultilingualSources)");
    }
    stages.push(multilingualCorpusStage(m, ctx.multilingual, STAGE_OUTPUT.tokens));
  }

  for (const run of plannedRuns(profile)) {
    const a = run.settings;
    const label = runLabel(run);
    const pretrainId = `pretrain/${label}`;
    const multilingual = run.corpus === "multilingual" ? m : null;
    const tokenizeId = multilingual ? MULTILINGUAL_TOKENIZE_ID : DEFAULT_TOKENIZE_ID;
    const fractions = multilingual ? multilingual.fractions : profile.pretrain.fractions;
    const spec = (dir: string, tokensDir: string): PretrainSpec => ({
      model: a.model,
      overrides: a.overrides as Partial<ModelConfig>,
      arch: run.arch,
      backend,
      objective: run.objective,
      tokensDir,
      budgetFlops: run.budgetFlops,
      batch: a.batch,
      accum: a.accum,
      seqLen: a.seqLen,
      lr: a.lr,
      warmupFrac: a.warmupFrac,
      schedule: a.schedule,
      lrFloorFrac: a.lrFloorFrac,
      weightDecay: a.weightDecay,
      beta1: 0.9,
      beta2: a.beta2,
      eps: 1e-8,
      clip: a.clip,
      seed: run.seed,
      evalBatches: a.evalBatches,
      fractions,
      outDir: join(dir, STAGE_OUTPUT.run),
      logEvery: Math.max(1, Math.floor(run.steps / 50)),
      ckptEvery: a.ckptEvery,
    });
    stages.push({
      id: pretrainId,
      kind: "pretrain",
      run: label,
      // The spec minus the paths (inputs stand for them) and the logging cadence.
      settings: (({ tokensDir: _t, outDir: _o, logEvery: _l, ...s }) => s)(spec("", "")),
      inputs: [tokenizeId],
      estimateSeconds: 8 + run.budgetFlops / profile.speed.pretrainFlopsPerSecond,
      resumable: true,
      async execute({ dir, inputs, progress }) {
        const specPath = join(dir, "pretrain_spec.json");
        await writeJsonAtomic(specPath, spec(dir, join(inputs[tokenizeId], STAGE_OUTPUT.tokens)));
        await runChild({
          script: "pipeline/pretrain_worker.ts",
          args: [specPath],
          dir,
          onLine: (l) => {
            const f = pretrainFraction(l);
            if (f !== undefined) progress(f);
          },
        });
      },
    });

    for (const fraction of fractions) {
      const ckpt = (inputs: Record<string, string>) =>
        join(inputs[pretrainId], STAGE_OUTPUT.run, "ckpt", fractionDirName(fraction));
      /** One evaluation of this checkpoint: `script --checkpoint CKPT ...args` with the backend, cache and output folder. */
      const evaluate = (
        name: string,
        script: string,
        settings: Record<string, unknown>,
        estimateSeconds: number,
        args: string[],
      ): Stage => ({
        id: `evaluate/${label}-f${fraction}-${name}`,
        kind: "evaluate",
        run: `${label} @${fraction} ${name}`,
        settings: { task: name, fraction, ...settings, backend },
        inputs: [pretrainId],
        estimateSeconds,
        async execute({ dir, inputs }) {
          await runChild({
            script,
            args: [
              "--checkpoint",
              ckpt(inputs),
              ...args,
              "--backend",
              backend,
              "--cache-dir",
              ctx.cacheDir,
              "--out",
              join(dir, STAGE_OUTPUT.eval),
            ],
            dir,
          });
        },
      });
      if (multilingual) {
        const x = multilingual.xnli;
        stages.push(evaluate(
          "xnli",
          "tasks/xnli.ts",
          { xnli: x, data: Object.fromEntries(Object.entries(ctx.dataHashes).filter(([f]) => f.startsWith("xnli/"))) },
          6 + xnliExamples(x) / profile.speed.glueExamplesPerSecond,
          [
            "--setup",
            x.setups.length === 2 ? "both" : x.setups[0],
            "--langs",
            x.langs.join(","),
            "--split",
            x.split,
            "--seeds",
            x.seeds.join(","),
            "--epochs",
            String(x.epochs),
            "--batch",
            String(x.batch),
            "--lr",
            String(x.lr),
            "--loss",
            x.loss,
            ...(x.maxTrain === null ? [] : ["--max-train", String(x.maxTrain)]),
            ...(x.maxEval === null ? [] : ["--max-eval", String(x.maxEval)]),
          ],
        ));
        continue;
      }
      if (run.arch === "encoder" && profile.glue) {
        const g = profile.glue;
        for (const task of ctx.glueTasks) {
          const files = Object.keys(ctx.dataHashes).filter((f) => glueFiles(task).includes(f));
          const train = Math.min(g.maxTrain ?? Infinity, ctx.glueTrainExamples[task] ?? 1000);
          const dev = ctx.glueDevExamples[task] ?? 1000;
          stages.push(evaluate(
            task,
            "tasks/evaluate.ts",
            {
              glue: { ...g, tasks: undefined, exclude: undefined },
              data: Object.fromEntries(files.map((f) => [f, ctx.dataHashes[f]])),
            },
            6 + (g.seeds.length * g.epochs * (train + dev)) / profile.speed.glueExamplesPerSecond,
            [
              "--tasks",
              task,
              "--seeds",
              g.seeds.join(","),
              "--epochs",
              String(g.epochs),
              "--batch",
              String(g.batch),
              "--lr",
              String(g.lr),
              "--loss",
              g.loss,
              ...(g.maxTrain === null ? [] : ["--max-train", String(g.maxTrain)]),
            ],
          ));
        }
      }
      if (run.arch === "decoder" && profile.lambada) {
        const l = profile.lambada;
        const passages = l.limit ?? LAMBADA_PASSAGES;
        const lmRuns = run.objective === "cwt" ? l.seeds.length : 0;
        stages.push(evaluate(
          "lambada",
          "tasks/evaluate.ts",
          { lambada: l, data: { [LAMBADA_PATH]: ctx.dataHashes[LAMBADA_PATH] } },
          6 + (passages * (1 + lmRuns)) / profile.speed.lambadaPassagesPerSecond +
            lmRuns * l.lmSteps * l.lmBatch * (l.lmSeqLen ?? run.config.context) * run.flopsPerToken /
              profile.speed.pretrainFlopsPerSecond,
          [
            "--tasks",
            "lambada",
            "--seeds",
            l.seeds.join(","),
            "--lm-steps",
            String(l.lmSteps),
            "--lm-batch",
            String(l.lmBatch),
            "--lm-lr",
            String(l.lmLr),
            ...(l.lmSeqLen === null ? [] : ["--lm-seq-len", String(l.lmSeqLen)]),
            ...(l.limit === null ? [] : ["--lambada-limit", String(l.limit)]),
          ],
        ));
      }
    }
  }
  return stages;
}

/** Examples an XNLI stage trains on and scores, for the ETA (training counted three times: forward and backward). */
function xnliExamples(x: MultilingualProfile["xnli"]): number {
  const train = x.maxTrain ?? 15_000;
  const evalPerLang = x.maxEval ?? (x.split === "dev" ? 2490 : 5010);
  const trainLangs = x.setups.reduce((n, s) => n + (s === "en" ? 1 : x.langs.filter(hasTrainFile).length), 0);
  const evalSets = x.setups.reduce(
    (n, s) => n + (s === "en" ? new Set(["en", ...x.langs]).size : x.langs.filter(hasTrainFile).length),
    0,
  );
  return x.seeds.length * x.epochs * (3 * train * trainLangs + evalPerLang * evalSets);
}
