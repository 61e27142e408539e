/**
 * The report layer: summaries and paper-shaped tables with their references, the Findings (comparisons with
 * intervals and compute to match), offline SVG plots, report.md, and the diff of two result sets. The rows
 * themselves live in results/, the statistics in stats/.
 */
export * from "./summary.ts";
export * from "./evidence.ts";
export * from "./findings.ts";
export * from "./findings_table.ts";
export * from "./plots.ts";
export * from "./markdown.ts";
export * from "./build_report.ts";
export * from "./diff.ts";
export * from "./xnli_table.ts";
export * from "./training_log.ts";
export * from "./paper_results.ts";
