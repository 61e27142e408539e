/**
 * The safetensors writer (export/safetensors.ts): the bytes are the format's, checked field by field
 * with a DataView against hand-computed offsets, and they read back; damaged files are refused.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { decodeSafetensors, encodeSafetensors, type F32Tensor } from "../export/safetensors.ts";
import { InputError } from "../util/errors.ts";

const TENSORS = new Map<string, F32Tensor>([
  ["a.weight", { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) }],
  ["b", { shape: [1], data: Float32Array.from([0.25]) }],
]);

Deno.test("the header is an 8-byte little-endian length, JSON padded with spaces to 8 bytes, then the data", () => {
  const bytes = encodeSafetensors(TENSORS, { format: "pt" });
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  assertEquals((8 + n) % 8, 0);
  const headerText = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const json = JSON.stringify({
    __metadata__: { format: "pt" },
    "a.weight": { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
    b: { dtype: "F32", shape: [1], data_offsets: [24, 28] },
  });
  assertEquals(headerText, json + " ".repeat(n - json.length));
  assertEquals(bytes.length, 8 + n + 28);
  assertEquals(view.getFloat32(8 + n + 8, true), 3.5);
  assertEquals(view.getFloat32(8 + n + 24, true), 0.25);
  const back = decodeSafetensors(bytes);
  assertEquals([...back.keys()], ["a.weight", "b"]);
  assertEquals(back.get("a.weight"), TENSORS.get("a.weight"));
});

Deno.test("a file with a gap, a short data section or a bad header is refused, naming the file", () => {
  const good = encodeSafetensors(TENSORS);
  assertThrows(
    () => decodeSafetensors(good.subarray(0, good.length - 4), "m.safetensors"),
    InputError,
    "m.safetensors",
  );
  const n = Number(new DataView(good.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n)));
  header.b.data_offsets = [28, 32];
  const text = new TextEncoder().encode(JSON.stringify(header));
  const gap = new Uint8Array(8 + text.length + 32);
  new DataView(gap.buffer).setBigUint64(0, BigInt(text.length), true);
  gap.set(text, 8);
  assertThrows(() => decodeSafetensors(gap), InputError, "tensor b starts at 28, expected 24");
  assertThrows(() => decodeSafetensors(new Uint8Array(4)), InputError, "shorter than the 8-byte header length");
  const shape = new Map([["x", { shape: [3], data: new Float32Array(2) }]]);
  assertThrows(() => encodeSafetensors(shape), Error, "holds 3 values");
});
