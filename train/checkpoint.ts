/**
 * Checkpoint folders: `tensors.bin` (float32 little-endian arrays laid end to end) and `meta.json`
 * (counters, data state, optimizer step, settings, the tensor index and the sha256 of tensors.bin).
 * A folder is written under a temporary name and renamed into place, so a folder with a final name
 * is always complete; replacing one (the rolling `latest`) first renames the old folder aside as
 * `.old-*`, which stays a valid fallback until the new one is in place.
 */
import { join } from "node:path";
import { InputError } from "../util/errors.ts";
import { exists, sha256, writeJsonAtomic } from "../util/fs.ts";
import type { DataState } from "./batch_stream.ts";

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
  format: "headless-bench-checkpoint/1";
  savedAt: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  tensorsSha256: string;
}

/** A named float32 tensor as stored. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

const FORMAT = "headless-bench-checkpoint/1";
const PUBLISHED = /^(latest|frac-[0-9.]+|\.old-[0-9a-f-]+)$/;

/** Writes a checkpoint folder `root/name` atomically (replacing an existing one) and returns its path. */
export async function writeCheckpoint(
  root: string,
  name: string,
  info: CheckpointInfo,
  tensors: Map<string, StoredTensor>,
): Promise<string> {
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
  const meta: CheckpointMeta = {
    format: FORMAT,
    savedAt: new Date().toISOString(),
    ...info,
    tensors: index,
    tensorsSha256: sha256(bytes),
  };
  const tmp = join(root, `.tmp-${crypto.randomUUID()}`);
  await Deno.mkdir(tmp);
  await Deno.writeFile(join(tmp, "tensors.bin"), bytes);
  await writeJsonAtomic(join(tmp, "meta.json"), meta);
  const target = join(root, name);
  const aside = join(root, `.old-${crypto.randomUUID()}`);
  const replacing = await exists(target);
  if (replacing) await Deno.rename(target, aside);
  await Deno.rename(tmp, target);
  if (replacing) await Deno.remove(aside, { recursive: true });
  return target;
}

/** Reads a checkpoint folder, checking its format and the sha256 of tensors.bin. */
export async function readCheckpoint(
  dir: string,
): Promise<{ meta: CheckpointMeta; tensors: Map<string, Float32Array> }> {
  const meta = await readCheckpointMeta(dir);
  const file = join(dir, "tensors.bin");
  const bytes = await Deno.readFile(file);
  if (sha256(bytes) !== meta.tensorsSha256) {
    throw new InputError(`sha256 differs from meta.json's tensorsSha256: the checkpoint is damaged`, file);
  }
  const all = fromLittleEndianBytes(bytes);
  const tensors = new Map<string, Float32Array>();
  for (const t of meta.tensors) {
    if (t.offset + t.length > all.length) {
      throw new InputError(`tensor ${t.name} runs past the end of tensors.bin`, file);
    }
    tensors.set(t.name, all.slice(t.offset, t.offset + t.length));
  }
  return { meta, tensors };
}

/** Reads and checks meta.json of a checkpoint folder. */
export async function readCheckpointMeta(dir: string): Promise<CheckpointMeta> {
  const file = join(dir, "meta.json");
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new InputError(`cannot read checkpoint metadata (${(e as Error).message})`, file);
  }
  if (meta?.format !== FORMAT) {
    throw new InputError(`format should be ${JSON.stringify(FORMAT)}, got ${JSON.stringify(meta?.format)}`, file);
  }
  return meta;
}

/** Complete checkpoint folders under `root` (latest, frac-*, and any .old-* left by a kill), with their metadata. */
export async function listCheckpoints(root: string): Promise<{ dir: string; meta: CheckpointMeta }[]> {
  if (!(await exists(root))) return [];
  const out: { dir: string; meta: CheckpointMeta }[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isDirectory || !PUBLISHED.test(entry.name)) continue;
    const dir = join(root, entry.name);
    out.push({ dir, meta: await readCheckpointMeta(dir) });
  }
  return out.sort((a, b) => a.meta.counters.step - b.meta.counters.step || a.dir.localeCompare(b.dir));
}

/** The complete checkpoint with the most steps under `root`, or null when there is none. */
export async function latestCheckpoint(root: string): Promise<{ dir: string; meta: CheckpointMeta } | null> {
  return (await listCheckpoints(root)).at(-1) ?? null;
}

/** Removes half-written `.tmp-*` folders and `.old-*` folders older than the newest checkpoint. */
export async function cleanCheckpointRoot(root: string): Promise<void> {
  if (!(await exists(root))) return;
  const newest = await latestCheckpoint(root);
  for await (const entry of Deno.readDir(root)) {
    const path = join(root, entry.name);
    if (entry.name.startsWith(".tmp-")) await Deno.remove(path, { recursive: true });
    else if (entry.name.startsWith(".old-") && newest && path !== newest.dir) {
      await Deno.remove(path, { recursive: true });
    }
  }
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
