/**
 * The artifact store: the one way a folder named by what made it comes to be. A stage's output folder is
 * keyed by the hash of (kind, spec, the keys of its inputs, the stage's code version); it is built in
 * `<folder>.partial` under a lock and renamed into place with its record (artifact.json, every file's
 * sha256) once complete. Asked again for the same key, the store finds the folder and runs nothing; a
 * killed run's partial folder is emptied, or resumed where the stage can resume; a folder holding another
 * artifact is refused with what differs.
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists, sha256File, writeJsonAtomic } from "../util/fs.ts";
import { acquireLock } from "../util/lock.ts";
import { codeVersion } from "./code_version.ts";
import { jsonDiff, keyOf } from "./hash.ts";
import {
  type ArtifactRecord,
  hashArtifactFiles,
  readRecord,
  RECORD_FILE,
  RECORD_FORMAT,
  verifyArtifact,
} from "./record.ts";
import { type ProgressSink, SILENT, type Stage } from "./stage.ts";
import { runInWorker } from "./worker_client.ts";

/** An input folder, with its key when the caller knows it (else derived from the folder). */
export interface InputRef {
  dir: string;
  key?: string;
}

/** What {@link buildArtifact} needs besides the stage, spec and inputs. */
export interface BuildOptions {
  /** The artifact's final folder, or a function of its key giving it (e.g. runs/<kind>/<label>-<key>). */
  out: string | ((key: string) => string);
  cacheDir?: string;
  progress?: ProgressSink;
  /** Run the stage in a worker process (see Stage.isolate). */
  isolate?: boolean;
  /** Replace a folder that holds another artifact instead of refusing. */
  force?: boolean;
}

/** What {@link buildArtifact} did. */
export interface BuildResult {
  dir: string;
  key: string;
  record: ArtifactRecord;
  status: "found" | "built" | "resumed";
}

/** Files the store keeps in a partial folder while it works; removed before the record is made. */
const CLAIM_FILE = ".claim.json";
const INTERNAL = new Set([CLAIM_FILE, ".lock", ".job.json"]);

/** The suffix of a folder being built. */
export const PARTIAL_SUFFIX = ".partial";

/** The key of an artifact of `stage` made from `spec` and inputs with these keys. */
export async function artifactKey<S>(stage: Stage<S>, spec: S, inputKeys: Record<string, string>): Promise<string> {
  return keyOf({ kind: stage.kind, spec, inputs: inputKeys, code: (await codeVersion(stage.module)).hash });
}

/**
 * The key of an input (a folder or a file): the key of the artifact that holds it (plus the path inside,
 * e.g. one checkpoint of a run), or, for one the store did not make, a hash of its files' sha256s.
 */
export async function inputKey(path: string): Promise<string> {
  const found = await owningArtifact(path);
  if (found) return found.sub ? keyOf({ artifact: found.record.key, path: found.sub }) : found.record.key;
  if ((await Deno.stat(path)).isFile) return keyOf({ file: await sha256File(path) });
  return keyOf({ files: await hashArtifactFiles(path) });
}

/** The finished artifact folder that holds `path` (itself or an ancestor), with the path inside it. */
export async function owningArtifact(
  path: string,
): Promise<{ dir: string; sub: string; record: ArtifactRecord } | null> {
  let dir = resolve(path);
  if (!(await Deno.stat(dir).then((s) => s.isDirectory, () => true))) dir = dirname(dir);
  for (let depth = 0; depth < 6; depth++) {
    const record = await readRecord(dir);
    if (record) return { dir, sub: relative(dir, resolve(path)).split("\\").join("/"), record };
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * Builds the artifact of `stage` for `spec` at `options.out`, or finds it there. Inputs that are (in)
 * finished artifacts are verified against their records first (only the part read, e.g. one checkpoint).
 */
export async function buildArtifact<S>(
  stage: Stage<S>,
  spec: S,
  inputs: Record<string, InputRef>,
  options: BuildOptions,
): Promise<BuildResult> {
  const inputKeys: Record<string, string> = {};
  for (const [name, ref] of Object.entries(inputs)) {
    const owner = await owningArtifact(ref.dir);
    if (owner) await verifyArtifact(owner.dir, owner.sub);
    inputKeys[name] = ref.key ?? await inputKey(ref.dir);
  }
  const code = await codeVersion(stage.module);
  const key = keyOf({ kind: stage.kind, spec, inputs: inputKeys, code: code.hash });
  const out = resolve(typeof options.out === "string" ? options.out : options.out(key));

  const existing = await readRecord(out).catch(() => null);
  if (existing?.key === key) return { dir: out, key, record: existing, status: "found" };
  if (await exists(out)) {
    if (!options.force) throw new InputError(whyNotOurs(existing, stage.kind, spec), out);
    await Deno.remove(out, { recursive: true });
  }

  const partial = out + PARTIAL_SUFFIX;
  await Deno.mkdir(partial, { recursive: true });
  const lock = await acquireLock(partial, { command: `${stage.kind} ${basename(out)}` });
  try {
    const finished = await readRecord(out).catch(() => null);
    if (finished?.key === key) { // another process finished it while this one waited
      await lock.release();
      await Deno.remove(partial, { recursive: true }).catch(() => {});
      return { dir: out, key, record: finished, status: "found" };
    }
    const claimPath = join(partial, CLAIM_FILE);
    const claim = await readClaim(claimPath);
    const resuming = stage.resumable === true && claim?.key === key;
    if (!resuming) {
      if (claim && claim.key !== key && stage.resumable && !options.force) {
        throw new InputError(
          `holds an unfinished ${claim.kind} with other settings (${
            jsonDiff(claim.spec, spec).slice(0, 5).join("; ")
          }); ` +
            `delete it, or pass --force to start over`,
          partial,
        );
      }
      for await (const e of Deno.readDir(partial)) {
        if (!INTERNAL.has(e.name)) await Deno.remove(join(partial, e.name), { recursive: true });
      }
    }
    const resumes = resuming ? (claim!.resumes ?? 0) + 1 : 0;
    await writeJsonAtomic(claimPath, { kind: stage.kind, key, spec, resumes });

    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const dirs = Object.fromEntries(Object.entries(inputs).map(([n, r]) => [n, resolve(r.dir)]));
    const io = { out: partial, inputs: dirs, cacheDir: options.cacheDir ?? "", progress: options.progress ?? SILENT };
    const details = options.isolate ? await runInWorker(stage, spec, io) : await stage.run(spec, io);

    for await (const e of Deno.readDir(partial)) {
      // The store's own files, and temporaries of them a kill left behind (.claim.json.<pid>.<rand>.tmp).
      if (e.name !== ".lock" && [...INTERNAL].some((f) => e.name === f || e.name.startsWith(`${f}.`))) {
        await Deno.remove(join(partial, e.name));
      }
    }
    const files = await hashArtifactFiles(partial);
    delete files[".lock"];
    const record: ArtifactRecord = {
      format: RECORD_FORMAT,
      kind: stage.kind,
      key,
      spec,
      inputs: Object.fromEntries(
        Object.entries(dirs).map(([n, d]) => [n, { key: inputKeys[n], path: relative(out, d).split("\\").join("/") }]),
      ),
      code: { version: code.hash, files: code.files.length },
      files,
      startedAt,
      endedAt: new Date().toISOString(),
      seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
      resumes,
      details: details ?? null,
    };
    await writeJsonAtomic(join(partial, RECORD_FILE), record);
    await lock.release();
    await Deno.rename(partial, out);
    return { dir: out, key, record, status: resuming ? "resumed" : "built" };
  } finally {
    await lock.release();
  }
}

/** The message for a folder that is not this artifact. */
function whyNotOurs(existing: ArtifactRecord | null, kind: string, spec: unknown): string {
  if (!existing) {
    return `the folder exists and is not a finished artifact: use another --out, or delete it (or pass --force)`;
  }
  const diff = existing.kind === kind ? jsonDiff(existing.spec, spec) : [`kind: ${existing.kind} vs ${kind}`];
  return `the folder holds another ${existing.kind} artifact (${
    diff.length ? diff.slice(0, 5).join("; ") : "same settings, other inputs or code version"
  }): use another --out, or pass --force to replace it`;
}

async function readClaim(path: string): Promise<{ kind: string; key: string; spec: unknown; resumes?: number } | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return null;
  }
}

/** The default folder of an artifact made outside a pipeline: runs/<kind>/<label>-<key>. */
export function defaultArtifactDir(root: string, kind: string, label: string, key: string): string {
  return join(root, "runs", kind, `${label.replace(/[^A-Za-z0-9._-]/g, "_")}-${key}`);
}
