/** Data: pretraining corpora, evaluation-data loaders (GLUE, LAMBADA, XNLI, BLiMP, custom tasks), the data cache and its downloader. */
export * from "./blimp.ts";
export * from "./cache.ts";
export * from "./corpus.ts";
export * from "./download.ts";
export * from "./glue.ts";
export * from "./lambada.ts";
export * from "./sources.ts";
export * from "./task_spec.ts";
export * from "./tsv.ts";
export * from "./xnli.ts";
