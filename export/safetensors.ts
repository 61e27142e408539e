/**
 * The safetensors format (float32 only): an 8-byte little-endian header length N, N bytes of JSON
 * header ({"__metadata__": {...}, name: {dtype, shape, data_offsets: [begin, end]}}) padded with
 * spaces so the data starts at a multiple of 8, then the tensors' little-endian bytes laid end to end
 * in header order, offsets counted from the start of the data.
 */
import { InputError } from "../util/errors.ts";

/** A float32 tensor: row-major values and their shape. */
export interface F32Tensor {
  shape: number[];
  data: Float32Array;
}

const ALIGN = 8;

/** The bytes of a safetensors file holding `tensors` (in map order) and string `metadata`. */
export function encodeSafetensors(tensors: Map<string, F32Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new Error(
        `tensor ${name}: shape ${JSON.stringify(t.shape)} holds ${size} values, data has ${t.data.length}`,
      );
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / ALIGN) * ALIGN - 8;
  json = Uint8Array.from([...json, ...new Array(padded - json.length).fill(0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i], true);
  }
  return out;
}

/** The header of a safetensors file as parsed. */
export interface SafetensorsHeader {
  metadata: Record<string, string>;
  tensors: Map<string, { dtype: string; shape: number[]; begin: number; end: number }>;
  /** Where the data starts in the file (8 + header length). */
  dataStart: number;
}

/** Parses and checks the header of safetensors `bytes` (`file` names it in errors). */
export function readSafetensorsHeader(bytes: Uint8Array, file = "model.safetensors"): SafetensorsHeader {
  const fail = (why: string): never => {
    throw new InputError(`not a valid safetensors file: ${why}`, file);
  };
  if (bytes.length < 8) fail("shorter than the 8-byte header length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  const tensors: SafetensorsHeader["tensors"] = new Map();
  const spans: Array<[number, number, string]> = [];
  for (const [name, v] of Object.entries(raw)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets } = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = Array.isArray(data_offsets) ? data_offsets : [NaN, NaN];
    if (typeof dtype !== "string" || !Array.isArray(shape) || !(begin <= end)) fail(`tensor ${name} has a bad entry`);
    tensors.set(name, { dtype, shape, begin, end });
    spans.push([begin, end, name]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let expected = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== expected) fail(`tensor ${name} starts at ${begin}, expected ${expected} (a gap or an overlap)`);
    expected = end;
  }
  if (8 + n + expected !== bytes.length) fail(`data holds ${bytes.length - 8 - n} bytes, the tensors ${expected}`);
  const metadata = (raw.__metadata__ ?? {}) as Record<string, string>;
  return { metadata, tensors, dataStart: 8 + n };
}

/** Reads every F32 tensor of safetensors `bytes`, checking sizes against shapes. */
export function decodeSafetensors(bytes: Uint8Array, file = "model.safetensors"): Map<string, F32Tensor> {
  const header = readSafetensorsHeader(bytes, file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<string, F32Tensor>();
  for (const [name, t] of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.dtype !== "F32" || t.end - t.begin !== 4 * size) {
      throw new InputError(
        `tensor ${name}: expected F32 of ${size} values, got ${t.dtype} of ${t.end - t.begin} bytes`,
        file,
      );
    }
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(header.dataStart + t.begin + 4 * i, true);
    out.set(name, { shape: t.shape, data });
  }
  return out;
}
