/**
 * The result files every stage writes and every report reads: results.csv (one tidy row per measured
 * value), examples.csv (one line per scored example), timings.csv (wall-clock per measurement), the CSV
 * helpers behind them, and results.json in lm-evaluation-harness's shape.
 */
export * from "./csv.ts";
export * from "./vocabulary.ts";
export * from "./rows.ts";
export * from "./legacy.ts";
export * from "./task_splits.ts";
export * from "./timings.ts";
export * from "./examples.ts";
