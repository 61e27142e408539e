/** The models: configs, the accelerator hook, fast ops, the transformer, objectives, batches and FLOPs. */
export * from "./config.ts";
export * from "./accelerator.ts";
export * from "./ops.ts";
export * from "./transformer.ts";
export * from "./objectives.ts";
export * from "./masking.ts";
export * from "./batches.ts";
export * from "./flops.ts";
