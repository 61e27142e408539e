/**
 * A profile -> the stages of a reproduction, each a typed spec for a library stage (artifacts/stage.ts):
 * tokenize (once per vocabulary size the designs use); pretrain per design, architecture, objective and
 * seed (pipeline/runs.ts works out the budgets); the random-init references (train/init_stage.ts) when
 * the profile asks; then per run and checkpoint fraction, GLUE fine-tuning (encoders, one stage per task)
 * or LAMBADA with the LM-head fine-tune (decoders); and the multilingual corpus, its encoders and XNLI when
 * the profile has that section. The specs are exactly what each stage hashes and runs.
 */
import { dirname, resolve } from "node:path";
import { corpusDocuments } from "../data/corpora.ts";
import type { CorpusDescription } from "../data/corpus_by_name.ts";
import { corpusFileList } from "../data/corpus_files.ts";
import type { Document } from "../data/corpus.ts";
import { LAMBADA_PATH } from "../data/lambada.ts";
import { type MultilingualCorpusSpec, stage as multilingualCorpusStage } from "../tokenizer/multilingual_stage.ts";
import { glueRun, type GlueSpec, runFiles, stage as glueStage } from "../evals/glue_stage.ts";
import type { GlueTask } from "../evals/glue_score.ts";
import { GLUE_PROTOCOLS } from "../evals/finetune_glue.ts";
import { type LambadaSpec, stage as lambadaStage } from "../evals/lambada_stage.ts";
import { type BlimpSpec, stage as blimpStage } from "../evals/blimp_stage.ts";
import { type BpbSpec, stage as bpbStage } from "../evals/bpb_stage.ts";
import { LM_FINETUNED_INPUT } from "../evals/scored_models.ts";
import { blimpTask } from "../data/blimp.ts";
import { stage as xnliStage, type XnliSpec } from "../evals/xnli_stage.ts";
import { hasTrainFile } from "../evals/xnli_tasks.ts";
import { isHeadless } from "../models/objective_names.ts";
import type { ModelConfig } from "../models/mod.ts";
import { corpusSha256 } from "../data/corpus.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";
import { stage as tokenizeStage, type TokenizeSpec } from "../tokenizer/tokenize_stage.ts";
import { type InitSpec, stage as initStage } from "../train/init_stage.ts";
import { fractionDirName } from "../train/loop.ts";
import { ADAMW_DEFAULTS } from "../train/optimizer_step.ts";
import { type PretrainSpec, stage as pretrainStage } from "../train/pretrain_stage.ts";
import { type RelabelSpec, stage as relabelStage } from "../results/relabel_stage.ts";
import { expectedScored } from "../models/masking.ts";
import { stepFlops } from "../models/flops.ts";
import { keyOf } from "../artifacts/hash.ts";
import type { Stage } from "../artifacts/stage.ts";
import { InputError } from "../util/errors.ts";
import { sha256File } from "../util/fs.ts";
import type { MultilingualSources } from "./multilingual.ts";
import type { BlimpProfile, MultilingualProfile, Profile } from "./profile.ts";
import { designVocab, type PlannedRun, plannedRuns, randomInitRuns, runLabel, runSpecFields } from "./runs.ts";

export {
  configOf,
  type Design,
  MULTILINGUAL_RUN_PREFIX,
  type PlannedRun,
  plannedRuns,
  type RandomInitRun,
  randomInitRuns,
  runLabel,
} from "./runs.ts";

/** LAMBADA passages in the OpenAI test file. */
const LAMBADA_PASSAGES = 5153;

/** An input of a planned stage: (a path inside) an earlier stage's artifact, or a folder with a known key. */
export type PlannedInput = { stage: string; path?: string } | { dir: string; key: string };

/** One stage of the plan. */
export interface PlannedStage<S = unknown> {
  /** Unique id, `kind/label`, e.g. "pretrain/encoder-cwt-s0". */
  id: string;
  /** The run within the kind; with the key, the folder name. */
  label: string;
  stage: Stage<S>;
  spec: S;
  inputs: Record<string, PlannedInput>;
  /** Seconds it should take at the profile's speeds (for the ETA). */
  estimateSeconds: number;
}

/** A planned stage of `stage` (keeps the spec's type tied to the stage's). */
function planned<S>(
  stage: Stage<S>,
  label: string,
  spec: S,
  inputs: Record<string, PlannedInput>,
  estimateSeconds: number,
): PlannedStage {
  return { id: `${stage.kind}/${label}`, label, stage: stage as Stage<unknown>, spec, inputs, estimateSeconds };
}

/** What planning needs besides the profile. */
export interface PlanContext {
  profile: Profile;
  /** The backend in use (resolved, e.g. "wasm-blas"). */
  backend: string;
  /** GLUE tasks to run (the profile's list, "all-in-cache" expanded). */
  glueTasks: GlueTask[];
  /** sha256 of every cache file read, by cache-relative path. */
  dataHashes: Record<string, string>;
  /** Example counts of GLUE train and dev files (for the ETA), by task. */
  glueTrainExamples: Record<string, number>;
  glueDevExamples: Record<string, number>;
  /** The corpus slice and its hash. */
  corpus: CorpusSlice;
  /** Where the multilingual sources are and what they hold (when the profile has a multilingual section). */
  multilingual?: MultilingualSources;
}

/** A file the tokenize stage reads (a corpus file, a given tokenizer), with its sha256. */
export interface HashedFile {
  path: string;
  sha256: string;
}

/** The slice of the pretraining corpus a profile tokenizes. */
export interface CorpusSlice {
  name: string;
  documents: Document[];
  sha256: string;
  bytes: number;
  /** The whole corpus: its sources, their versions and hashes, counts and sha256 (for the manifest). */
  description: CorpusDescription | null;
  /** The profile's corpus.files (resolved) with the sha256 of every file under each, in reading order. */
  files: { path: string; files: HashedFile[] }[];
  /** The profile's tokenizer.file (resolved), when the tokenizer is given. */
  givenTokenizer: HashedFile | null;
}

/**
 * Reads the profile's corpus (fetching a built-in one's packages into the cache when missing, or reading
 * the user's files) and takes its slice; hashes the corpus files and a given tokenizer. Paths in the
 * profile are relative to `profileFile`'s folder (or absolute).
 */
export async function loadCorpusSlice(
  profile: Profile,
  cacheDir: string,
  log?: (line: string) => void,
  profileFile?: string,
): Promise<CorpusSlice> {
  const base = profileFile ? dirname(resolve(profileFile)) : Deno.cwd();
  const paths = (profile.corpus.files ?? []).map((f) => resolve(base, f));
  const { documents, description } = await corpusDocuments(
    profile.corpus.name,
    paths,
    profile.corpus.maxDocuments,
    cacheDir,
    log,
  );
  const files = await Promise.all(paths.map(async (path) => ({
    path,
    files: await Promise.all(
      (await corpusFileList([path])).map(async (f) => ({ path: f, sha256: await sha256File(f) })),
    ),
  })));
  let givenTokenizer: HashedFile | null = null;
  if (profile.tokenizer.file !== undefined) {
    const path = resolve(base, profile.tokenizer.file);
    const { tokenizer, sha256 } = await loadAnyTokenizer(path);
    if (tokenizer.vocabSize !== profile.tokenizer.vocabSize) {
      throw new InputError(
        `tokenizer.vocabSize is ${profile.tokenizer.vocabSize}, but the given tokenizer (tokenizer.file) has ` +
          `${tokenizer.vocabSize} tokens; set tokenizer.vocabSize to ${tokenizer.vocabSize}`,
        profileFile,
      );
    }
    givenTokenizer = { path, sha256 };
  }
  const bytes = documents.reduce((n, d) => n + new TextEncoder().encode(d.text).length, 0);
  return {
    name: profile.corpus.name,
    documents,
    sha256: await corpusSha256(documents),
    bytes,
    description,
    files,
    givenTokenizer,
  };
}

/** The stage ids of the two corpora's tokenizer and shards (the default corpus at the profile's vocabulary). */
export const DEFAULT_TOKENIZE_ID = "tokenize/corpus";
export const MULTILINGUAL_TOKENIZE_ID = "corpus-multilingual/multilingual";

/** The tokenize stage of the default corpus at a vocabulary size (a design's sweep point). */
export const tokenizeId = (profile: Profile, vocabSize: number) =>
  vocabSize === profile.tokenizer.vocabSize ? DEFAULT_TOKENIZE_ID : `${DEFAULT_TOKENIZE_ID}-v${vocabSize}`;

/** The tokenize stage that made a run's tokens. */
function runTokenizeId(profile: Profile, run: { corpus: string; config: ModelConfig }): string {
  return run.corpus === "multilingual" ? MULTILINGUAL_TOKENIZE_ID : tokenizeId(profile, run.config.vocabSize);
}

/** The pretraining spec of a planned run. */
export function pretrainSpec(run: PlannedRun, fractions: number[], backend: string): PretrainSpec {
  const a = run.settings;
  return {
    model: a.model,
    overrides: a.overrides as Partial<ModelConfig>,
    arch: run.arch,
    objective: run.objective,
    ...runSpecFields(run),
    batch: a.batch,
    accum: a.accum,
    seqLen: a.seqLen,
    lr: a.lr,
    warmupFrac: a.warmupFrac,
    schedule: a.schedule,
    lrFloorFrac: a.lrFloorFrac,
    weightDecay: a.weightDecay,
    ...ADAMW_DEFAULTS,
    beta2: a.beta2,
    clip: a.clip,
    seed: run.seed,
    backend,
    evalBatches: a.evalBatches,
    fractions,
    logEvery: Math.max(1, Math.floor(run.steps / 50)),
    ckptEvery: a.ckptEvery,
  };
}

/** The tokenize stages of the default corpus: one per vocabulary size the designs use. */
function tokenizeStages(ctx: PlanContext): PlannedStage[] {
  const { profile, corpus } = ctx;
  const t = profile.tokenizer;
  const inputs: Record<string, PlannedInput> = {};
  corpus.files.forEach((
    f,
    i,
  ) => (inputs[`corpus:${i}`] = { dir: f.path, key: keyOf({ files: f.files.map((x) => x.sha256) }) }));
  if (corpus.givenTokenizer) {
    inputs.tokenizer = { dir: corpus.givenTokenizer.path, key: keyOf({ file: corpus.givenTokenizer.sha256 }) };
  }
  const vocabs = [...new Set(profile.pretrain.designs.map((d) => designVocab(profile, d)))];
  return vocabs.map((vocabSize) => {
    const spec: TokenizeSpec = {
      corpus: {
        name: corpus.name,
        maxDocuments: profile.corpus.maxDocuments,
        sha256: corpus.sha256,
        documents: corpus.documents.length,
      },
      vocabSize,
      seed: t.seed,
      validFraction: t.validFraction,
      maxTrainBytes: t.maxTrainBytes,
      givenTokenizer: corpus.givenTokenizer ? { sha256: corpus.givenTokenizer.sha256 } : null,
    };
    const label = tokenizeId(profile, vocabSize).slice(tokenizeStage.kind.length + 1);
    return planned(tokenizeStage, label, spec, inputs, 3 + corpus.bytes / 400_000);
  });
}

/** The stages of a profile, in the order they run. */
export function planStages(ctx: PlanContext): PlannedStage[] {
  const { profile, backend } = ctx;
  const stages: PlannedStage[] = [];
  if (profile.pretrain.encoder || profile.pretrain.decoder) {
    stages.push(...tokenizeStages(ctx), ...unigramReferences(ctx));
  }
  const m = profile.multilingual;
  if (m) {
    if (!ctx.multilingual) throw new Error("planStages: a multilingual profile needs ctx.multilingual");
    const spec: MultilingualCorpusSpec = {
      languages: m.languages,
      capWords: m.capWords,
      tokenizer: m.tokenizer,
      sources: ctx.multilingual.fingerprint,
    };
    stages.push(planned(
      multilingualCorpusStage,
      "multilingual",
      spec,
      { sources: { dir: ctx.multilingual.dir, key: keyOf(ctx.multilingual.fingerprint) } },
      20 + (m.languages.length * m.capWords) / 40_000,
    ));
  }

  const runs = plannedRuns(profile);
  // Runs of several designs that train the same model: the first trains and is scored, the others relabel.
  const twins = sharedTraining(profile, runs, backend);
  const evaluationsOf = new Map<PlannedRun, PlannedStage[]>();
  for (const run of runs) {
    const label = runLabel(run);
    const fractions = runFractions(profile, run);
    const tokens = runTokenizeId(profile, run);
    const source = twins.get(run);
    if (source) {
      stages.push(...evaluationsOf.get(source)!.map((e) => relabelled(e, source, run)));
      continue;
    }
    const pretrain = planned(
      pretrainStage,
      label,
      pretrainSpec(run, fractions, backend),
      { tokens: { stage: tokens } },
      8 + (run.budget.mode === "seconds" ? run.budget.amount : run.budgetFlops / profile.speed.pretrainFlopsPerSecond),
    );
    const evaluations = fractions.flatMap((fraction) =>
      evaluationStages(ctx, run, label, pretrain.id, tokens, fraction)
    );
    stages.push(pretrain, ...evaluations);
    evaluationsOf.set(run, evaluations);
  }
  for (const run of randomInitRuns(profile)) {
    const label = runLabel(run);
    const tokens = runTokenizeId(profile, run);
    const spec: InitSpec = {
      model: run.settings.model,
      overrides: run.settings.overrides as Partial<ModelConfig>,
      arch: run.arch,
      seed: run.seed,
      backend,
    };
    const init = planned(initStage, label, spec, { tokens: { stage: tokens } }, 5);
    stages.push(init, ...evaluationStages(ctx, run, label, init.id, tokens, 0));
  }
  return stages;
}

/**
 * What decides the model a run trains, when two designs can share it: its pretraining spec without the
 * head mode, design and budget (the dense and sparse heads give the same loss and gradients), and the steps
 * at which it saves each checkpoint and stops. Null when those steps depend on the data (an encoder's masked
 * positions vary, so its FLOPs per step do) or on the clock (a seconds budget): such a run is never shared.
 */
export function trainingIdentity(run: PlannedRun, fractions: readonly number[], backend: string): string | null {
  const a = run.settings;
  const shape = { batch: a.batch, seqLen: a.seqLen, scored: expectedScored(run.arch, a.batch, a.seqLen) };
  const micro = {
    tokens: a.batch * a.seqLen,
    flops: run.arch === "decoder" ? stepFlops(run.config, run.objective, shape, run.design.head).total : NaN,
    seconds: NaN,
  }[run.budget.mode];
  if (!(micro > 0)) return null;
  let perStep = 0; // summed micro-batch by micro-batch, as the loop sums it
  for (let i = 0; i < a.accum; i++) perStep += micro;
  // The step at which the loop's running total first reaches each fraction of the budget (train/loop.ts).
  const steps: number[] = [];
  let spent = 0, step = 0;
  for (const f of [...new Set([...fractions, 1])].sort((x, y) => x - y)) {
    while (spent < f * run.budget.amount) [spent, step] = [spent + perStep, step + 1];
    steps.push(step);
  }
  const spec: Record<string, unknown> = { ...pretrainSpec(run, [...fractions], backend) };
  for (const field of Object.keys(runSpecFields(run))) delete spec[field];
  return keyOf({ corpus: run.corpus, config: run.config, spec, steps });
}

/** The checkpoint fractions of a run: its corpus's. */
const runFractions = (profile: Profile, run: PlannedRun) =>
  run.corpus === "multilingual" ? profile.multilingual!.fractions : profile.pretrain.fractions;

/**
 * The runs whose model an earlier run (of another design) trains already, each with that run: they are not
 * trained again, and their results are the earlier run's, relabelled.
 */
export function sharedTraining(
  profile: Profile,
  runs: readonly PlannedRun[],
  backend: string,
): Map<PlannedRun, PlannedRun> {
  const first = new Map<string, PlannedRun>();
  const twins = new Map<PlannedRun, PlannedRun>();
  for (const run of runs) {
    const identity = trainingIdentity(run, runFractions(profile, run), backend);
    if (identity === null) continue;
    const source = first.get(identity);
    if (source) twins.set(run, source);
    else first.set(identity, run);
  }
  return twins;
}

/** An evaluation stage of `source`'s run, its rows filed under `run`'s design (results/relabel_stage.ts). */
function relabelled(evaluation: PlannedStage, source: PlannedRun, run: PlannedRun): PlannedStage {
  const spec: RelabelSpec = {
    objective: source.objective,
    from: source.design.isDefault ? "" : source.design.name,
    to: run.design.isDefault ? "" : run.design.name,
    flopsScale: run.flopsPerToken / source.flopsPerToken,
  };
  const what = evaluation.label.slice(runLabel(source).length);
  return planned(relabelStage, `${runLabel(run)}${what}`, spec, { source: { stage: evaluation.id } }, 1);
}

/** The evaluation stages of one checkpoint (fraction `fraction` of the run of stage `runId`). */
function evaluationStages(
  ctx: PlanContext,
  run: Pick<PlannedRun, "corpus" | "arch" | "config"> & { objective: string; flopsPerToken?: number },
  label: string,
  runId: string,
  tokenizeStageId: string,
  fraction: number,
): PlannedStage[] {
  const { profile, backend } = ctx;
  const speed = profile.speed;
  const inputs = {
    checkpoint: { stage: runId, path: `ckpt/${fractionDirName(fraction)}` },
    tokenizer: { stage: tokenizeStageId, path: "tokenizer.json" },
  };
  const evalLabel = (name: string) => `${label}-f${fraction}-${name}`;
  if (run.corpus === "multilingual") {
    const x = profile.multilingual!.xnli;
    const spec: XnliSpec = {
      setups: x.setups,
      langs: x.langs,
      split: x.split,
      seeds: x.seeds,
      finetune: {
        loss: x.loss,
        epochs: x.epochs,
        lr: x.lr,
        weightDecay: GLUE_PROTOCOLS[x.loss].weightDecay,
        batch: x.batch,
        evalBatch: 64,
        maxTrain: x.maxTrain,
        ...(x.dropout ? { dropout: x.dropout } : {}),
      },
      maxEval: x.maxEval,
      data: pick(ctx.dataHashes, (f) => f.startsWith("xnli/")),
      backend,
    };
    return [planned(xnliStage, evalLabel("xnli"), spec, inputs, 6 + xnliExamples(x) / speed.glueExamplesPerSecond)];
  }
  const stages: PlannedStage[] = [];
  if (run.arch === "encoder" && profile.glue && fractionScored(profile.glue, fraction)) {
    const g = profile.glue;
    for (const task of ctx.glueTasks) {
      const files = runFiles(glueRun(task));
      const spec: GlueSpec = {
        tasks: [{ glue: task }],
        seeds: g.seeds,
        loss: g.loss,
        epochs: g.epochs,
        lr: g.lr,
        weightDecay: GLUE_PROTOCOLS[g.loss].weightDecay,
        batch: g.batch,
        evalBatch: 64,
        maxTrain: g.maxTrain,
        ...(g.dropout ? { dropout: g.dropout } : {}),
        data: pick(ctx.dataHashes, (f) => files.includes(f)),
        backend,
      };
      const train = Math.min(g.maxTrain ?? Infinity, ctx.glueTrainExamples[task] ?? 1000);
      const dev = ctx.glueDevExamples[task] ?? 1000;
      stages.push(planned(
        glueStage,
        evalLabel(task),
        spec,
        inputs,
        6 + (g.seeds.length * g.epochs * (train + dev)) / speed.glueExamplesPerSecond,
      ));
    }
  }
  let lmFinetuned: Record<string, PlannedInput> = {};
  if (run.arch === "decoder" && profile.lambada) {
    const l = profile.lambada;
    const lmRuns = isHeadless(run.objective) ? l.seeds.length : 0;
    // The BLiMP and bits-per-byte stages score the LM fine-tunes this stage makes: it keeps them.
    const keepModels = lmRuns > 0 && l.lmSteps > 0 && signalAt(profile, fraction);
    const spec: LambadaSpec = {
      seeds: l.seeds,
      lmSteps: l.lmSteps,
      lmLr: l.lmLr,
      lmBatch: l.lmBatch,
      lmSeqLen: l.lmSeqLen,
      limit: l.limit,
      evalBatch: 64,
      saveModels: keepModels,
      data: pick(ctx.dataHashes, (f) => f === LAMBADA_PATH),
      backend,
    };
    const passages = l.limit ?? LAMBADA_PASSAGES;
    const lambada = planned(
      lambadaStage,
      evalLabel("lambada"),
      spec,
      inputs,
      6 + (passages * (1 + lmRuns)) / speed.lambadaPassagesPerSecond +
        lmRuns * l.lmSteps * l.lmBatch * (l.lmSeqLen ?? run.config.context) * (run.flopsPerToken ?? 0) /
          speed.pretrainFlopsPerSecond,
    );
    stages.push(lambada);
    if (keepModels) {
      const saved = (seed: number) => ({ stage: lambada.id, path: `lm-finetuned/seed-${seed}` });
      lmFinetuned = Object.fromEntries(l.seeds.map((seed) => [`${LM_FINETUNED_INPUT}${seed}`, saved(seed)]));
    }
  }
  stages.push(...signalStages(ctx, run, fraction, evalLabel, { ...inputs, ...lmFinetuned }, tokenizeStageId));
  return stages;
}

/**
 * True when an evaluation section (GLUE, BLiMP, bits per byte) scores checkpoints at `fraction`. A
 * random-init reference (fraction 0) is scored wherever any checkpoint is: it is every comparison's
 * reference.
 */
function fractionScored(section: { fractions: number[] | null }, fraction: number): boolean {
  return fraction === 0 || section.fractions === null || section.fractions.includes(fraction);
}

/** True when the profile's BLiMP or bits-per-byte section scores checkpoints at `fraction`. */
function signalAt(profile: Profile, fraction: number): boolean {
  return [profile.blimp, profile.bpb].some((s) => s !== null && fractionScored(s, fraction));
}

/** Pairs a BLiMP section scores. */
function blimpPairs(b: BlimpProfile): number {
  return (b.paradigms?.length ?? Object.keys(blimpTask().splits).length) * Math.min(b.limitPerParadigm ?? 1000, 1000);
}

/** BLiMP files a profile reads (cache-relative). */
function blimpData(ctx: PlanContext): Record<string, string> {
  return pick(ctx.dataHashes, (f) => f.startsWith("blimp/"));
}

/** The label of the unigram reference stages (blimp/unigram, bpb/unigram). */
export const UNIGRAM_LABEL = "unigram";

/** The unigram references of the default corpus's token folder (contracts: objective "unigram"). */
function unigramReferences(ctx: PlanContext): PlannedStage[] {
  const { profile } = ctx;
  // The first design's token folder (the profile's vocabulary unless that design sweeps another).
  const tokens = { tokens: { stage: tokenizeId(profile, designVocab(profile, profile.pretrain.designs[0])) } };
  const out: PlannedStage[] = [];
  const b = profile.blimp;
  if (b && (profile.pretrain.decoder || (b.encoders && profile.pretrain.encoder))) {
    const spec: BlimpSpec = {
      scorer: "unigram",
      paradigms: b.paradigms,
      limitPerParadigm: b.limitPerParadigm,
      maxTokens: b.maxTokens,
      data: blimpData(ctx),
      backend: "",
    };
    out.push(planned(blimpStage, UNIGRAM_LABEL, spec, tokens, 5));
  }
  if (profile.bpb && profile.pretrain.decoder) {
    const spec: BpbSpec = {
      scorer: "unigram",
      limitDocuments: profile.bpb.limitDocuments,
      maxTokens: 4096,
      backend: "",
    };
    out.push(planned(bpbStage, UNIGRAM_LABEL, spec, tokens, 5));
  }
  return out;
}

/**
 * BLiMP (decoders, and encoders when asked) and bits per byte (decoders) of one checkpoint of a run on
 * the default corpus, with the LM fine-tunes of a headless decoder among `inputs`.
 */
function signalStages(
  ctx: PlanContext,
  run: { arch: string },
  fraction: number,
  evalLabel: (name: string) => string,
  inputs: Record<string, PlannedInput>,
  tokenizeId: string,
): PlannedStage[] {
  const { profile, backend } = ctx;
  const out: PlannedStage[] = [];
  const at = (s: { fractions: number[] | null }) => fractionScored(s, fraction);
  const scorings = 1 + Object.keys(inputs).filter((n) => n.startsWith(LM_FINETUNED_INPUT)).length;
  const b = profile.blimp;
  if (b && at(b) && (run.arch === "decoder" || b.encoders)) {
    const spec: BlimpSpec = {
      scorer: "model",
      paradigms: b.paradigms,
      limitPerParadigm: b.limitPerParadigm,
      maxTokens: b.maxTokens,
      data: blimpData(ctx),
      backend,
    };
    // An encoder's pseudo-log-likelihood takes one pass per token (~12 a BLiMP sentence).
    const cost = run.arch === "decoder" ? 1 : 12;
    out.push(planned(
      blimpStage,
      evalLabel("blimp"),
      spec,
      inputs,
      6 + scorings * cost * blimpPairs(b) / profile.speed.blimpPairsPerSecond,
    ));
  }
  const p = profile.bpb;
  if (p && at(p) && run.arch === "decoder") {
    const spec: BpbSpec = { scorer: "model", limitDocuments: p.limitDocuments, maxTokens: p.maxTokens, backend };
    // About 4 bytes a token; the valid split's share of the corpus.
    const tokens = (ctx.corpus.bytes * profile.tokenizer.validFraction) / 4;
    out.push(planned(
      bpbStage,
      evalLabel("bpb"),
      spec,
      { ...inputs, tokens: { stage: tokenizeId } },
      6 + scorings * tokens / profile.speed.bpbTokensPerSecond,
    ));
  }
  return out;
}

function pick(hashes: Record<string, string>, keep: (file: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(hashes).filter(([f]) => keep(f)));
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
