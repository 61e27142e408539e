/**
 * Comparison designs: how the runs of one comparison are matched. A design fixes the budget mode (equal
 * FLOPs, equal tokens as the paper's Table 1 row 2 and Table 3, or equal seconds of training on this
 * machine, the analogue of its GPU-hours) and where the softmax baseline's head computes logits (`sparse`:
 * the masked positions only; `dense`: every position, as BertForMaskedLM, the paper's baseline); it may
 * also change the vocabulary size or the batch size (the paper's sweeps). Every design plans all
 * objectives and seeds; runs are partners when they share design, architecture and seed.
 */
import type { HeadMode } from "../models/objective_names.ts";
import type { BudgetMode } from "./budget.ts";

/** A design as a profile writes it (pretrain.designs[i]). */
export interface DesignProfile {
  /** Its name in labels and result rows (default: derived from the settings, e.g. "tokens-dense"). */
  name?: string;
  budget: BudgetMode;
  head: HeadMode;
  /** A tokenizer of this size instead of tokenizer.vocabSize (the vocabulary sweep). */
  vocabSize?: number;
  /** Sequences per micro-batch instead of the architecture's batch (the batch-size sweep). */
  batch?: number;
}

/** The design of a profile without pretrain.designs: matched FLOPs, sparse head (what was always run). */
export const DEFAULT_DESIGN: DesignProfile = { budget: "flops", head: "sparse" };
export const DEFAULT_DESIGNS: readonly DesignProfile[] = [DEFAULT_DESIGN];

/** The name of a design: its own, or "<budget>-<head>[-v<vocab>][-b<batch>]". */
export function designName(d: DesignProfile): string {
  return d.name ??
    [d.budget, d.head, ...(d.vocabSize ? [`v${d.vocabSize}`] : []), ...(d.batch ? [`b${d.batch}`] : [])].join("-");
}

/**
 * True for the default design with nothing changed: its runs keep the labels and specs they had before
 * designs existed (no design suffix, no design field), so their stages are found again.
 */
export function isDefaultDesign(d: DesignProfile): boolean {
  return d.name === undefined && d.budget === "flops" && d.head === "sparse" && d.vocabSize === undefined &&
    d.batch === undefined;
}
