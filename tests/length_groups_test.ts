/**
 * Length groups (evals/length_groups.ts): hand-computed splits, the least-cost split against every
 * partition of small inputs, the row limit, and the switch back to fixed cuts.
 */
import { assert, assertEquals, assertThrows } from "@std/assert";
import { groupByLength, lengthGrouping, paddedTokens, splitSorted } from "../evals/length_groups.ts";
import { Rng } from "../util/rng.ts";

Deno.test("hand-computed splits: equal lengths stay together, a far longer row gets its own group", () => {
  assertEquals(groupByLength([5, 5, 5]), [[0, 1, 2]]);
  // one group: 2·100 + 48 = 248; two: (10 + 48) + (100 + 48) = 206.
  assertEquals(groupByLength([100, 10]), [[1], [0]]);
  // one group: 2·64 + 48 = 176; two: 60 + 64 + 96 = 220.
  assertEquals(groupByLength([64, 60]), [[1, 0]]);
  // overhead 0: every distinct length alone, no padding at all.
  assertEquals(groupByLength([3, 1, 3, 2], { overheadTokens: 0 }), [[1], [3], [0, 2]]);
  assertEquals(paddedTokens([3, 1, 3, 2], [[1], [3], [0, 2]]), 9);
  assertEquals(paddedTokens([3, 1, 3, 2], [[0, 1, 2, 3]]), 12);
  assertEquals(groupByLength([]), []);
});

/** The least Σ(rows · longest + overhead) over every way of cutting `sorted` into consecutive groups. */
function bruteForce(sorted: number[], overhead: number, maxRows: number): number {
  const n = sorted.length;
  let best = Infinity;
  for (let mask = 0; mask < 2 ** (n - 1); mask++) {
    let cost = 0, from = 0, ok = true;
    for (let i = 1; i <= n; i++) {
      if (i === n || (mask >> (i - 1)) & 1) {
        if (i - from > maxRows) ok = false;
        cost += (i - from) * sorted[i - 1] + overhead;
        from = i;
      }
    }
    if (ok) best = Math.min(best, cost);
  }
  return best;
}

Deno.test("the split is the least-cost one (every partition of small inputs tried) and respects maxRows", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(10);
    const lengths = Array.from({ length: n }, () => 1 + rng.int(60));
    const overhead = rng.int(40);
    const maxRows = 1 + rng.int(n);
    const groups = groupByLength(lengths, { overheadTokens: overhead, maxRows });
    assertEquals(groups.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
    assert(groups.every((g) => g.length >= 1 && g.length <= maxRows));
    const cost = paddedTokens(lengths, groups) + overhead * groups.length;
    const sorted = [...lengths].sort((a, b) => a - b);
    assertEquals(cost, bruteForce(sorted, overhead, maxRows), `lengths ${lengths}, overhead ${overhead}`);
  }
});

Deno.test("on realistic lengths grouping computes far less padding than cuts of 64, with few more groups", () => {
  const rng = new Rng(3);
  const lengths = Array.from({ length: 300 }, () => 8 + rng.int(121));
  const real = lengths.reduce((a, b) => a + b, 0);
  const grouped = groupByLength(lengths, { maxRows: 64 });
  lengthGrouping.enabled = false;
  const cuts = groupByLength(lengths, { maxRows: 64 });
  lengthGrouping.enabled = true;
  assertEquals(cuts.length, 5);
  assertEquals(cuts.flat(), [...lengths.keys()].sort((a, b) => lengths[a] - lengths[b] || a - b));
  const [padGrouped, padCuts] = [paddedTokens(lengths, grouped) - real, paddedTokens(lengths, cuts) - real];
  assert(padGrouped < padCuts / 4, `padding grouped ${padGrouped} vs cuts ${padCuts}`);
  assert(grouped.length <= 4 * cuts.length, `${grouped.length} groups`);
});

Deno.test("bad input: unsorted lengths to splitSorted, a row limit below 1", () => {
  assertThrows(() => splitSorted([2, 1]), RangeError, "not sorted");
  assertThrows(() => groupByLength([1, 2], { maxRows: 0 }), RangeError, "positive integer");
});
