/**
 * Folder locks: `<folder>/.lock`, created exclusively, holding the owner's pid and a random token.
 * (Provisional: replaced by the full implementation with stale-lock takeover.)
 */
import { join } from "node:path";
import { InputError } from "./errors.ts";

/** A held lock. */
export interface Lock {
  /** Removes the lock if this owner still holds it; safe to call twice. */
  release(): Promise<void>;
}

/** Takes `<dir>/.lock` for this process; a live other owner is an InputError naming the folder. */
export async function acquireLock(dir: string, what: string): Promise<Lock> {
  const path = join(dir, ".lock");
  const token = crypto.randomUUID();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const f = await Deno.open(path, { createNew: true, write: true });
      await f.write(new TextEncoder().encode(JSON.stringify({ pid: Deno.pid, token, what }) + "\n"));
      f.close();
      let held = true;
      return {
        release: async () => {
          if (!held) return;
          held = false;
          try {
            const now = JSON.parse(await Deno.readTextFile(path));
            if (now.token === token) await Deno.remove(path);
          } catch { /* gone */ }
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      let holder: { pid?: number } = {};
      try {
        holder = JSON.parse(await Deno.readTextFile(path));
      } catch { /* being written */ }
      if (holder.pid && alive(holder.pid)) {
        throw new InputError(`in use by process ${holder.pid}; wait for it to end, or stop it`, dir);
      }
      await Deno.remove(path).catch(() => {});
    }
  }
  throw new InputError(`could not take the lock`, dir);
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
