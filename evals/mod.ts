/**
 * Evaluation scoring: GLUE metrics and averages, LAMBADA and zero-shot multiple choice as
 * lm-evaluation-harness scores them, and the length groups that fine-tuning and scoring batch by. The GLUE fine-tuning losses live in ./balanced_ce.ts; import that
 * file directly (it loads TensorFlow.js, which the pure scoring functions here do not need).
 */
export * from "./metrics.ts";
export * from "./glue_score.ts";
export * from "./lambada.ts";
export * from "./multiple_choice.ts";
export * from "./majority.ts";
export * from "./length_groups.ts";
export * from "./tasks/mod.ts";
