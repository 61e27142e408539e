/**
 * A reproduction's output folder: reproduce writes only into an empty folder or one of its own (marked by
 * its stages/ folder, stages.jsonl or a manifest.json of its format), and holds the folder's lock while it runs.
 */
import { join } from "node:path";
import { STAGE_EVENTS_FILE } from "../artifacts/stage_events.ts";
import { InputError } from "../util/errors.ts";
import { acquireLock, type Lock } from "../util/lock.ts";
import { REPRODUCE_FORMAT } from "./manifest.ts";

/** What a reproduction leaves in its folder. */
const OWN = new Set([
  "stages",
  STAGE_EVENTS_FILE,
  "manifest.json",
  "results.csv",
  "summary.csv",
  "report.md",
  "plots",
  ".lock",
]);

/** True when `outDir` holds a reproduction's files (or nothing). */
async function isOurs(outDir: string): Promise<boolean> {
  const names: string[] = [];
  for await (const e of Deno.readDir(outDir)) names.push(e.name);
  if (names.length === 0) return true;
  try {
    const manifest = JSON.parse(await Deno.readTextFile(join(outDir, "manifest.json")));
    if (manifest?.format === REPRODUCE_FORMAT) return true;
  } catch { /* no manifest */ }
  return (names.includes("stages") || names.includes(STAGE_EVENTS_FILE)) && names.every((n) => OWN.has(n));
}

/** Creates (or checks) `outDir` and takes its lock; a folder that is not a reproduction's is an InputError. */
export async function claimOutFolder(outDir: string): Promise<Lock> {
  await Deno.mkdir(outDir, { recursive: true });
  if (!(await isOurs(outDir))) {
    throw new InputError(
      `the output folder is not empty and holds no reproduction (no stages/ or manifest.json of ${REPRODUCE_FORMAT}): ` +
        `use an empty or new --out`,
      outDir,
    );
  }
  return await acquireLock(outDir, { command: "reproduce" });
}
