/** util/compare.ts and the assertEquals stand-in on typed arrays: counts and largest difference, never a whole-array diff. */
import { assert, assertArrayClose, assertEquals, assertThrows } from "@std/assert";
import { compareArrays } from "../util/compare.ts";

Deno.test("compareArrays counts differing values and the largest difference", () => {
  const d = compareArrays([1, 2, 3, NaN, -0], [1, 2.5, 3, NaN, 0]);
  assertEquals(d, {
    compared: 5,
    lengthMismatch: false,
    differing: 2,
    maxAbsDiff: 0.5,
    maxRelDiff: 0.5 / 3,
    firstIndex: 1,
  });
  const close = compareArrays([1, 2.00001, 3], [1, 2, 3], { tolerance: 1e-5, relative: true }); // bound 3e-5
  assertEquals(close.differing, 0);
  assert(close.maxAbsDiff > 0);
  assertEquals(compareArrays([1, 2], [1]).lengthMismatch, true);
});

Deno.test("assertEquals on large typed arrays reports counts in one line (no diff of 10^6 values)", () => {
  const a = new Float32Array(1_000_000).fill(1);
  const b = a.slice();
  assertEquals(a, b);
  b[7] = 1.5;
  b[999_999] = 2;
  const e = assertThrows(() => assertEquals(a, b, "weights"));
  assertEquals(
    e.message,
    "weights: 2 of 1000000 values differ, largest absolute difference 1.000e+0 (relative 5.000e-1); first at [7]: 1 vs 1.5",
  );
  assertThrows(() => assertEquals(new Float32Array(2), new Float64Array(2)), Error, "Float32Array vs Float64Array");
  assertArrayClose(Float32Array.of(1, 2.000001), Float32Array.of(1, 2), 1e-5);
  assertThrows(
    () => assertArrayClose(Float32Array.of(1, 2.1), Float32Array.of(1, 2), 1e-5),
    Error,
    "1 of 2 values differ",
  );
});
