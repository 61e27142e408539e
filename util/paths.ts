/** Where the project keeps things on disk. */
import { join, resolve } from "node:path";
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
