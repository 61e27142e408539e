/**
 * Checkpoint folders, format `headless-bench-checkpoint/2`:
 * - `tensors.bin`: float32 little-endian arrays laid end to end;
 * - `meta.json`: counters, data state, optimizer step, settings, the tensor index, tensors.bin's sha256;
 * - `record.json`, written last: the size and sha256 of meta.json and of tensors.bin.
 * A folder is trusted only when its record reads and the files match it: meta.json whenever the folder is
 * listed, tensors.bin too when it is read. An edited meta.json (an offset, the FLOPs) no longer matches.
 *
 * Writing never leaves a half state under a name that is read. A folder is built as `.tmp-*` and renamed
 * into place; replacing one (the rolling `latest`) first renames the old one aside as `.old-*`, a complete
 * fallback until the new one is in place; a folder that goes is renamed to `.trash-*` before it is
 * deleted. So a SIGKILL at any instruction leaves complete published folders, at most one complete
 * `.old-*`, and garbage (`.tmp-*`, `.trash-*`) that `cleanCheckpointRoot` removes on the next start.
 * No tensor holding NaN or ±Infinity is ever written, and none is read back.
 *
 * Format `/1` (meta.json and tensors.bin, no record) is still read, by evaluation and by a resumed run,
 * with the one check it allows: tensors.bin against the sha256 in its meta.json. Its meta.json itself
 * cannot be verified. It is never written.
 */
import { basename, dirname, join } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists, sha256 } from "../util/fs.ts";
import type { DataState } from "./batch_stream.ts";
import { killPoint } from "./kill_points.ts";

/** Progress counters of a run. `seconds` is wall-clock spent training, summed over resumes. */
export interface TrainCounters {
  step: number;
  tokens: number;
  flops: number;
  seconds: number;
}

/** Validation result stored with a budget-fraction checkpoint. */
export interface CheckpointEval {
  validLoss: number;
  validBatches: number;
}

/** Everything in meta.json except the tensor index. */
export interface CheckpointInfo {
  settingsHash: string;
  counters: TrainCounters;
  data: DataState;
  adamStep: number;
  /** Sums since the last train_log.csv row, so a resumed run logs the same means. */
  logWindow: { loss: number; gradNorm: number; steps: number };
  /** Set for checkpoints taken at a budget fraction. */
  fraction?: number;
  eval?: CheckpointEval;
  settings: unknown;
}

/** meta.json of a checkpoint folder. */
export interface CheckpointMeta extends CheckpointInfo {
  format: typeof FORMAT | typeof FORMAT_V1;
  savedAt: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  tensorsSha256: string;
}

/** record.json of a checkpoint folder: size and sha256 of each of its other files. */
export interface CheckpointRecord {
  format: typeof FORMAT;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** A named float32 tensor as stored. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/** A checkpoint folder whose record verified, with its metadata. */
export interface CheckpointEntry {
  dir: string;
  meta: CheckpointMeta;
}

const FORMAT = "headless-bench-checkpoint/2";
const FORMAT_V1 = "headless-bench-checkpoint/1";
const META = "meta.json";
const TENSORS = "tensors.bin";
const RECORD = "record.json";
/** Checkpoint names: a run's rolling `latest` and budget fractions, and the LM-fine-tuned `seed-N` of an evaluation. */
const PUBLISHED = /^(latest|frac-[0-9.]+|seed-[0-9]+)$/;
/** `.old-NAME-UUID`: folder NAME set aside while it is replaced (`.old-UUID`, from before /2, was `latest`). */
const OLD = /^\.old-(?:(latest|frac-[0-9.]+|seed-[0-9]+)-)?[0-9a-f-]+$/;
const GARBAGE = /^\.(tmp|trash)-/;

/** Writes a checkpoint folder `root/name` atomically (replacing an existing one) and returns its path. */
export async function writeCheckpoint(
  root: string,
  name: string,
  info: CheckpointInfo,
  tensors: Map<string, StoredTensor>,
): Promise<string> {
  if (!PUBLISHED.test(name)) throw new Error(`checkpoint name ${name}: expected latest, frac-F or seed-N`);
  for (const [tensorName, t] of tensors) {
    const bad = firstNonFiniteIndex(t.data);
    if (bad >= 0) {
      throw new Error(
        `refusing to write checkpoint ${join(root, name)}: tensor ${tensorName} holds ${t.data[bad]} at index ${bad}`,
      );
    }
  }
  await Deno.mkdir(root, { recursive: true });
  const total = [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
  const all = new Float32Array(total);
  const index: CheckpointMeta["tensors"] = [];
  let offset = 0;
  for (const [tensorName, t] of tensors) {
    all.set(t.data, offset);
    index.push({ name: tensorName, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  const bytes = littleEndianBytes(all);
  const tensorsSha256 = sha256(bytes);
  const meta: CheckpointMeta = {
    format: FORMAT,
    savedAt: new Date().toISOString(),
    ...info,
    tensors: index,
    tensorsSha256,
  };
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta, null, 2) + "\n");
  const record: CheckpointRecord = {
    format: FORMAT,
    files: {
      [META]: { bytes: metaBytes.length, sha256: sha256(metaBytes) },
      [TENSORS]: { bytes: bytes.length, sha256: tensorsSha256 },
    },
  };
  const tmp = join(root, `.tmp-${crypto.randomUUID()}`);
  await Deno.mkdir(tmp);
  killPoint("checkpoint: temporary folder made");
  await Deno.writeFile(join(tmp, TENSORS), bytes);
  killPoint("checkpoint: tensors.bin written");
  await Deno.writeFile(join(tmp, META), metaBytes);
  killPoint("checkpoint: meta.json written");
  await Deno.writeTextFile(join(tmp, RECORD), JSON.stringify(record, null, 2) + "\n");
  killPoint("checkpoint: record.json written");
  const target = join(root, name);
  const aside = join(root, `.old-${name}-${crypto.randomUUID()}`);
  const replacing = await exists(target);
  if (replacing) {
    await Deno.rename(target, aside);
    killPoint("checkpoint: old folder renamed aside");
  }
  await Deno.rename(tmp, target);
  killPoint("checkpoint: new folder in place");
  if (replacing) await discardCheckpoint(aside);
  return target;
}

/**
 * Removes a checkpoint folder: renamed to `.trash-*` first (atomic), then deleted, so a kill while
 * deleting leaves garbage, never a half folder under a name that is read.
 */
export async function discardCheckpoint(dir: string): Promise<void> {
  if (!(await exists(dir))) return;
  const trash = join(dirname(dir), `.trash-${crypto.randomUUID()}`);
  await Deno.rename(dir, trash);
  killPoint("checkpoint: folder renamed to trash");
  await Deno.remove(trash, { recursive: true });
  killPoint("checkpoint: trash removed");
}

/**
 * Reads a checkpoint folder in full: the record, meta.json and tensors.bin verified against it, and
 * every value finite. Any failure is an InputError naming the file.
 */
export async function readCheckpoint(
  dir: string,
): Promise<{ meta: CheckpointMeta; tensors: Map<string, Float32Array> }> {
  const { meta, record } = await verifiedMeta(dir);
  const file = join(dir, TENSORS);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    throw new InputError(`cannot read the checkpoint's tensors (${(e as Error).message})`, file);
  }
  const expected = record ? record.files[TENSORS].sha256 : meta.tensorsSha256;
  if (bytes.length % 4 !== 0 || sha256(bytes) !== expected) {
    throw new InputError(
      `sha256 differs from ${record ? RECORD : "meta.json's tensorsSha256"}: the checkpoint is damaged`,
      file,
    );
  }
  const all = fromLittleEndianBytes(bytes);
  const tensors = new Map<string, Float32Array>();
  for (const t of meta.tensors) {
    const data = all.slice(t.offset, t.offset + t.length);
    const bad = firstNonFiniteIndex(data);
    if (bad >= 0) {
      throw new InputError(
        `tensor ${t.name} holds ${
          data[bad]
        } at index ${bad}: the run had diverged when this checkpoint was written; it cannot be used`,
        file,
      );
    }
    tensors.set(t.name, data);
  }
  return { meta, tensors };
}

/** Reads a checkpoint's meta.json, verified against its record (format /2) or as format /1. */
export async function readCheckpointMeta(dir: string): Promise<CheckpointMeta> {
  return (await verifiedMeta(dir)).meta;
}

async function readJson(file: string, what: string): Promise<{ bytes: Uint8Array; value: unknown }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError(`${what} is missing`, file);
    throw new InputError(`cannot read ${what} (${(e as Error).message})`, file);
  }
  try {
    return { bytes, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (e) {
    throw new InputError(`cannot read ${what} (${(e as Error).message})`, file);
  }
}

/** The record's entry for `name`, checked for shape. */
function recordEntry(record: CheckpointRecord, name: string, file: string): { bytes: number; sha256: string } {
  const e = record.files?.[name];
  if (!e || !Number.isInteger(e.bytes) || typeof e.sha256 !== "string") {
    throw new InputError(`no size and sha256 for ${name}: the record is damaged`, file);
  }
  return e;
}

/** meta.json checked against record.json and tensors.bin's size (sizes only: hashing tensors.bin is readCheckpoint's). */
async function verifiedMeta(dir: string): Promise<{ meta: CheckpointMeta; record: CheckpointRecord | null }> {
  const recordFile = join(dir, RECORD);
  const metaFile = join(dir, META);
  if (!(await exists(recordFile)) && (await exists(metaFile))) return { meta: await legacyMeta(dir), record: null };
  const record = (await readJson(recordFile, "the checkpoint record")).value as CheckpointRecord;
  if (record?.format !== FORMAT) {
    throw new InputError(
      `format should be ${JSON.stringify(FORMAT)}, got ${JSON.stringify(record?.format)}`,
      recordFile,
    );
  }
  const metaEntry = recordEntry(record, META, recordFile);
  const tensorsEntry = recordEntry(record, TENSORS, recordFile);
  const { bytes, value } = await readJson(metaFile, "checkpoint metadata");
  if (bytes.length !== metaEntry.bytes || sha256(bytes) !== metaEntry.sha256) {
    throw new InputError(`differs from its record (${RECORD}): edited or damaged, so not trusted`, metaFile);
  }
  const meta = value as CheckpointMeta;
  if (meta?.format !== FORMAT || meta.tensorsSha256 !== tensorsEntry.sha256) {
    throw new InputError(`format or tensorsSha256 disagrees with ${RECORD}`, metaFile);
  }
  await checkTensorsFile(dir, meta, tensorsEntry.bytes);
  return { meta, record };
}

/** meta.json of a format /1 folder (no record): only what it says about itself can be checked. */
async function legacyMeta(dir: string): Promise<CheckpointMeta> {
  const file = join(dir, META);
  const meta = (await readJson(file, "checkpoint metadata")).value as CheckpointMeta;
  if (meta?.format !== FORMAT_V1) {
    throw new InputError(
      `no ${RECORD}, and the format is ${JSON.stringify(meta?.format)}, not ${JSON.stringify(FORMAT_V1)}`,
      file,
    );
  }
  await checkTensorsFile(dir, meta, null);
  return meta;
}

/** meta.json has counters and a tensor index, and tensors.bin exists, has the recorded size (when there is a record) and holds every indexed tensor. */
async function checkTensorsFile(dir: string, meta: CheckpointMeta, bytes: number | null): Promise<void> {
  const file = join(dir, TENSORS);
  let size: number;
  try {
    size = (await Deno.stat(file)).size;
  } catch (e) {
    throw new InputError(`cannot read the checkpoint's tensors (${(e as Error).message})`, file);
  }
  if (bytes !== null && size !== bytes) {
    throw new InputError(`is ${size} bytes, its record says ${bytes}: damaged`, file);
  }
  const c = meta.counters;
  if (![c?.step, c?.tokens, c?.flops, c?.seconds].every(Number.isFinite)) {
    throw new InputError(`no valid counters (step, tokens, flops, seconds)`, join(dir, META));
  }
  if (!Array.isArray(meta.tensors)) throw new InputError(`no tensor index`, join(dir, META));
  for (const t of meta.tensors) {
    if (!(Number.isInteger(t.offset) && Number.isInteger(t.length) && t.offset >= 0 && t.length >= 0)) {
      throw new InputError(`tensor ${t.name} has no valid offset and length`, join(dir, META));
    }
    if ((t.offset + t.length) * 4 > size) {
      throw new InputError(`tensor ${t.name} runs past the end of ${TENSORS}`, file);
    }
  }
}

/** Every checkpoint folder under `root` (latest, frac-*, .old-*): those whose record verified, and the rest with why. */
export async function scanCheckpoints(
  root: string,
): Promise<{ checkpoints: CheckpointEntry[]; rejected: { dir: string; reason: string }[] }> {
  const checkpoints: CheckpointEntry[] = [];
  const rejected: { dir: string; reason: string }[] = [];
  if (!(await exists(root))) return { checkpoints, rejected };
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isDirectory || !(PUBLISHED.test(entry.name) || OLD.test(entry.name))) continue;
    const dir = join(root, entry.name);
    try {
      checkpoints.push({ dir, meta: await readCheckpointMeta(dir) });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      rejected.push({ dir, reason: e.message });
    }
  }
  checkpoints.sort((a, b) => a.meta.counters.step - b.meta.counters.step || a.dir.localeCompare(b.dir));
  return { checkpoints, rejected };
}

/** The checkpoint folders under `root` whose record verified, fewest steps first. */
export async function listCheckpoints(root: string): Promise<CheckpointEntry[]> {
  return (await scanCheckpoints(root)).checkpoints;
}

/** The verified checkpoint with the most steps under `root`, or null when there is none. */
export async function latestCheckpoint(root: string): Promise<CheckpointEntry | null> {
  return (await listCheckpoints(root)).at(-1) ?? null;
}

/**
 * Puts `root` back in order after a kill, and returns a line for each folder it removed for failing
 * verification: garbage (`.tmp-*`, `.trash-*`) is deleted; a folder whose record does not verify is
 * discarded; a `.old-NAME-*` left by a kill between the two renames of a replacement becomes NAME again
 * when NAME is missing, and is discarded otherwise (NAME, in place, is the newer one).
 */
export async function cleanCheckpointRoot(root: string): Promise<string[]> {
  if (!(await exists(root))) return [];
  for await (const entry of Deno.readDir(root)) {
    if (GARBAGE.test(entry.name)) await Deno.remove(join(root, entry.name), { recursive: true });
  }
  const { checkpoints, rejected } = await scanCheckpoints(root);
  const notes: string[] = [];
  for (const r of rejected) {
    await discardCheckpoint(r.dir);
    notes.push(`checkpoint ${r.dir} skipped and removed: ${r.reason}`);
  }
  // Newest first, so the newest .old-* of a name goes back in place and the older ones go.
  for (const c of checkpoints.toReversed()) {
    const old = OLD.exec(basename(c.dir));
    if (!old) continue;
    const original = join(root, old[1] ?? "latest");
    if (await exists(original)) await discardCheckpoint(c.dir);
    else {
      await Deno.rename(c.dir, original);
      killPoint("checkpoint: .old folder back in place");
    }
  }
  return notes;
}

/** Index of the first NaN or ±Infinity in `values`, or -1. */
function firstNonFiniteIndex(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // v - v is 0 for a finite v and NaN otherwise; faster than Number.isFinite on a typed array.
    if (values[i] - values[i] !== 0) return i;
  }
  return -1;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

function fromLittleEndianBytes(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4) throw new RangeError(`tensors.bin length ${bytes.length} is not a multiple of 4`);
  if (LITTLE_ENDIAN_HOST) return new Float32Array(bytes.slice().buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
