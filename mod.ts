/**
 * headless-bench: the public library API, one namespace per stage of the pipeline.
 *
 * ```ts
 * import { models, train } from "./mod.ts";
 * const config = models.loadModelConfig("dec-small");
 * ```
 */
export * as backends from "./backends/mod.ts";
export * as data from "./data/mod.ts";
export * as evals from "./evals/mod.ts";
export * as hfExport from "./export/mod.ts";
export * as kernels from "./kernels/mod.ts";
export * as models from "./models/mod.ts";
export * as reports from "./reports/mod.ts";
export * as results from "./results/mod.ts";
export * as stats from "./stats/mod.ts";
export * as tokenizer from "./tokenizer/mod.ts";
export * as train from "./train/mod.ts";
export { VERSION } from "./util/version.ts";
