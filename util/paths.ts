/** Where the project keeps things on disk. */
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding deno.json). */
export const REPO_ROOT: string = resolve(fileURLToPath(new URL("..", import.meta.url)));

/** The shared read-only data mirror beside the repository, used by CI and tests when present. */
export const SHARED_DATA_DIR: string = join(REPO_ROOT, "..", "shared", "data");

/** Default home for caches: $XDG_CACHE_HOME/headless-bench or ~/.cache/headless-bench. */
export function cacheHome(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? ".";
  return join(xdg ?? join(home, ".cache"), "headless-bench");
}

/**
 * A path as it may be written into a committed artifact: relative to `base` (an output folder) when inside
 * it, else relative to the repository when inside it or beside it (`../shared/data`), else with the home
 * folder written `~`; never this machine's absolute path where one of those applies.
 */
export function portablePath(path: string, base: string = REPO_ROOT): string {
  const abs = resolve(path);
  const inside = (root: string) => abs === root || abs.startsWith(root + sep);
  if (inside(resolve(base))) return relative(resolve(base), abs) || ".";
  if (inside(dirname(REPO_ROOT))) return relative(REPO_ROOT, abs) || ".";
  const home = Deno.env.get("HOME");
  if (home && inside(resolve(home))) return "~" + abs.slice(resolve(home).length);
  return abs;
}
