/**
 * The pretraining loop: optimizer, schedule, clipping, data order, checkpoints, logs, budgets and
 * comparison designs, and the loop itself; the pretrain and init (random-init reference) stages.
 */
export * from "./adamw.ts";
export * from "./schedule.ts";
export * from "./clip.ts";
export * from "./optimizer_step.ts";
export * from "./grad_accum.ts";
export * from "./permutation.ts";
export * from "./token_stream.ts";
export * from "./batch_stream.ts";
export * from "./checkpoint.ts";
export * from "./kill_points.ts";
export * from "./log.ts";
export * from "./model_kit.ts";
export * from "./budget.ts";
export * from "./designs.ts";
export * from "./loop.ts";
export * from "./transformer_kit.ts";
export { type PretrainSpec, stage as pretrainStage } from "./pretrain_stage.ts";
export { type InitSpec, RANDOM_INIT, stage as initStage } from "./init_stage.ts";
