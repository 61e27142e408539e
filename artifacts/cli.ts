/**
 * What every CLI in tasks/ does with the spec it parsed: build the stage's artifact in the folder given by
 * --out, or by default in runs/<kind>/<label>-<key>, printing what the store did.
 */
import { REPO_ROOT } from "../util/paths.ts";
import { type StageIO, STDERR } from "./stage.ts";
import type { Stage } from "./stage.ts";
import { buildArtifact, type BuildResult, defaultArtifactDir, type InputRef } from "./store.ts";

/** Where and how a CLI builds its artifact. */
export interface CliBuild {
  /** --out, when given. */
  out?: string;
  /** The label that starts the default folder's name (e.g. the model and objective). */
  label: string;
  cacheDir?: string;
  /** --force: replace a folder holding another artifact. */
  force?: boolean;
  progress?: StageIO["progress"];
}

/** Builds (or finds) the artifact and says which, with its folder. */
export async function buildFromCli<S>(
  stage: Stage<S>,
  spec: S,
  inputs: Record<string, InputRef>,
  o: CliBuild,
): Promise<BuildResult> {
  const result = await buildArtifact(stage, spec, inputs, {
    out: o.out ?? ((key) => defaultArtifactDir(REPO_ROOT, stage.kind, o.label, key)),
    cacheDir: o.cacheDir,
    force: o.force,
    progress: o.progress ?? STDERR,
  });
  console.log(
    result.status === "found"
      ? `already done with these settings: ${result.dir}`
      : `${result.status === "resumed" ? "resumed and finished" : "wrote"} ${result.dir} (${
        result.record.seconds.toFixed(1)
      } s)`,
  );
  return result;
}
