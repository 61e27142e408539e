/**
 * Runs a plan's stages in order through the artifact store (artifacts/store.ts). A stage's key is the hash
 * of its kind, its spec, its inputs' keys and its code version, so a changed setting changes the key of
 * that stage and of everything downstream, and nothing else. Its folder is `stages/<kind>/<label>-<key>`: a
 * finished folder is skipped, a partial one is redone, or resumed where the stage can resume (pretraining).
 * Every start, skip and finish is appended to stages.jsonl.
 */
import { join } from "node:path";
import { artifactKey, buildArtifact, type InputRef, PARTIAL_SUFFIX } from "../artifacts/store.ts";
import { keyOf } from "../artifacts/hash.ts";
import { readRecord } from "../artifacts/record.ts";
import { appendStageEvent, type StageEvent } from "../artifacts/stage_events.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import type { PlannedStage } from "./plan.ts";
import type { Progress } from "./progress.ts";

/** A planned stage with its key and folder. */
export interface KeyedStage extends PlannedStage {
  key: string;
  dir: string;
  /** Input folders and keys, resolved. */
  resolved: Record<string, InputRef>;
}

/** A stage failed: names it and where its partial output (and stage.log) is. */
export class StageError extends Error {
  constructor(readonly stageId: string, readonly dir: string, cause: Error) {
    super(`stage ${stageId} failed (partial output in ${dir}): ${cause.message}`, { cause });
    this.name = "StageError";
  }
}

/** Keys and folders of the stages in list order; an input that is not an earlier stage is an error. */
export async function keyStages(stages: readonly PlannedStage[], stagesRoot: string): Promise<KeyedStage[]> {
  const done = new Map<string, KeyedStage>();
  const out: KeyedStage[] = [];
  for (const s of stages) {
    if (done.has(s.id)) throw new Error(`duplicate stage id ${s.id}`);
    const resolved: Record<string, InputRef> = {};
    for (const [name, input] of Object.entries(s.inputs)) {
      if ("dir" in input) {
        resolved[name] = input;
        continue;
      }
      const from = done.get(input.stage);
      if (!from) throw new Error(`stage ${s.id} reads ${input.stage}, which is not an earlier stage`);
      resolved[name] = input.path
        ? { dir: join(from.dir, input.path), key: keyOf({ artifact: from.key, path: input.path }) }
        : { dir: from.dir, key: from.key };
    }
    const key = await artifactKey(
      s.stage,
      s.spec,
      Object.fromEntries(Object.entries(resolved).map(([n, r]) => [n, r.key!])),
    );
    const keyed = { ...s, key, resolved, dir: join(stagesRoot, s.stage.kind, `${safe(s.label)}-${key}`) };
    done.set(s.id, keyed);
    out.push(keyed);
  }
  return out;
}

const safe = (label: string) => label.replace(/[^A-Za-z0-9._-]/g, "_");

/** What `runStages` did. */
export interface RunSummary {
  invocation: string;
  ran: string[];
  skipped: string[];
  resumed: string[];
  stages: KeyedStage[];
}

/** True when the stage's finished folder is there. */
export async function isDone(stage: KeyedStage): Promise<boolean> {
  return (await readRecord(stage.dir).catch(() => null))?.key === stage.key;
}

/**
 * Removes partial folders of this plan's stages left under an older key (a setting or the code changed
 * since a run was killed): they can never be finished. Partial folders of other labels are left alone.
 */
export async function removeSupersededPartials(stages: readonly KeyedStage[], stagesRoot: string): Promise<string[]> {
  const removed: string[] = [];
  for (const kind of new Set(stages.map((s) => s.stage.kind))) {
    const dir = join(stagesRoot, kind);
    if (!(await exists(dir))) continue;
    const current = new Map(stages.filter((s) => s.stage.kind === kind).map((s) => [safe(s.label), s.key]));
    for await (const e of Deno.readDir(dir)) {
      const m = e.name.match(/^(.*)-([0-9a-f]{16})\.partial$/);
      if (!e.isDirectory || !m) continue;
      const key = current.get(m[1]);
      if (key !== undefined && key !== m[2]) {
        await Deno.remove(join(dir, e.name), { recursive: true });
        removed.push(join(kind, e.name));
      }
    }
  }
  return removed;
}

/** Runs the stages in order, skipping finished ones. */
export async function runStages(
  stages: readonly KeyedStage[],
  outDir: string,
  progress: Progress,
  cacheDir: string,
): Promise<RunSummary> {
  const invocation = `${new Date().toISOString()}-${Deno.pid}`;
  const log = (e: Omit<StageEvent, "invocation" | "at">) =>
    appendStageEvent(outDir, { invocation, at: new Date().toISOString(), ...e });
  const summary: RunSummary = { invocation, ran: [], skipped: [], resumed: [], stages: [...stages] };
  for (const [i, stage] of stages.entries()) {
    if (await isDone(stage)) {
      summary.skipped.push(stage.id);
      await log({ id: stage.id, key: stage.key, event: "skip" });
      progress.skip(stage.stage.kind, stage.estimateSeconds);
      continue;
    }
    progress.start(i + 1, stage.stage.kind, stage.label, stage.estimateSeconds);
    const claim = join(stage.dir + PARTIAL_SUFFIX, ".claim.json");
    const resuming = stage.stage.resumable === true && (await exists(claim)) &&
      JSON.parse(await Deno.readTextFile(claim)).key === stage.key;
    await log({ id: stage.id, key: stage.key, event: resuming ? "resume" : "start" });
    try {
      const built = await buildArtifact(stage.stage, stage.spec, stage.resolved, {
        out: stage.dir,
        cacheDir,
        isolate: stage.stage.isolate,
        progress: { fraction: (f) => progress.update(f), say: (t) => progress.message(t) },
      });
      if (built.status === "resumed") summary.resumed.push(stage.id);
      summary.ran.push(stage.id);
      await log({ id: stage.id, key: stage.key, event: "done", seconds: built.record.seconds });
    } catch (e) {
      await log({ id: stage.id, key: stage.key, event: "fail", error: String((e as Error).message).slice(0, 2000) });
      if (e instanceof InputError) throw e;
      throw new StageError(stage.id, stage.dir + PARTIAL_SUFFIX, e as Error);
    }
    progress.finish();
  }
  return summary;
}
