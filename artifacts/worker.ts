/**
 * The worker process of artifacts/worker_client.ts: `deno run -A artifacts/worker.ts JOB.json` loads the
 * stage exported as `stage` by the job's module and runs it on the job's spec. Its stdout carries only
 * JSON events (progress, details, the error); whatever the stage prints goes to stderr, which the parent
 * writes to stage.log. It exits when its parent process is gone, so a killed pipeline leaves no orphans.
 */
import { join } from "node:path";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";
import type { Stage } from "./stage.ts";
import type { WorkerEvent, WorkerJob } from "./worker_client.ts";

const encoder = new TextEncoder();
const emit = (e: WorkerEvent) => Deno.stdout.writeSync(encoder.encode(JSON.stringify(e) + "\n"));

async function main(): Promise<number> {
  const parent = Deno.ppid;
  setInterval(() => {
    if (Deno.ppid !== parent) Deno.exit(137);
  }, 500);
  console.log = console.error; // stdout is the event channel
  console.info = console.error;
  const job = JSON.parse(await Deno.readTextFile(Deno.args[0])) as WorkerJob;
  const { stage } = await import(join(REPO_ROOT, job.module)) as { stage: Stage<unknown> };
  try {
    const details = await stage.run(job.spec, {
      out: job.out,
      inputs: job.inputs,
      cacheDir: job.cacheDir,
      progress: { fraction: (f) => emit({ fraction: f }), say: (t) => emit({ say: t }) },
    });
    emit({ details: details ?? null });
    return 0;
  } catch (e) {
    const input = e instanceof InputError;
    if (!input) console.error(e);
    emit({ error: (e as Error).message ?? String(e), input });
    return input ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main());
