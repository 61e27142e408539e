/**
 * The names of the pretraining objectives and softmax head modes, and what each implies for the model,
 * without the tensor code (models/objectives.ts), so that profiles, plans and the FLOP counter can
 * read them.
 */
import { InputError } from "../util/errors.ts";

/** The pretraining objectives. */
export const OBJECTIVES = ["softmax", "cwt", "ce+cwt", "nce-untied"] as const;
export type Objective = typeof OBJECTIVES[number];

/** Where the softmax head computes logits: the scored positions only, or every position. */
export const HEAD_MODES = ["sparse", "dense"] as const;
export type HeadMode = typeof HEAD_MODES[number];

/** True for objectives trained with a softmax (vocabulary) head: they have one to predict tokens with. */
export function hasSoftmaxHead(objective: Objective): boolean {
  return objective === "softmax" || objective === "ce+cwt";
}

/** True for objectives whose model has its own target embedding (`target.w`). */
export function hasTargetEmbedding(objective: Objective): boolean {
  return objective === "nce-untied";
}

/**
 * True for a recorded objective name (a checkpoint's) whose model has no softmax head: a headless
 * decoder needs an LM head (and an LM fine-tune) before it predicts tokens.
 */
export function isHeadless(objective: string): boolean {
  return objective === "cwt" || objective === "nce-untied";
}

/** Checks a head mode name (e.g. from a flag). */
export function parseHeadMode(name: string): HeadMode {
  if (!(HEAD_MODES as readonly string[]).includes(name)) {
    throw new InputError(`unknown softmax head mode ${JSON.stringify(name)}; expected one of ${HEAD_MODES.join(", ")}`);
  }
  return name as HeadMode;
}

/** Checks an objective name (e.g. from a flag). */
export function parseObjective(name: string): Objective {
  if (!(OBJECTIVES as readonly string[]).includes(name)) {
    throw new InputError(`unknown objective ${JSON.stringify(name)}; expected one of ${OBJECTIVES.join(", ")}`);
  }
  return name as Objective;
}
