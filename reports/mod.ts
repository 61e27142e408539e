/**
 * The report layer: result rows (results.csv), summaries and paper-shaped tables, compute-to-match,
 * offline SVG plots, report.md, and the diff of two result sets.
 */
export * from "./rows.ts";
export * from "./summary.ts";
export * from "./compute_to_match.ts";
export * from "./plots.ts";
export * from "./markdown.ts";
export * from "./build_report.ts";
export * from "./diff.ts";
export * from "./xnli_table.ts";
export * from "./paper_results.ts";
