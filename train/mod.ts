/** The pretraining loop: optimizer, schedule, clipping, data order, checkpoints, logs and the loop itself. */
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
export * from "./loop.ts";
export * from "./transformer_kit.ts";
