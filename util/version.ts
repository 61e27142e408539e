/** The project's version (deno.json "version") and, in a git checkout, the commit it runs from. */
import denoJson from "../deno.json" with { type: "json" };
import { REPO_ROOT } from "./paths.ts";

/** The release version, from deno.json. */
export const VERSION: string = denoJson.version;

/** Output of `git ARGS` run in `dir`, trimmed; null where git is missing or `dir` is not a checkout. */
function git(dir: string, ...args: string[]): string | null {
  try {
    const out = new Deno.Command("git", { args: ["-C", dir, ...args], stdout: "piped", stderr: "null" }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null; // git not installed
  }
}

/** The checkout's commit (12 hex digits), with "-modified" when tracked files differ from it; null outside git. */
export function gitCommit(dir: string = REPO_ROOT): string | null {
  const [top, commit] = git(dir, "rev-parse", "--show-toplevel", "--short=12", "HEAD")?.split("\n") ?? [];
  // A copy of the tree inside some other repository is not a checkout of this project.
  if (!commit || Deno.realPathSync(top) !== Deno.realPathSync(dir)) return null;
  const changes = git(dir, "status", "--porcelain", "--untracked-files=no");
  return changes ? `${commit}-modified` : commit;
}

/** What `--version` prints: "headless-bench 0.1.0" and, in a git checkout, " (commit 1a2b3c4d5e6f)". */
export function versionLine(dir: string = REPO_ROOT): string {
  const commit = gitCommit(dir);
  return `headless-bench ${VERSION}${commit ? ` (commit ${commit})` : ""}`;
}
