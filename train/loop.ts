/**
 * The pretraining loop at a budget (train/budget.ts): FLOPs (the model kit's analytic count, summed over
 * micro-batches), tokens, or seconds of training. It trains until the budget is spent; at the first step
 * whose cumulative spending reaches each budget fraction it evaluates on fixed validation batches and
 * writes `ckpt/frac-F/`; every K steps it refreshes `ckpt/latest/`. Started again on the same folder with
 * the same settings, it resumes from the newest complete checkpoint and, at a FLOP or token budget, ends
 * with bit-identical weights to an uninterrupted run (everything that decides the next step, the
 * weights, the optimizer moments, the data cursor and the masking Rng, is in the checkpoint, and the
 * backend computes deterministically). At a seconds budget the seconds count across resumes, and the
 * learning-rate schedule runs on the share of the seconds spent, so where it ends depends on the machine.
 */
import * as tf from "@tensorflow/tfjs";
import { basename, join } from "node:path";
import { InputError } from "../util/errors.ts";
import { atomicWriteTarget } from "../util/fs.ts";
import type { AdamW } from "./adamw.ts";
import { type Budget, budgetOf, describeBudget, spent } from "./budget.ts";
import { BatchStream, validationBatches } from "./batch_stream.ts";
import {
  type CheckpointEntry,
  type CheckpointInfo,
  type CheckpointMeta,
  cleanCheckpointRoot,
  discardCheckpoint,
  listCheckpoints,
  readCheckpoint,
  type StoredTensor,
  type TrainCounters,
  writeCheckpoint,
} from "./checkpoint.ts";
import { accumulateGradients } from "./grad_accum.ts";
import {
  appendTrainLog,
  type CheckpointRow,
  progressLine,
  resetTrainLog,
  type TrainLogRow,
  writeCheckpointsCsv,
} from "./log.ts";
import type { LmBatch, ModelConfigLike, ModelKit, Objective, TrainableModel } from "./model_kit.ts";
import { jsonDiff, keyOf } from "../artifacts/hash.ts";
import { expectedScored } from "../models/masking.ts";
import type { HeadMode } from "../models/objective_names.ts";
import { OptimizerStep } from "./optimizer_step.ts";
import { learningRate, scheduleFor, type ScheduleKind } from "./schedule.ts";
import { openTokenFolderSplit, readTokenManifest } from "./token_stream.ts";

/** The number of schedule steps a seconds budget is divided into (its learning rate changes at each). */
const PROGRESS_STEPS = 10_000;

/** Budget fractions that get a checkpoint and an evaluation by default. */
export const DEFAULT_FRACTIONS: readonly number[] = [0.125, 0.25, 0.5, 1];

/** Options of `pretrain`. Everything above `outDir` is part of the run's identity (runSettings). */
export interface PretrainOptions<C extends ModelConfigLike = ModelConfigLike> {
  /** The resolved model config (its vocabSize must match the token folder's). */
  config: C;
  objective: Objective;
  /** Where the softmax head computes logits (default sparse: the scored positions only). */
  head?: HeadMode;
  /** The comparison design the run belongs to (recorded in its settings, so in every result row). */
  design?: string;
  tokensDir: string;
  /** The budget: exactly one of FLOPs, tokens, or seconds of training. */
  budgetFlops?: number;
  budgetTokens?: number;
  budgetSeconds?: number;
  /** Sequences per micro-batch. */
  batch: number;
  /** Micro-batches per optimizer step. */
  accum: number;
  seqLen: number;
  lr: number;
  warmupFrac: number;
  schedule: ScheduleKind;
  /** The rate the decay ends at, as a fraction of `lr`. */
  lrFloorFrac: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global gradient-norm limit; 0 disables clipping. */
  clip: number;
  seed: number;
  /** The backend in use (as initBackend reported it). */
  backend: string;
  /** Validation micro-batches per evaluation. */
  evalBatches: number;
  fractions?: readonly number[];
  outDir: string;
  /** Write a train_log.csv row and a progress line every N steps. */
  logEvery: number;
  /** Refresh ckpt/latest every N steps (0: only at budget fractions). */
  ckptEvery: number;
  /** No progress lines on stderr. */
  quiet?: boolean;
  /** Called with the share of the budget spent, at every train_log.csv row. */
  onProgress?: (fraction: number) => void;
  /** Tests: return after this many steps, without a final checkpoint, as if the process were killed. */
  stopAfterSteps?: number;
}

/** What `pretrain` returns. */
export interface PretrainResult {
  status: "done" | "stopped";
  counters: TrainCounters;
  /** Step of the checkpoint this call resumed from (0 for a fresh start). */
  resumedFromStep: number;
  checkpoints: CheckpointRow[];
  plannedSteps: number;
  /** One line per checkpoint folder found damaged, edited or half-removed, and removed (also printed). */
  discarded: string[];
}

/**
 * The settings that define a run: everything that changes its result. Fields at their defaults (sparse
 * head, no design) are left out, so a run's settings read as before they existed.
 */
export function runSettings(opts: PretrainOptions, tokensManifestSha256: string): Record<string, unknown> {
  return {
    model: opts.config,
    objective: opts.objective,
    head: opts.head === "dense" ? "dense" : undefined,
    design: opts.design,
    tokens: { manifestSha256: tokensManifestSha256 },
    budgetFlops: opts.budgetFlops,
    budgetTokens: opts.budgetTokens,
    budgetSeconds: opts.budgetSeconds,
    batch: opts.batch,
    accum: opts.accum,
    seqLen: opts.seqLen,
    lr: opts.lr,
    warmupFrac: opts.warmupFrac,
    schedule: opts.schedule,
    lrFloorFrac: opts.lrFloorFrac,
    weightDecay: opts.weightDecay,
    betas: [opts.beta1, opts.beta2],
    eps: opts.eps,
    clip: opts.clip,
    seed: opts.seed,
    backend: opts.backend,
    evalBatches: opts.evalBatches,
    fractions: opts.fractions ?? DEFAULT_FRACTIONS,
  };
}

/** Folder name of the checkpoint at budget fraction `f`, e.g. frac-0.125. */
export function fractionDirName(f: number): string {
  return `frac-${f}`;
}

function validateOptions(opts: PretrainOptions): void {
  const positiveInt = ["batch", "accum", "seqLen", "evalBatches", "logEvery"] as const;
  for (const k of positiveInt) {
    if (!(Number.isInteger(opts[k]) && opts[k] >= 1)) {
      throw new InputError(`--${k} must be a positive integer, got ${opts[k]}`);
    }
  }
  budgetOf(opts);
  if (!(Number.isInteger(opts.ckptEvery) && opts.ckptEvery >= 0)) {
    throw new InputError(`--ckpt-every must be an integer >= 0, got ${opts.ckptEvery}`);
  }
  if (opts.seqLen > opts.config.context) {
    throw new InputError(`sequence length ${opts.seqLen} exceeds the model's context ${opts.config.context}`);
  }
  if (opts.config.arch === "encoder" && opts.seqLen < 3) {
    throw new InputError(`encoder sequence length must be >= 3 ([CLS] x [SEP]), got ${opts.seqLen}`);
  }
  const fr = opts.fractions ?? DEFAULT_FRACTIONS;
  if (!fr.includes(1) || fr.some((f) => !(f > 0 && f <= 1))) {
    throw new InputError(`budget fractions must lie in (0, 1] and include 1, got ${fr.join(", ")}`);
  }
}

/** What a run folder may hold: a run's own files, a stage log and dot-files (the artifact store's). */
const RUN_FILES = new Set(["ckpt", "train_log.csv", "checkpoints.csv", "stage.log"]);

/**
 * Errors when `outDir` holds files that are not a pretraining run's (it may be absent or empty). The
 * temporary file of an atomic write of one of them, left by a kill, is removed.
 */
async function checkRunFolder(outDir: string): Promise<void> {
  try {
    for await (const e of Deno.readDir(outDir)) {
      if (RUN_FILES.has(atomicWriteTarget(e.name) ?? "")) await Deno.remove(join(outDir, e.name));
      else if (!RUN_FILES.has(e.name) && !e.name.startsWith(".")) {
        throw new InputError(
          `the output folder holds ${e.name}, which is not a pretraining run's: use an empty or new folder`,
          outDir,
        );
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(outDir, { recursive: true });
}

/** Model parameters and optimizer moments as named float32 arrays. */
function trainingTensors(model: TrainableModel, adam: AdamW): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  const state = adam.state();
  for (const [name, p] of model.params) {
    out.set(`param/${name}`, { shape: p.shape, data: Float32Array.from(p.dataSync() as Float32Array) });
    out.set(`adam.m/${name}`, { shape: p.shape, data: state.m.get(name)! });
    out.set(`adam.v/${name}`, { shape: p.shape, data: state.v.get(name)! });
  }
  return out;
}

function restoreTensors(
  model: TrainableModel,
  adam: AdamW,
  tensors: Map<string, Float32Array>,
  meta: CheckpointMeta,
  dir: string,
) {
  const get = (key: string, size: number) => {
    const data = tensors.get(key);
    if (!data || data.length !== size) {
      throw new InputError(
        `checkpoint tensor ${key} is ${data ? `of size ${data.length}` : "missing"}, the model expects size ${size}`,
        dir,
      );
    }
    return data;
  };
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [name, p] of model.params) {
    const data = get(`param/${name}`, p.size);
    tf.tidy(() => p.assign(tf.tensor(data, p.shape, "float32")));
    m.set(name, get(`adam.m/${name}`, p.size));
    v.set(name, get(`adam.v/${name}`, p.size));
  }
  adam.loadState({ step: meta.adamStep, m, v });
}

/** Mean loss over fixed validation batches. */
export function validationLoss<M extends TrainableModel>(
  kit: ModelKit<ModelConfigLike, M>,
  model: M,
  objective: Objective,
  batches: LmBatch[],
  head: HeadMode = "sparse",
): number {
  let sum = 0;
  for (const b of batches) sum += tf.tidy(() => kit.lmLoss(model, objective, b, head).dataSync()[0]);
  return sum / batches.length;
}

function checkpointRow(dir: string, meta: CheckpointMeta): CheckpointRow {
  return {
    fraction: meta.fraction!,
    step: meta.counters.step,
    tokens: meta.counters.tokens,
    flops: meta.counters.flops,
    seconds: Number(meta.counters.seconds.toFixed(3)),
    valid_loss: meta.eval?.validLoss ?? NaN,
    checkpoint: join("ckpt", basename(dir)),
  };
}

/**
 * The checkpoint to resume from: the newest that reads back in full (record, sha256s, finite values)
 * and past which no budget-fraction checkpoint is missing (a run resumed beyond a missing one would never
 * write it). One that does not read back is discarded, with a line in `discarded`; null: start afresh.
 */
async function resumePoint(
  root: string,
  fractions: number[],
  budget: Budget,
  settings: Record<string, unknown>,
  discarded: string[],
): Promise<(CheckpointEntry & { tensors: Map<string, Float32Array> }) | null> {
  for (;;) {
    const all = await listCheckpoints(root);
    const have = new Set(all.map((c) => c.meta.fraction));
    const newest = all.filter((c) =>
      fractions.every((f) => have.has(f) || spent(budget, c.meta.counters) < f * budget.amount)
    ).at(-1);
    if (!newest) return null;
    if (newest.meta.settingsHash !== keyOf(settings)) {
      throw new InputError(
        `the folder holds another run; settings that differ (stored vs requested): ${
          jsonDiff(newest.meta.settings, settings).join("; ")
        }; use another folder, or delete this one to start over`,
        newest.dir,
      );
    }
    try {
      return { ...newest, ...(await readCheckpoint(newest.dir)) };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      await discardCheckpoint(newest.dir);
      discarded.push(`checkpoint ${newest.dir} skipped and removed: ${e.message}`);
    }
  }
}

/** Trains (or resumes, or just reports a finished run in `outDir`) and returns where it ended. */
export async function pretrain<C extends ModelConfigLike, M extends TrainableModel>(
  opts: PretrainOptions<C>,
  kit: ModelKit<C, M>,
): Promise<PretrainResult> {
  validateOptions(opts);
  const { config, objective, outDir } = opts;
  const head = opts.head ?? "sparse";
  const budget = budgetOf(opts);
  const fractions = [...(opts.fractions ?? DEFAULT_FRACTIONS)].sort((a, b) => a - b);
  const { manifest: tokens, sha256: tokensSha } = await readTokenManifest(opts.tokensDir);
  if (tokens.vocabSize !== config.vocabSize) {
    throw new InputError(
      `token folder vocabSize ${tokens.vocabSize} differs from the model's ${config.vocabSize}`,
      join(opts.tokensDir, "manifest.json"),
    );
  }
  const settings = runSettings(opts, tokensSha);
  const hash = keyOf(settings);
  await checkRunFolder(outDir);
  const ckptRoot = join(outDir, "ckpt");
  const logPath = join(outDir, "train_log.csv");
  const checkpointsCsv = join(outDir, "checkpoints.csv");

  // The schedule's length comes from the budget: steps = budget / the FLOPs or tokens of a typical step.
  // A seconds budget has no step count: its schedule runs over PROGRESS_STEPS shares of the seconds.
  const typicalStep = {
    flops: opts.accum *
      kit.stepFlops(config, objective, {
        batch: opts.batch,
        seqLen: opts.seqLen,
        scored: expectedScored(config.arch, opts.batch, opts.seqLen),
      }, head).total,
    tokens: opts.accum * opts.batch * opts.seqLen,
    seconds: budget.amount / PROGRESS_STEPS,
  };
  const plannedSteps = Math.max(1, Math.ceil(budget.amount / typicalStep[budget.mode]));
  const schedule = scheduleFor({
    peak: opts.lr,
    totalSteps: plannedSteps,
    warmupFrac: opts.warmupFrac,
    kind: opts.schedule,
    floorFrac: opts.lrFloorFrac,
  });

  const discarded = await cleanCheckpointRoot(ckptRoot);
  const latest = await resumePoint(ckptRoot, fractions, budget, settings, discarded);
  for (const line of discarded) console.error(line);
  const rowsFromDisk = async () =>
    (await listCheckpoints(ckptRoot)).filter((c) => c.meta.fraction !== undefined).map((c) =>
      checkpointRow(c.dir, c.meta)
    );
  if (latest?.meta.fraction === 1) {
    // Perhaps killed after the final checkpoint but before checkpoints.csv was rewritten.
    await writeCheckpointsCsv(checkpointsCsv, await rowsFromDisk());
    return {
      status: "done",
      counters: latest.meta.counters,
      resumedFromStep: latest.meta.counters.step,
      checkpoints: await rowsFromDisk(),
      plannedSteps,
      discarded,
    };
  }

  const model = kit.createModel(config, opts.seed, objective);
  const optimizer = new OptimizerStep(model.params, {
    beta1: opts.beta1,
    beta2: opts.beta2,
    eps: opts.eps,
    weightDecay: opts.weightDecay,
    noDecay: (n) => kit.noDecay(n),
    schedule,
    clip: opts.clip,
    label: `pretraining ${outDir}`,
  });
  const adam = optimizer.adam;
  try {
    const train = await openTokenFolderSplit(opts.tokensDir, "train");
    const valid = await openTokenFolderSplit(opts.tokensDir, "valid");
    let counters: TrainCounters = { step: 0, tokens: 0, flops: 0, seconds: 0 };
    let resumedWindow = { loss: 0, gradNorm: 0, steps: 0 };
    let data = new BatchStream(kit as ModelKit, config.arch, train, {
      seqLen: opts.seqLen,
      batch: opts.batch,
      seed: opts.seed,
      vocabSize: config.vocabSize,
    });
    if (latest) {
      const { meta, tensors } = latest;
      restoreTensors(model, adam, tensors, meta, latest.dir);
      counters = { ...meta.counters };
      resumedWindow = meta.logWindow;
      data = new BatchStream(kit as ModelKit, config.arch, train, data.opts, meta.data);
    }
    await resetTrainLog(logPath, counters.step);
    const validBatches = validationBatches(kit as ModelKit, config.arch, valid, {
      seqLen: opts.seqLen,
      batch: opts.batch,
      batches: opts.evalBatches,
      vocabSize: config.vocabSize,
      source: join(opts.tokensDir, "manifest.json"),
    });
    // Every fraction the resume point has passed is on disk (resumePoint saw to it); later ones are rewritten.
    const done = new Set(fractions.filter((f) => spent(budget, counters) >= f * budget.amount));
    const resumedFromStep = counters.step;

    const save = async (name: string, extra: Partial<CheckpointInfo> = {}) => {
      const logWindow = { loss: window.loss, gradNorm: window.gradNorm, steps: window.steps };
      const info: CheckpointInfo = {
        settingsHash: hash,
        counters: { ...counters },
        data: data.state(),
        adamStep: adam.step,
        logWindow,
        settings,
        ...extra,
      };
      return { dir: await writeCheckpoint(ckptRoot, name, info, trainingTensors(model, adam)), info };
    };

    const startSeconds = counters.seconds;
    const t0 = performance.now();
    const elapsed = () => startSeconds + (performance.now() - t0) / 1000;
    let window = { ...resumedWindow, tokens: 0, since: performance.now() };

    while (spent(budget, counters) < budget.amount) {
      let stepFlops = 0;
      let stepTokens = 0;
      const { loss, grads } = accumulateGradients(model.params, opts.accum, () => {
        const batch = data.next();
        stepFlops += kit.stepFlops(
          config,
          objective,
          { batch: batch.batch, seqLen: batch.seqLen, scored: batch.positions.length },
          head,
        ).total;
        stepTokens += batch.batch * batch.seqLen;
        return kit.lmLoss(model, objective, batch, head);
      });
      // At a seconds budget the rate follows the share of the seconds spent when the step began.
      const progressLr = budget.mode === "seconds"
        ? learningRate(schedule, Math.floor((PROGRESS_STEPS * counters.seconds) / budget.amount))
        : undefined;
      const { lr, gradNorm } = optimizer.apply(grads, loss, progressLr);
      counters = {
        step: counters.step + 1,
        tokens: counters.tokens + stepTokens,
        flops: counters.flops + stepFlops,
        seconds: elapsed(),
      };
      window = {
        ...window,
        loss: window.loss + loss,
        gradNorm: window.gradNorm + gradNorm,
        steps: window.steps + 1,
        tokens: window.tokens + stepTokens,
      };

      const finished = spent(budget, counters) >= budget.amount;
      if (counters.step % opts.logEvery === 0 || finished) {
        const now = performance.now();
        const row: TrainLogRow = {
          step: counters.step,
          tokens: counters.tokens,
          flops: counters.flops,
          seconds: Number(counters.seconds.toFixed(3)),
          loss: window.loss / window.steps,
          lr,
          grad_norm: window.gradNorm / window.steps,
          tokens_per_s: Number((window.tokens / ((now - window.since) / 1000)).toFixed(1)),
        };
        await appendTrainLog(logPath, row);
        const share = Math.min(1, spent(budget, counters) / budget.amount);
        opts.onProgress?.(share);
        if (!opts.quiet) {
          const eta = (counters.seconds * (1 - share)) / Math.max(1e-9, share);
          console.error(progressLine(row, share, describeBudget(budget), eta));
        }
        window = { loss: 0, gradNorm: 0, steps: 0, tokens: 0, since: now };
      }

      const due = fractions.filter((f) => !done.has(f) && spent(budget, counters) >= f * budget.amount);
      if (due.length) {
        const validLoss = validationLoss(kit, model, objective, validBatches, head);
        for (const f of due) {
          const { dir, info } = await save(fractionDirName(f), {
            fraction: f,
            eval: { validLoss, validBatches: validBatches.length },
          });
          done.add(f);
          if (!opts.quiet) {
            console.error(
              `checkpoint ${dir}: ${(f * 100).toFixed(1)}% of budget, step ${info.counters.step}, valid loss ${
                validLoss.toFixed(4)
              }`,
            );
          }
        }
        await writeCheckpointsCsv(checkpointsCsv, await rowsFromDisk());
      } else if (opts.ckptEvery > 0 && counters.step % opts.ckptEvery === 0) {
        await save("latest");
      }
      if (opts.stopAfterSteps !== undefined && counters.step >= opts.stopAfterSteps && !finished) {
        return {
          status: "stopped",
          counters,
          resumedFromStep,
          checkpoints: await rowsFromDisk(),
          plannedSteps,
          discarded,
        };
      }
    }
    // A rolling checkpoint older than the final one is no longer needed.
    await discardCheckpoint(join(ckptRoot, "latest"));
    return { status: "done", counters, resumedFromStep, checkpoints: await rowsFromDisk(), plannedSteps, discarded };
  } finally {
    optimizer.dispose();
    if (model.dispose) model.dispose();
    else for (const p of model.params.values()) p.dispose();
  }
}
