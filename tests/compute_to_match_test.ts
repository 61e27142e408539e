/** Compute to match, checked by hand: linear interpolation between checkpoints, seed pairs, not reached. */
import { assertAlmostEquals, assertEquals } from "@std/assert";
import {
  computeToMatch,
  computeToMatchAll,
  type Crossing,
  firstCrossing,
  formatCrossing,
  formatPairRange,
} from "../reports/compute_to_match.ts";
import type { ResultRow } from "../reports/rows.ts";

const CURVE = [{ x: 0.125, y: 0.70 }, { x: 0.25, y: 0.78 }, { x: 0.5, y: 0.82 }, { x: 1, y: 0.85 }];
const xOf = (c: Crossing) => (c.reached ? c.x : NaN);

Deno.test("firstCrossing: interpolates linearly between the checkpoints around the target", () => {
  // 0.80 lies between (0.25, 0.78) and (0.5, 0.82): 0.25 + (0.80 - 0.78) / 0.04 · 0.25 = 0.375.
  const c = firstCrossing(CURVE, 0.80);
  assertEquals(c.reached && c.how, "interpolated");
  assertAlmostEquals(xOf(c), 0.375, 1e-12);
  // Order of the points does not matter.
  assertAlmostEquals(xOf(firstCrossing([...CURVE].reverse(), 0.80)), 0.375, 1e-12);
  assertEquals(formatCrossing(c), "37.5%");
});

Deno.test("firstCrossing: exactly at a checkpoint, already at the first one, and never", () => {
  assertEquals(firstCrossing(CURVE, 0.82), { reached: true, x: 0.5, how: "at-checkpoint" });
  const first = firstCrossing(CURVE, 0.6);
  assertEquals(first, { reached: true, x: 0.125, how: "at-or-before-first" });
  assertEquals(formatCrossing(first), "≤ 12.5%");
  const never = firstCrossing(CURVE, 0.9);
  assertEquals(never, { reached: false, best: 0.85 });
  assertEquals(formatCrossing(never, "accuracy"), "not reached (best 85.00)");
});

Deno.test("firstCrossing: the first crossing of a non-monotone curve; lower-is-better for perplexity", () => {
  // (0.125, 0.70) -> (0.25, 0.81) crosses 0.80 at 0.125 + 0.10/0.11 · 0.125 = 0.2386364, before the dip at 0.5.
  const bumpy = [{ x: 0.125, y: 0.70 }, { x: 0.25, y: 0.81 }, { x: 0.5, y: 0.79 }, { x: 1, y: 0.85 }];
  assertAlmostEquals(xOf(firstCrossing(bumpy, 0.80)), 0.2386364, 1e-7);
  // Perplexity 500, 300, 200 at 1/8, 1/4, 1/2; target 250: 0.25 + (250 - 300)/(200 - 300) · 0.25 = 0.375.
  const ppl = [{ x: 0.125, y: 500 }, { x: 0.25, y: 300 }, { x: 0.5, y: 200 }];
  assertAlmostEquals(xOf(firstCrossing(ppl, 250, false)), 0.375, 1e-12);
  assertEquals(firstCrossing(ppl, 150, false), { reached: false, best: 200 });
});

const FRACTIONS = [0.125, 0.25, 0.5, 1];
function rows(
  objective: string,
  seed: number,
  values: number[],
  opts: { flops?: number; wall?: number; task?: string } = {},
): ResultRow[] {
  const fractions = FRACTIONS.slice(FRACTIONS.length - values.length);
  return values.map((value, i) => ({
    arch: "encoder",
    objective,
    seed,
    fraction: fractions[i],
    flops: (opts.flops ?? 8e12) * fractions[i],
    tokens: 1e6 * fractions[i],
    wall_seconds: (opts.wall ?? 1000) * fractions[i],
    backend: "wasm",
    task: opts.task ?? "glue",
    metric: "paper_avg",
    value,
    policy: "best-epoch",
  }));
}

// softmax finals 0.79 and 0.81 (target 0.80); CWT seed 0: 0.70 0.77 0.81 0.85, seed 1: 0.70 0.79 0.83 0.85,
// mean 0.70 0.78 0.82 0.85. Pairs, by hand:
//   (s0 → 0.79, c0): 0.25 + (0.79 - 0.77)/0.04 · 0.25 = 0.375     (s0, c1): exactly 0.79 at 0.25
//   (s1 → 0.81, c0): exactly 0.81 at 0.5                           (s1, c1): 0.25 + 0.02/0.04 · 0.25 = 0.375
const TWO_SEEDS = [
  ...rows("softmax", 0, [0.60, 0.70, 0.75, 0.79]),
  ...rows("softmax", 1, [0.62, 0.71, 0.76, 0.81]),
  ...rows("cwt", 0, [0.70, 0.77, 0.81, 0.85], { wall: 500 }),
  ...rows("cwt", 1, [0.70, 0.79, 0.83, 0.85], { wall: 500 }),
];

Deno.test("computeToMatch: seed-mean estimate 37.5% of FLOPs; seed pairs 25%–50%", () => {
  const r = computeToMatch(TWO_SEEDS, { arch: "encoder", task: "glue", metric: "paper_avg", policy: "best-epoch" })!;
  assertAlmostEquals(r.target, 0.80, 1e-12);
  assertEquals([r.baselineFraction, r.baselineFinal, r.axis, r.higherIsBetter], [1, 8e12, "flops", true]);
  assertAlmostEquals(xOf(r.estimate), 0.375, 1e-9);
  assertEquals(r.pairs.map((p) => [p.baselineSeed, p.candidateSeed, p.crossing.reached && p.crossing.how]), [
    ["0", "0", "interpolated"],
    ["0", "1", "at-checkpoint"],
    ["1", "0", "at-checkpoint"],
    ["1", "1", "interpolated"],
  ]);
  const xs = r.pairs.map((p) => xOf(p.crossing));
  [0.375, 0.25, 0.5, 0.375].forEach((x, i) => assertAlmostEquals(xs[i], x, 1e-9));
  assertEquals(formatPairRange(r), "25%–50% (4 pairs)");
});

Deno.test("computeToMatch: in wall-clock, CWT's half-time checkpoints halve the share", () => {
  const r = computeToMatch(TWO_SEEDS, {
    arch: "encoder",
    task: "glue",
    metric: "paper_avg",
    policy: "best-epoch",
    axis: "wall_seconds",
  })!;
  assertEquals(r.baselineFinal, 1000);
  assertAlmostEquals(xOf(r.estimate), 0.1875, 1e-9);
  assertEquals(formatPairRange(r), "12.5%–25% (4 pairs)");
});

Deno.test("computeToMatch: each pair divides by its own baseline seed's FLOPs; pairs that never reach are counted", () => {
  const data = [
    ...rows("softmax", 0, [0.79], { flops: 8e12 }),
    ...rows("softmax", 1, [0.79], { flops: 16e12 }), // same score, twice the FLOPs: half the share
    ...rows("cwt", 0, [0.70, 0.77, 0.81, 0.85]),
    ...rows("cwt", 1, [0.70, 0.72, 0.74, 0.76]), // never reaches 0.79
  ];
  const r = computeToMatch(data, { arch: "encoder", task: "glue", metric: "paper_avg", policy: "best-epoch" })!;
  const xs = r.pairs.map((p) => xOf(p.crossing));
  assertAlmostEquals(xs[0], 0.375, 1e-9);
  assertEquals(Number.isNaN(xs[1]), true);
  assertAlmostEquals(xs[2], 0.1875, 1e-9);
  assertEquals(formatPairRange(r), "18.8%–not reached (2 of 4 pairs not reached)");
  // Seed means: CWT 0.70 0.745 0.775 0.805 vs target 0.79 over mean FLOPs 12e12: FLOPs at checkpoint 1 are
  // 8e12 → x = 2/3; at 0.5: 4e12 → 1/3; crossing 1/3 + (0.79 - 0.775)/0.03 · (2/3 - 1/3) = 0.5.
  assertAlmostEquals(xOf(r.estimate), 0.5, 1e-9);
});

Deno.test("computeToMatchAll: every (arch, task, metric, policy) measured by both objectives, and nothing else", () => {
  const data = [
    ...TWO_SEEDS,
    ...rows("softmax", 0, [0.5, 0.6], { task: "only_softmax" }),
    ...rows("cwt", 0, [0.4, 0.5], { task: "both" }),
    ...rows("softmax", 0, [0.45, 0.55], { task: "both" }),
  ];
  const all = computeToMatchAll(data);
  assertEquals(all.map((r) => r.task), ["both", "glue"]);
  // "both": softmax's final 0.55 is the target; CWT gets to 0.4 then 0.5 and never reaches it.
  assertEquals(all[0].estimate, { reached: false, best: 0.5 });
  assertEquals(formatPairRange(all[0]), "not reached in any of 1 pair");
  assertEquals(
    computeToMatch(data, { arch: "decoder", task: "glue", metric: "paper_avg", policy: "best-epoch" }),
    undefined,
  );
});
