/**
 * Folder locks, one implementation for the whole project: `FOLDER/.lock` names its owner (pid, the
 * process's start time from /proc, host, a random token, the command).
 *
 * - Acquire is create-exclusive: the lock's text is written to a temporary file and hard-linked to
 *   `.lock`, which fails when `.lock` exists; so a lock file is never seen half written.
 * - A lock whose owner is gone (no such pid, a zombie, or the pid reused by a process that started at
 *   another time) is stale. Judging and removing a stale lock happen under an exclusive flock on the
 *   folder itself, so of two processes taking over one stale lock only one removes it, and neither can
 *   remove a lock created after it judged (only the create-exclusive step decides who wins). The kernel
 *   drops a flock when its process dies, so the guard itself can never go stale.
 * - Release removes `.lock` only while it still holds the owner's token.
 *
 * Liveness needs Linux's /proc; elsewhere, or for a lock taken on another host, a lock is taken as live
 * and the error says to remove it by hand once its owner is gone.
 */
import { join } from "node:path";
import { InputError } from "./errors.ts";

/** The lock file's name inside the locked folder. */
export const LOCK_FILE = ".lock";

/** What a lock file says about its owner. */
export interface LockOwner {
  pid: number;
  /** Start time of the process (/proc/PID/stat field 22, clock ticks since boot); "" where unknown. */
  processStart: string;
  host: string;
  /** Random, per acquisition: what release checks. */
  token: string;
  command: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** A held lock. */
export interface Lock {
  /** The lock file. */
  readonly path: string;
  readonly owner: LockOwner;
  /** True while `.lock` still holds this lock's token. */
  held(): Promise<boolean>;
  /** Removes `.lock` if it still holds this lock's token; a second call, or a folder gone meanwhile, does nothing. */
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link acquireLock}. */
export interface AcquireOptions {
  /** What the owner is doing, shown to whoever finds the folder locked (default: this process's arguments). */
  command?: string;
  /** Called once when a stale lock is taken over, with the dead owner. */
  onStale?: (owner: LockOwner | null) => void;
}

/**
 * Takes `folder`/.lock for this process (creating the folder), taking over a stale lock. A lock held by
 * a live owner is a {@link LockHeldError} naming the folder, the owner's pid and command, and what to do.
 */
export async function acquireLock(folder: string, options: AcquireOptions = {}): Promise<Lock> {
  await Deno.mkdir(folder, { recursive: true });
  const path = join(folder, LOCK_FILE);
  const owner: LockOwner = {
    pid: Deno.pid,
    processStart: await processStart(Deno.pid) ?? "",
    host: Deno.hostname(),
    token: crypto.randomUUID(),
    command: options.command ?? [Deno.mainModule.split("/").at(-1) ?? "", ...Deno.args].join(" ").trim(),
    since: new Date().toISOString(),
  };
  // Each round either creates the lock, fails on a live owner, or removes a stale lock; a stale lock
  // reappearing that often means something else keeps writing junk locks.
  for (let round = 0; round < 100; round++) {
    if (await createExclusive(path, JSON.stringify(owner) + "\n")) return heldLock(folder, path, owner);
    const verdict = await withFolderGuard(folder, async () => {
      const text = await readIfExists(path);
      if (text === null) return "retry";
      const found = parseOwner(text);
      if (found !== null && await isAlive(found)) return found;
      await Deno.remove(path);
      options.onStale?.(found);
      return "retry";
    });
    if (verdict !== "retry") throw heldError(folder, verdict);
  }
  throw new InputError(`could not take ${path}: it kept reappearing; remove it by hand if no run uses the folder`);
}

/** The owner named by `folder`/.lock, or null when there is none (or it is unreadable). */
export async function readLockOwner(folder: string): Promise<LockOwner | null> {
  const text = await readIfExists(join(folder, LOCK_FILE));
  return text === null ? null : parseOwner(text);
}

/** True when the owner's process still runs (same pid, same start time); true where that cannot be judged. */
export async function isAlive(owner: LockOwner): Promise<boolean> {
  if (owner.host !== "" && owner.host !== Deno.hostname()) return true;
  if (!(await procAvailable())) return true;
  const start = await processStart(owner.pid);
  if (start === null) return false;
  return owner.processStart === "" || owner.processStart === start;
}

function heldLock(folder: string, path: string, owner: LockOwner): Lock {
  let released = false;
  const held = async () => {
    const text = await readIfExists(path);
    return text !== null && parseOwner(text)?.token === owner.token;
  };
  const release = async () => {
    if (released) return;
    released = true;
    try {
      await withFolderGuard(folder, async () => {
        if (await held()) await Deno.remove(path);
      });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // the folder is gone, and its lock with it
    }
  };
  return { path, owner, held, release, [Symbol.asyncDispose]: release };
}

/** A lock held by a live owner: one line naming the folder, the owner and what to do. */
export class LockHeldError extends InputError {
  constructor(message: string, folder: string, readonly owner: LockOwner) {
    super(message, folder);
    this.name = "LockHeldError";
  }
}

function heldError(folder: string, owner: LockOwner): LockHeldError {
  const where = owner.host === Deno.hostname() ? "" : ` on host ${owner.host}`;
  return new LockHeldError(
    `in use by pid ${owner.pid}${where} (${owner.command || "unknown command"}, since ${owner.since}); ` +
      `wait for it to finish or stop it (kill ${owner.pid}), then run again; if no such process exists, ` +
      `remove ${join(folder, LOCK_FILE)}`,
    folder,
    owner,
  );
}

/** Hard-links a fully written temporary file to `path`; false when `path` exists. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text, { createNew: true });
  try {
    await Deno.link(tmp, path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Runs `fn` holding an exclusive flock on the folder (released by the kernel if this process dies). */
async function withFolderGuard<T>(folder: string, fn: () => Promise<T>): Promise<T> {
  using dir = await Deno.open(folder, { read: true });
  await dir.lock(true);
  try {
    return await fn();
  } finally {
    await dir.unlock();
  }
}

/** A lock file's owner; a bare pid (older lock files) is an owner with no token; junk is null. */
function parseOwner(text: string): LockOwner | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    return { pid: Number(trimmed), processStart: "", host: "", token: "", command: "", since: "unknown" };
  }
  try {
    const o = JSON.parse(trimmed);
    if (!Number.isInteger(o?.pid) || typeof o.token !== "string") return null;
    return {
      pid: o.pid,
      processStart: String(o.processStart ?? ""),
      host: String(o.host ?? ""),
      token: o.token,
      command: String(o.command ?? ""),
      since: String(o.since ?? "unknown"),
    };
  } catch {
    return null;
  }
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

let procChecked: boolean | undefined;
async function procAvailable(): Promise<boolean> {
  procChecked ??= (await readIfExists("/proc/self/stat")) !== null;
  return procChecked;
}

/** Field 22 of /proc/PID/stat (start time); null when there is no such process or it is a zombie. */
async function processStart(pid: number): Promise<string | null> {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let stat: string | null;
  try {
    stat = await readIfExists(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  if (stat === null) return null;
  // "PID (comm) STATE ...": comm may hold spaces and parentheses, so split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return null;
  return fields[19] ?? null;
}
