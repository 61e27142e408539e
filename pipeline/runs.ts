/**
 * The pretraining runs of a profile with their budgets: per comparison design (train/designs.ts),
 * architecture, objective and seed. A design's compute is the architecture's budgetFlops, or the FLOPs the
 * softmax baseline spends on budgetSoftmaxTokens with the design's head mode; a FLOP design gives every
 * objective those FLOPs, a token design the baseline's tokens, a seconds design budgetSeconds each.
 *
 * A headless decoder (CWT, NCE) is LM-fine-tuned before LAMBADA; that fine-tune is part of its compute, so
 * its pretraining budget is the design's minus the fine-tune's FLOPs (tokens; at a seconds budget, the
 * fine-tune's FLOPs at the profile's pretraining speed, an estimate), and headless + fine-tune spends
 * what the vanilla decoder does. The random-init references (no pretraining) are listed here too.
 */
import { expectedScored } from "../models/masking.ts";
import { type Arch, ARCHS, loadModelConfig, type ModelConfig, stepFlops } from "../models/mod.ts";
import { isHeadless, type Objective } from "../models/objective_names.ts";
import { type Budget, type BudgetFields, budgetFields } from "../train/budget.ts";
import { RANDOM_INIT } from "../train/init_stage.ts";
import { designName, type DesignProfile, isDefaultDesign } from "../train/designs.ts";
import { ProfileKeyError } from "./profile_error.ts";
import type { ArchProfile, Profile } from "./profile.ts";

/** A design as runs carry it: its profile entry, its name, and whether it is the plain default. */
export interface Design extends DesignProfile {
  name: string;
  isDefault: boolean;
}

/** One pretraining run of the plan, with its budget worked out. */
export interface PlannedRun {
  /** The text it trains on: the profile's corpus or the multilingual one. */
  corpus: "default" | "multilingual";
  arch: Arch;
  objective: Objective;
  seed: number;
  design: Design;
  config: ModelConfig;
  /** The architecture's settings, with the design's batch size. */
  settings: ArchProfile;
  /** What the run spends until it stops. */
  budget: Budget;
  /** FLOPs it is expected to spend (at a seconds budget: an estimate at the profile's speed). */
  budgetFlops: number;
  flopsPerToken: number;
  /** Tokens it is expected to train on, and its optimizer steps. */
  tokens: number;
  steps: number;
  /** The LM fine-tune taken out of a headless decoder's budget (null for every other run). */
  lmFinetune: { flops: number; tokens: number } | null;
}

/** A random-init reference: a model of the architecture's config with no pretraining. */
export interface RandomInitRun {
  corpus: PlannedRun["corpus"];
  arch: Arch;
  objective: typeof RANDOM_INIT;
  seed: number;
  config: ModelConfig;
  settings: ArchProfile;
}

/** What starts the label of a run on the multilingual corpus. */
export const MULTILINGUAL_RUN_PREFIX = "multilingual-";

/**
 * The label of a run: "encoder-cwt-s0", "multilingual-encoder-cwt-s0", "encoder-cwt-s0-tokens-dense" (a
 * design other than the plain default names itself), "decoder-random-init-s0".
 */
export const runLabel = (
  r: { corpus?: PlannedRun["corpus"]; arch: string; objective: string; seed: number; design?: Design },
) =>
  `${r.corpus === "multilingual" ? MULTILINGUAL_RUN_PREFIX : ""}${r.arch}-${r.objective}-s${r.seed}` +
  (r.design && !r.design.isDefault ? `-${r.design.name}` : "");

/** The designs of a profile, named. */
export function profileDesigns(profile: Profile): Design[] {
  return profile.pretrain.designs.map((d) => ({ ...d, name: designName(d), isDefault: isDefaultDesign(d) }));
}

/** The vocabulary size of a design's runs on the default corpus. */
export const designVocab = (profile: Profile, d: DesignProfile) => d.vocabSize ?? profile.tokenizer.vocabSize;

/** Model config of an architecture's settings at a vocabulary size. */
export function configOf(a: ArchProfile, arch: Arch, vocabSize: number): ModelConfig {
  return loadModelConfig(a.model, { ...a.overrides, arch, vocabSize } as Partial<ModelConfig>);
}

/** FLOPs and tokens of the LM fine-tune the profile gives a headless decoder of `config` (null: none). */
export function lmFinetuneCost(profile: Profile, config: ModelConfig): { flops: number; tokens: number } | null {
  const l = profile.lambada;
  if (!l || l.lmSteps === 0) return null;
  const seqLen = l.lmSeqLen ?? config.context;
  const shape = { batch: l.lmBatch, seqLen, scored: l.lmBatch * seqLen };
  return {
    flops: l.lmSteps * stepFlops({ ...config, tieHead: false }, "softmax", shape).total,
    tokens: l.lmSteps * l.lmBatch * seqLen,
  };
}

/** The runs of one architecture under one design: every objective and seed. */
function designRuns(
  profile: Profile,
  corpus: PlannedRun["corpus"],
  arch: Arch,
  archKey: string,
  base: ArchProfile,
  vocabSize: number,
  seeds: readonly number[],
  design: Design,
): PlannedRun[] {
  const a = design.batch ? { ...base, batch: design.batch } : base;
  const config = configOf(a, arch, vocabSize);
  const shape = { batch: a.batch, seqLen: a.seqLen, scored: expectedScored(arch, a.batch, a.seqLen) };
  const softmaxPerToken = stepFlops(config, "softmax", shape, design.head).perToken;
  const baseline = {
    flops: a.budgetFlops ?? a.budgetSoftmaxTokens! * softmaxPerToken,
    tokens: a.budgetSoftmaxTokens ?? a.budgetFlops! / softmaxPerToken,
  };
  const speed = profile.speed.pretrainFlopsPerSecond;
  return profile.pretrain.objectives.flatMap((objective) => {
    const perToken = stepFlops(config, objective, shape, design.head).perToken;
    const lm = arch === "decoder" && isHeadless(objective) ? lmFinetuneCost(profile, config) : null;
    const amount = {
      flops: baseline.flops - (lm?.flops ?? 0),
      tokens: baseline.tokens - (lm?.tokens ?? 0),
      seconds: (a.budgetSeconds ?? NaN) - (lm?.flops ?? 0) / speed,
    }[design.budget];
    if (!(amount > 0)) {
      throw new ProfileKeyError(
        "lambada.lmSteps",
        `lambada.lmSteps: the LM fine-tune of a headless ${archKey} (${
          lm?.flops.toExponential(3)
        } FLOPs, ${lm?.tokens} tokens) is not smaller than its ${design.budget} budget in design ${design.name}; fewer steps, or a larger budget`,
      );
    }
    const budgetFlops = { flops: amount, tokens: amount * perToken, seconds: amount * speed }[design.budget];
    const tokens = budgetFlops / perToken;
    return seeds.map((seed) => ({
      corpus,
      arch,
      objective,
      seed,
      design,
      config,
      settings: a,
      budget: { mode: design.budget, amount },
      budgetFlops,
      flopsPerToken: perToken,
      tokens,
      steps: Math.ceil(tokens / (a.batch * a.seqLen * a.accum)),
      lmFinetune: lm,
    }));
  });
}

/**
 * The pretraining runs with their budgets, design by design. The multilingual encoders follow the designs
 * that keep the vocabulary (theirs is the multilingual tokenizer's). Budget problems are ProfileKeyErrors.
 */
export function plannedRuns(profile: Profile): PlannedRun[] {
  const { pretrain, multilingual: m } = profile;
  return profileDesigns(profile).flatMap((design) => [
    ...ARCHS.flatMap((arch) =>
      pretrain[arch]
        ? designRuns(
          profile,
          "default",
          arch,
          `pretrain.${arch}`,
          pretrain[arch]!,
          designVocab(profile, design),
          pretrain.seeds,
          design,
        )
        : []
    ),
    ...(m && design.vocabSize === undefined
      ? designRuns(
        profile,
        "multilingual",
        "encoder",
        "multilingual.encoder",
        m.encoder,
        m.tokenizer.vocabSize,
        m.seeds,
        design,
      )
      : []),
  ]);
}

/** The random-init references of a profile with pretrain.randomInit: per architecture (and corpus) and seed. */
export function randomInitRuns(profile: Profile): RandomInitRun[] {
  if (!profile.pretrain.randomInit) return [];
  const { pretrain, tokenizer, multilingual: m } = profile;
  const of = (corpus: PlannedRun["corpus"], arch: Arch, a: ArchProfile, vocabSize: number, seeds: number[]) =>
    seeds.map((seed) => ({
      corpus,
      arch,
      objective: RANDOM_INIT,
      seed,
      config: configOf(a, arch, vocabSize),
      settings: a,
    }));
  return [
    ...ARCHS.flatMap((arch) =>
      pretrain[arch] ? of("default", arch, pretrain[arch]!, tokenizer.vocabSize, pretrain.seeds) : []
    ),
    ...(m ? of("multilingual", "encoder", m.encoder, m.tokenizer.vocabSize, m.seeds) : []),
  ];
}

/** The budget, head mode and design fields of a run's pretraining spec (the default's read as they always did). */
export function runSpecFields(run: PlannedRun): BudgetFields & { head?: "dense"; design?: string } {
  return {
    ...budgetFields(run.budget),
    ...(run.design.head === "dense" ? { head: "dense" as const } : {}),
    ...(run.design.isDefault ? {} : { design: run.design.name }),
  };
}
