/**
 * Stage subprocesses: a `deno run -A SCRIPT ...` child whose output goes to a log file and whose pid
 * is written beside it, so a later run can end a child that outlived a killed parent (a SIGKILLed
 * process cannot take its children with it).
 */
import { join } from "node:path";
import { exists, writeFileAtomic } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";

/** Name of the pid file a running child leaves in its stage's partial folder. */
export const CHILD_PID_FILE = "child.pid";

/** The child currently running, so a signal handler can end it. */
let current: Deno.ChildProcess | null = null;

/** Kills the running child, if any (for SIGINT/SIGTERM handlers). */
export function killCurrentChild(): void {
  try {
    current?.kill("SIGKILL");
  } catch { /* already gone */ }
}

/** True when process `pid` is alive and its command line contains `marker`. */
export async function isOurProcess(pid: number, marker: string): Promise<boolean> {
  try {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    return cmdline.split("\0").some((arg) => arg.includes(marker));
  } catch {
    return false;
  }
}

/**
 * Ends a child left running by an earlier, killed run: the pid in `dir`/child.pid, if that process is
 * alive and its command line names `dir`. Waits until it is gone.
 */
export async function endStaleChild(dir: string): Promise<number | null> {
  const pidFile = join(dir, CHILD_PID_FILE);
  if (!(await exists(pidFile))) return null;
  const pid = Number((await Deno.readTextFile(pidFile)).trim());
  if (!Number.isSafeInteger(pid) || pid <= 0 || !(await isOurProcess(pid, dir))) return null;
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone meanwhile */ }
  for (let i = 0; i < 100 && (await isOurProcess(pid, dir)); i++) await new Promise((r) => setTimeout(r, 50));
  return pid;
}

/** What `runChild` needs. */
export interface ChildOptions {
  /** Script path relative to the repository root, then its arguments. */
  script: string;
  args: string[];
  /** The stage's partial folder: gets child.pid and stage.log. */
  dir: string;
  /** Called with each output line (stdout and stderr), e.g. for progress. */
  onLine?: (line: string) => void;
}

/** Runs a Deno script as a child; throws with the log's tail when it fails. */
export async function runChild(opts: ChildOptions): Promise<void> {
  const logPath = join(opts.dir, "stage.log");
  const log = await Deno.open(logPath, { create: true, append: true });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, opts.script), ...opts.args],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  current = child;
  await writeFileAtomic(join(opts.dir, CHILD_PID_FILE), `${child.pid}\n`);
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      await log.write(chunk);
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split(/\r?\n|\r/);
      pending = lines.pop()!;
      for (const l of lines) opts.onLine?.(l);
    }
    if (pending) opts.onLine?.(pending);
  };
  try {
    const [status] = await Promise.all([child.status, pump(child.stdout), pump(child.stderr)]);
    if (!status.success) {
      const tail = (await Deno.readTextFile(logPath)).split("\n").slice(-15).join("\n");
      throw new Error(
        `${opts.script} ${opts.args.join(" ")} exited with ${status.code}${
          status.signal ? ` (${status.signal})` : ""
        }; ` +
          `log ${logPath}:\n${tail}`,
      );
    }
  } finally {
    current = null;
    log.close();
    await Deno.remove(join(opts.dir, CHILD_PID_FILE)).catch(() => {});
  }
}
