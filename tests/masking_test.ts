/** BERT masking proportions on a large sample, and the shapes of encoder and decoder batches. */
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { FIRST_REGULAR_ID, isSpecial, maskRow, SPECIAL_IDS } from "../models/masking.ts";
import { makeDecoderBatch, makeEncoderBatch } from "../models/batches.ts";
import { Rng } from "../util/rng.ts";

Deno.test("masking: 15% of regular tokens selected; of those 80% [MASK], 10% random, 10% kept", () => {
  const V = 1000;
  const rng = new Rng(1);
  // 200k positions, one in ten special: specials must never be selected.
  const row = Int32Array.from(
    { length: 200_000 },
    (_, i) => (i % 10 === 0 ? i % 5 : FIRST_REGULAR_ID + rng.int(V - FIRST_REGULAR_ID)),
  );
  const { tokens, selected } = maskRow(row, new Rng(2), V);
  const regular = row.filter((t) => !isSpecial(t)).length;
  let [masked, replaced, kept] = [0, 0, 0];
  for (const i of selected) {
    assert(!isSpecial(row[i]), "special tokens are never selected");
    if (tokens[i] === SPECIAL_IDS.mask) masked++;
    else if (tokens[i] !== row[i]) replaced++;
    else kept++;
    assert(tokens[i] === SPECIAL_IDS.mask || !isSpecial(tokens[i]), "random replacements are regular tokens");
  }
  // Binomial standard errors: selection ~0.0008, shares ~0.0025; allow about 4 of them.
  assertAlmostEquals(selected.length / regular, 0.15, 0.004);
  const n = selected.length;
  assertAlmostEquals(masked / n, 0.8, 0.01);
  // A random draw equals the original token 1/995 of the time and then counts as kept.
  assertAlmostEquals(replaced / n, 0.1 * (1 - 1 / (V - FIRST_REGULAR_ID)), 0.008);
  assertAlmostEquals(kept / n, 0.1 + 0.1 / (V - FIRST_REGULAR_ID), 0.008);
  // Positions that were not selected are untouched.
  const chosen = new Set(selected);
  for (let i = 0; i < row.length; i++) if (!chosen.has(i)) assertEquals(tokens[i], row[i]);
});

Deno.test("masking: a selection rate of 40% selects 40% of regular tokens, with the same 80/10/10 split", () => {
  const V = 1000;
  const rng = new Rng(4);
  const row = Int32Array.from({ length: 100_000 }, () => FIRST_REGULAR_ID + rng.int(V - FIRST_REGULAR_ID));
  const { tokens, selected } = maskRow(row, new Rng(5), V, 0.4);
  // Binomial standard error of the share: sqrt(0.24 / 1e5) ~ 0.0015.
  assertAlmostEquals(selected.length / row.length, 0.4, 0.006);
  const masked = selected.filter((i) => tokens[i] === SPECIAL_IDS.mask).length;
  assertAlmostEquals(masked / selected.length, 0.8, 0.01);
  const batch = makeEncoderBatch([row.subarray(0, 2000)], new Rng(6), V, 0.4);
  assertAlmostEquals(batch.positions.length / 2000, 0.4, 0.05);
  assertThrows(() => maskRow(row, new Rng(5), V, 0), Error, "selection rate");
  assertThrows(() => maskRow(row, new Rng(5), V, 1), Error, "selection rate");
});

Deno.test("encoder batch: rows padded with [PAD], targets are the original tokens at S, same seed same batch", () => {
  const rows = [Int32Array.from({ length: 40 }, (_, i) => 5 + i), Int32Array.from([1, 50, 51, 52, 2])];
  const batch = makeEncoderBatch(rows, new Rng(3), 100);
  assertEquals([batch.batch, batch.seqLen, batch.tokens.length], [2, 40, 80]);
  assertEquals(Array.from(batch.padMask!.subarray(40, 48)), [1, 1, 1, 1, 1, 0, 0, 0]);
  assertEquals(Array.from(batch.tokens.subarray(45)), new Array(35).fill(SPECIAL_IDS.pad));
  assert(batch.positions.length > 0 && batch.positions.length === batch.targets.length);
  const flat = [...rows[0], ...rows[1], ...new Array(35).fill(0)];
  batch.positions.forEach((p, k) => {
    assertEquals(batch.targets[k], flat[p]);
    assert(batch.padMask![p] === 1 && !isSpecial(flat[p]));
  });
  const again = makeEncoderBatch(rows, new Rng(3), 100);
  assertEquals(Array.from(again.tokens), Array.from(batch.tokens));
  assertEquals(Array.from(again.positions), Array.from(batch.positions));
});

Deno.test("encoder batch: S is never empty, even for a tiny batch", () => {
  for (let seed = 0; seed < 50; seed++) {
    const batch = makeEncoderBatch([Int32Array.from([1, 9, 2])], new Rng(seed), 20);
    assertEquals(Array.from(batch.positions), [1]);
    assertEquals(Array.from(batch.targets), [9]);
  }
  assertThrows(() => makeEncoderBatch([Int32Array.from([1, 2])], new Rng(0), 20), Error, "no regular token");
});

Deno.test("decoder batch: inputs are window[0..T), targets window[1..T], every position scored", () => {
  const batch = makeDecoderBatch([Int32Array.from([10, 11, 12, 13]), Int32Array.from([20, 21, 22, 23])]);
  assertEquals(Array.from(batch.tokens), [10, 11, 12, 20, 21, 22]);
  assertEquals(Array.from(batch.targets), [11, 12, 13, 21, 22, 23]);
  assertEquals(Array.from(batch.positions), [0, 1, 2, 3, 4, 5]);
  assertEquals([batch.batch, batch.seqLen, batch.padMask], [2, 3, undefined]);
  assertThrows(() => makeDecoderBatch([Int32Array.from([1, 2, 3]), Int32Array.from([1, 2])]), Error, "expected 3");
  assertThrows(() => makeDecoderBatch([Int32Array.from([1])]), Error, "at least 2");
});
