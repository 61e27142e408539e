/**
 * The artifact store: every stage's output folder is named by the hash of what made it (stage kind,
 * spec, input keys, code version), built under a lock in a partial folder and renamed into place with
 * its record (artifact.json, the sha256 of every file). Stages run in-process or in a worker process.
 */
export * from "./hash.ts";
export * from "./code_version.ts";
export * from "./record.ts";
export * from "./stage.ts";
export * from "./store.ts";
export { killWorkers, runInWorker, STAGE_LOG } from "./worker_client.ts";
