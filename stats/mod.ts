/**
 * Statistics for comparisons a reader can trust: the seeded percentile bootstrap, the hierarchical
 * resampling of pretraining seeds × fine-tuning seeds × examples (paired across arms), differences with a
 * verdict, and compute to match from a fit of score against log-compute.
 */
export * from "./bootstrap.ts";
export * from "./example_metric.ts";
export * from "./hierarchical.ts";
export * from "./compare.ts";
export * from "./compute_fit.ts";
