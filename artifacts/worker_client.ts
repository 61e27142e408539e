/**
 * Runs a stage in a child process (artifacts/worker.ts): the job (module, spec, inputs, out) goes in a
 * file in the partial folder, progress comes back as JSON lines on the child's stdout, and everything
 * the stage prints goes to stage.log beside its output. The child ends itself when its parent dies.
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.ts";
import { writeJsonAtomic } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import type { Stage, StageIO } from "./stage.ts";

/** What the worker reads. */
export interface WorkerJob {
  /** The stage's module, relative to the repository root. */
  module: string;
  spec: unknown;
  inputs: Record<string, string>;
  out: string;
  cacheDir: string;
}

/** One line of the worker's stdout. */
export type WorkerEvent =
  | { fraction: number }
  | { say: string }
  | { details: unknown }
  | { error: string; input: boolean };

/** The file the stage's output (stdout and stderr of its code) goes to. */
export const STAGE_LOG = "stage.log";

/** The children running now, so a signal handler can end them. */
const running = new Set<Deno.ChildProcess>();

/** Kills every worker this process started (for SIGINT/SIGTERM handlers). */
export function killWorkers(): void {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }
}

/** Runs `stage.run(spec, io)` in a worker; returns its details, or throws its error (an InputError stays one). */
export async function runInWorker<S>(stage: Stage<S>, spec: S, io: StageIO): Promise<unknown> {
  const jobFile = join(io.out, ".job.json");
  const job: WorkerJob = {
    module: relative(REPO_ROOT, fileURLToPath(stage.module)),
    spec,
    inputs: io.inputs,
    out: io.out,
    cacheDir: io.cacheDir,
  };
  await writeJsonAtomic(jobFile, job);
  const log = await Deno.open(join(io.out, STAGE_LOG), { create: true, append: true });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "artifacts", "worker.ts"), jobFile],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  running.add(child);
  let details: unknown = null;
  let failure: { error: string; input: boolean } | null = null;
  const events = async () => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of child.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        let e: WorkerEvent;
        try {
          e = JSON.parse(line);
        } catch {
          await log.write(new TextEncoder().encode(line + "\n"));
          continue;
        }
        if ("fraction" in e) io.progress.fraction(e.fraction);
        else if ("say" in e) io.progress.say(e.say);
        else if ("details" in e) details = e.details;
        else if ("error" in e) failure = e;
      }
    }
  };
  const errors = async () => {
    for await (const chunk of child.stderr) await log.write(chunk);
  };
  try {
    const [status] = await Promise.all([child.status, events(), errors()]);
    if (failure) {
      const f = failure as { error: string; input: boolean };
      if (f.input) throw new InputError(f.error);
      throw new Error(`${f.error} (log: ${join(io.out, STAGE_LOG)})`);
    }
    if (!status.success) {
      const tail = (await Deno.readTextFile(join(io.out, STAGE_LOG))).split("\n").slice(-12).join("\n");
      throw new Error(
        `${stage.kind} worker exited with ${status.code}${status.signal ? ` (${status.signal})` : ""}; ` +
          `log ${join(io.out, STAGE_LOG)}:\n${tail}`,
      );
    }
    return details;
  } finally {
    running.delete(child);
    log.close();
  }
}
