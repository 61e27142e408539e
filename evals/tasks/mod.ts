/** The task registry: one JSON file per task (evals/tasks/GROUP/NAME.json), read and checked by registry.ts. */
export * from "./registry.ts";
