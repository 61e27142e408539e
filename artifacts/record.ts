/**
 * artifact.json: the one record of a finished artifact folder. It names what made the folder (the stage
 * kind, its spec, the keys of its inputs, the code version), holds the sha256 of every file in it, and
 * appears last, by the rename that puts the folder in place: a folder with a record is complete.
 */
import { join, relative } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists, sha256File } from "../util/fs.ts";

/** The record's file name. */
export const RECORD_FILE = "artifact.json";

/** The record format's name. */
export const RECORD_FORMAT = "headless-bench-artifact/1";

/** An input an artifact was made from: its key, and where it was (relative to the artifact's folder). */
export interface InputRecord {
  key: string;
  /** Path relative to the artifact folder, or null when the input was not a folder (e.g. data files hashed in the spec). */
  path: string | null;
}

/** artifact.json. */
export interface ArtifactRecord {
  format: typeof RECORD_FORMAT;
  kind: string;
  /** The hash of (kind, spec, input keys, code version): the folder's identity. */
  key: string;
  spec: unknown;
  inputs: Record<string, InputRecord>;
  /** Hash of the stage's code (artifacts/code_version.ts) and how many files it covers. */
  code: { version: string; files: number };
  /** sha256 of every file in the folder (paths relative to it, "/"-separated), the record excepted. */
  files: Record<string, string>;
  startedAt: string;
  endedAt: string;
  /** Seconds of work, summed over the runs that built it (a resumed stage counts each). */
  seconds: number;
  /** Times the stage was resumed from a partial folder. */
  resumes: number;
  /** What the stage chose to record (environment, counts, notes). */
  details: unknown;
}

/** Every file under `dir` (relative, "/"-separated, sorted), skipping the record itself. */
export async function listArtifactFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const path = join(d, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.isFile && !(d === dir && e.name === RECORD_FILE)) out.push(relative(dir, path).split("\\").join("/"));
    }
  };
  await walk(dir);
  return out.sort();
}

/** sha256 of every file under `dir` but the record. */
export async function hashArtifactFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const f of await listArtifactFiles(dir)) files[f] = await sha256File(join(dir, f));
  return files;
}

/** The record of `dir`, or null when it has none. A record that cannot be read is an InputError. */
export async function readRecord(dir: string): Promise<ArtifactRecord | null> {
  const file = join(dir, RECORD_FILE);
  if (!(await exists(file))) return null;
  let record: ArtifactRecord;
  try {
    record = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new InputError(
      `cannot read the artifact record (${(e as Error).message}); delete the folder to rebuild it`,
      file,
    );
  }
  if (record?.format !== RECORD_FORMAT || typeof record.key !== "string" || typeof record.files !== "object") {
    throw new InputError(`not a ${RECORD_FORMAT} record; delete the folder to rebuild it`, file);
  }
  return record;
}

/**
 * Checks the files of `dir` (or only those under `subpath`, e.g. one checkpoint of a run) against its
 * record: each listed file present with its sha256, and no unlisted file under `subpath`. Returns the
 * record; a mismatch is an InputError naming the file and what to do.
 */
export async function verifyArtifact(dir: string, subpath = ""): Promise<ArtifactRecord> {
  const record = await readRecord(dir);
  if (!record) throw new InputError(`not a finished artifact (no ${RECORD_FILE})`, dir);
  const prefix = subpath ? subpath.replace(/\/+$/, "") + "/" : "";
  const within = (f: string) => !prefix || f.startsWith(prefix) || f === subpath;
  const listed = Object.keys(record.files).filter(within);
  const present = (await listArtifactFiles(dir)).filter(within);
  const advice = `the artifact was changed after it was made; delete ${dir} to rebuild it`;
  for (const f of present) {
    if (!(f in record.files)) throw new InputError(`file not in the artifact record: ${advice}`, join(dir, f));
  }
  for (const f of listed) {
    if (!(await exists(join(dir, f)))) throw new InputError(`file missing: ${advice}`, join(dir, f));
    const sha = await sha256File(join(dir, f));
    if (sha !== record.files[f]) {
      throw new InputError(
        `sha256 ${sha.slice(0, 12)}… differs from the record's ${record.files[f].slice(0, 12)}…: ${advice}`,
        join(dir, f),
      );
    }
  }
  return record;
}
