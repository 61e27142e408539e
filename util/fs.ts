/** Small file helpers: atomic writes, existence and writability checks, sha256. */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";

/** True when `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** True when `dir` exists and takes a new file (probed, then removed; nothing is created otherwise). */
export async function takesFiles(dir: string): Promise<boolean> {
  const probe = join(dir, `.write-probe-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
  try {
    await Deno.writeTextFile(probe, "", { createNew: true });
    await Deno.remove(probe);
    return true;
  } catch {
    return false;
  }
}

/** The name writeFileAtomic writes `path` under before renaming it into place: PATH.PID.HEX8.tmp. */
const ATOMIC_TEMP = /^(.*)\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * For the name of a temporary file writeFileAtomic left behind (its process killed between the write and
 * the rename), the name of the file it was writing; else null.
 */
export function atomicWriteTarget(name: string): string | null {
  return ATOMIC_TEMP.exec(name)?.[1] ?? null;
}

/** Writes `data` to `path` through a temporary file and a rename, so a crash never leaves half a file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Writes `value` as pretty JSON, atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Hex sha256 of bytes or a string. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hex sha256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
