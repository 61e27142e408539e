/**
 * The run's event log, stages.jsonl: one JSON line per stage start, resume, skip, finish or failure,
 * appended by pipeline/run_plan.ts and read back by the tests and by the report's wall time by part
 * (reports/wall_time.ts). One reader for both, so a malformed line is the same one-line error everywhere.
 */
import { join } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";

/** The log's file name inside a run's output folder. */
export const STAGE_EVENTS_FILE = "stages.jsonl";

/** One line of stages.jsonl. */
export interface StageEvent {
  /** The `reproduce` invocation that wrote it: its start time and process id. */
  invocation: string;
  at: string;
  id: string;
  key: string;
  event: "start" | "resume" | "skip" | "done" | "fail";
  seconds?: number;
  error?: string;
}

/** Parses stages.jsonl text; a bad line is an InputError naming the file and line. */
export function parseStageEvents(text: string, file: string): StageEvent[] {
  return text.split("\n").flatMap((line, i) => {
    if (!line.trim()) return [];
    try {
      const e = JSON.parse(line);
      if (typeof e.id !== "string" || typeof e.event !== "string") throw new Error("no id or event");
      return [e as StageEvent];
    } catch (err) {
      throw new InputError(`not a stage event (${(err as Error).message})`, file, i + 1);
    }
  });
}

/** The events of the run folder `outDir` (none when it has no log yet). */
export async function readStageEvents(outDir: string): Promise<StageEvent[]> {
  const path = join(outDir, STAGE_EVENTS_FILE);
  if (!(await exists(path))) return [];
  return parseStageEvents(await Deno.readTextFile(path), path);
}

/** Appends one event to the log of `outDir`. */
export async function appendStageEvent(outDir: string, event: StageEvent): Promise<void> {
  await Deno.writeTextFile(join(outDir, STAGE_EVENTS_FILE), JSON.stringify(event) + "\n", { append: true });
}
