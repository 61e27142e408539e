/**
 * run.json: the settings that determine a run's result (compared on resume: a folder is resumed only
 * by the same settings), the environment it ran in, and start/end times. Settings exclude what does
 * not change the result (output folder, log and checkpoint frequency, the token folder's path: its
 * manifest hash stands for it).
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { type KernelSummary, kernelSummary } from "../kernels/summary.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256, writeJsonAtomic } from "../util/fs.ts";

/** run.json. */
export interface RunManifest {
  format: "headless-bench-pretrain/1";
  settings: Record<string, unknown>;
  settingsHash: string;
  environment: { backend: string; tfjs: string; deno: string; v8: string; os: string; kernels?: KernelSummary };
  tokensDir: string;
  startedAt: string;
  endedAt: string | null;
  resumes: { at: string; fromStep: number }[];
  status: "running" | "done";
}

/** JSON with object keys sorted at every level, so equal settings always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  );
}

/** Hash of a settings object. */
export function settingsHash(settings: unknown): string {
  return sha256(canonicalJson(settings)).slice(0, 16);
}

/** Dotted paths where two settings objects differ, e.g. ["lr: 0.001 vs 0.0005", "model.dModel: 256 vs 128"]. */
export function settingsDiff(a: unknown, b: unknown, path = ""): string[] {
  const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => settingsDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return canonicalJson(a) === canonicalJson(b)
    ? []
    : [`${path || "(root)"}: ${canonicalJson(a)} vs ${canonicalJson(b)}`];
}

/** The environment a run is using now. */
export function currentEnvironment(backend: string): RunManifest["environment"] {
  return {
    backend,
    tfjs: tf.version.tfjs,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    os: `${Deno.build.os}-${Deno.build.arch}`,
    kernels: kernelSummary(),
  };
}

/**
 * Opens the run in `outDir`: creates run.json for a new run, or, when run.json exists with the same
 * settings, records a resume. A folder with different settings, or with files but no run.json, is an
 * InputError saying what differs.
 */
export async function openRun(
  outDir: string,
  settings: Record<string, unknown>,
  extra: { backend: string; tokensDir: string },
): Promise<{ manifest: RunManifest; isNew: boolean }> {
  const file = join(outDir, "run.json");
  const hash = settingsHash(settings);
  if (await exists(file)) {
    let old: RunManifest;
    try {
      old = JSON.parse(await Deno.readTextFile(file));
    } catch (e) {
      throw new InputError(`cannot read run.json (${(e as Error).message})`, file);
    }
    const diff = settingsDiff(old.settings, settings);
    if (diff.length) {
      throw new InputError(
        `the output folder holds a different run; settings that differ (stored vs requested):\n  ${
          diff.join("\n  ")
        }\n` +
          `use another --out, or delete ${outDir} to start over`,
        file,
      );
    }
    return { manifest: old, isNew: false };
  }
  if (await exists(outDir)) {
    for await (const entry of Deno.readDir(outDir)) {
      throw new InputError(
        `the output folder is not empty (holds ${entry.name}) but has no run.json: use an empty or new folder`,
        outDir,
      );
    }
  }
  const manifest: RunManifest = {
    format: "headless-bench-pretrain/1",
    settings,
    settingsHash: hash,
    environment: currentEnvironment(extra.backend),
    tokensDir: extra.tokensDir,
    startedAt: new Date().toISOString(),
    endedAt: null,
    resumes: [],
    status: "running",
  };
  await writeJsonAtomic(file, manifest);
  return { manifest, isNew: true };
}

/** Rewrites run.json. */
export async function saveRunManifest(outDir: string, manifest: RunManifest): Promise<void> {
  await writeJsonAtomic(join(outDir, "run.json"), manifest);
}
