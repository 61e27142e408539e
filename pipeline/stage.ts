/**
 * Stages and their execution. A stage's key is the hash of its kind, its settings and the keys of the
 * stages it reads, so changing a setting changes the key of that stage and of everything downstream,
 * and nothing else. A stage writes into `<folder>.partial` and becomes `<folder>` by one rename once
 * complete (with its stage.json): a finished folder is skipped, a partial one is redone, or resumed
 * where the stage can resume (pretraining). Every start, skip and finish is appended to stages.jsonl.
 */
import { join } from "node:path";
import { settingsHash } from "../train/run_manifest.ts";
import { InputError } from "../util/errors.ts";
import { exists, writeJsonAtomic } from "../util/fs.ts";
import { endStaleChild, isOurProcess } from "./child.ts";
import type { Progress } from "./progress.ts";

/** What a stage's body gets. */
export interface StageContext {
  /** The folder to write into (the partial folder; renamed when the body returns). */
  dir: string;
  /** Final folders of the stages it reads, by id. */
  inputs: Record<string, string>;
  /** Report how far the stage is (0..1). */
  progress: (fraction: number) => void;
  /** Print a line without breaking the progress display. */
  say: (text: string) => void;
}

/** One unit of work. */
export interface Stage {
  /** Unique id, `kind/name`, e.g. "pretrain/encoder-cwt-s0"; the name (made file-safe) starts the folder name. */
  id: string;
  kind: string;
  /** Label of the run within the kind, e.g. "encoder-cwt-s0". */
  run: string;
  /** Everything that changes the stage's output, besides its inputs. */
  settings: unknown;
  /** Ids of the stages it reads (they come earlier in the list). */
  inputs: string[];
  /** Seconds it should take at the profile's speeds (for the ETA). */
  estimateSeconds: number;
  /** A partial folder left by a killed run is kept and the body resumes in it (else it is emptied). */
  resumable?: boolean;
  execute(ctx: StageContext): Promise<void>;
}

/** A stage with its key and folders. */
export interface KeyedStage extends Stage {
  key: string;
  dir: string;
}

/** stage.json, written last into a finished stage folder. */
export interface StageRecord {
  format: "headless-bench-stage/1";
  id: string;
  key: string;
  settings: unknown;
  inputs: Record<string, string>;
  startedAt: string;
  endedAt: string;
  seconds: number;
  invocation: string;
}

/** A stage failed: names it and where its partial output (and stage.log) is. */
export class StageError extends Error {
  constructor(readonly stageId: string, readonly dir: string, cause: Error) {
    super(`stage ${stageId} failed (partial output in ${dir}): ${cause.message}`, { cause });
    this.name = "StageError";
  }
}

/** Stage keys in list order; an input that is not an earlier stage is an error. */
export function keyStages(stages: readonly Stage[], stagesRoot: string): KeyedStage[] {
  const keys = new Map<string, string>();
  const out: KeyedStage[] = [];
  for (const s of stages) {
    if (keys.has(s.id)) throw new Error(`duplicate stage id ${s.id}`);
    const inputKeys = Object.fromEntries(s.inputs.map((id) => {
      const k = keys.get(id);
      if (!k) throw new Error(`stage ${s.id} reads ${id}, which is not an earlier stage`);
      return [id, k];
    }));
    const key = settingsHash({ kind: s.kind, settings: s.settings, inputs: inputKeys });
    keys.set(s.id, key);
    out.push({
      ...s,
      key,
      dir: join(stagesRoot, s.kind, `${s.id.slice(s.id.indexOf("/") + 1).replace(/[^A-Za-z0-9._-]/g, "_")}-${key}`),
    });
  }
  return out;
}

/** What `runStages` did. */
export interface RunSummary {
  invocation: string;
  ran: string[];
  skipped: string[];
  resumed: string[];
  stages: KeyedStage[];
}

/** One line of stages.jsonl. */
export interface StageEvent {
  invocation: string;
  at: string;
  id: string;
  key: string;
  event: "start" | "resume" | "skip" | "done" | "fail";
  seconds?: number;
  error?: string;
}

/** Reads stages.jsonl of `outDir` (empty when absent). */
export async function readStageEvents(outDir: string): Promise<StageEvent[]> {
  const path = join(outDir, "stages.jsonl");
  if (!(await exists(path))) return [];
  return (await Deno.readTextFile(path)).split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** True when the stage's finished folder is there. */
export function isDone(stage: KeyedStage): Promise<boolean> {
  return exists(join(stage.dir, "stage.json"));
}

/** Takes `outDir`/.lock for this process; another live run holding it is an InputError. */
export async function lockOutDir(outDir: string): Promise<() => Promise<void>> {
  const lock = join(outDir, ".lock");
  await Deno.mkdir(outDir, { recursive: true });
  if (await exists(lock)) {
    const pid = Number((await Deno.readTextFile(lock)).trim());
    if (pid !== Deno.pid && (await isOurProcess(pid, "reproduce.ts"))) {
      throw new InputError(`another reproduce run (pid ${pid}) is using this folder; wait for it or stop it`, outDir);
    }
  }
  await Deno.writeTextFile(lock, `${Deno.pid}\n`);
  return () => Deno.remove(lock).catch(() => {});
}

/** Runs the stages in order, skipping finished ones. */
export async function runStages(
  stages: readonly KeyedStage[],
  outDir: string,
  progress: Progress,
): Promise<RunSummary> {
  const invocation = `${new Date().toISOString()}-${Deno.pid}`;
  const eventsPath = join(outDir, "stages.jsonl");
  const log = async (e: Omit<StageEvent, "invocation" | "at">) =>
    await Deno.writeTextFile(eventsPath, JSON.stringify({ invocation, at: new Date().toISOString(), ...e }) + "\n", {
      append: true,
    });
  const summary: RunSummary = { invocation, ran: [], skipped: [], resumed: [], stages: [...stages] };
  const dirs = new Map(stages.map((s) => [s.id, s.dir]));
  for (const [i, stage] of stages.entries()) {
    if (await isDone(stage)) {
      summary.skipped.push(stage.id);
      await log({ id: stage.id, key: stage.key, event: "skip" });
      progress.skip(stage.kind, stage.estimateSeconds);
      continue;
    }
    progress.start(i + 1, stage.kind, stage.run, stage.estimateSeconds);
    const partial = `${stage.dir}.partial`;
    const stale = await endStaleChild(partial);
    if (stale) progress.message(`ended pid ${stale}, left running by a killed run of ${stage.id}`);
    const resuming = stage.resumable === true && (await exists(partial));
    if (!resuming) await Deno.remove(partial, { recursive: true }).catch(() => {});
    await Deno.mkdir(partial, { recursive: true });
    if (resuming) summary.resumed.push(stage.id);
    await log({ id: stage.id, key: stage.key, event: resuming ? "resume" : "start" });
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    try {
      await stage.execute({
        dir: partial,
        inputs: Object.fromEntries(stage.inputs.map((id) => [id, dirs.get(id)!])),
        progress: (f) => progress.update(f),
        say: (t) => progress.message(t),
      });
    } catch (e) {
      await log({ id: stage.id, key: stage.key, event: "fail", error: (e as Error).message.slice(0, 2000) });
      if (e instanceof InputError) throw e;
      throw new StageError(stage.id, partial, e as Error);
    }
    const seconds = (performance.now() - t0) / 1000;
    const record: StageRecord = {
      format: "headless-bench-stage/1",
      id: stage.id,
      key: stage.key,
      settings: stage.settings,
      inputs: Object.fromEntries(stage.inputs.map((id) => [id, dirs.get(id)!])),
      startedAt,
      endedAt: new Date().toISOString(),
      seconds: Number(seconds.toFixed(3)),
      invocation,
    };
    await writeJsonAtomic(join(partial, "stage.json"), record);
    await Deno.rename(partial, stage.dir);
    summary.ran.push(stage.id);
    await log({ id: stage.id, key: stage.key, event: "done", seconds: record.seconds });
    progress.finish();
  }
  return summary;
}
