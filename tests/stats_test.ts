/** stats/: the bootstrap interval against an enumerated bootstrap distribution, the hierarchy, and the log-compute fit. */
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  type Cell,
  cellEstimate,
  computeMatch,
  difference,
  exampleMetric,
  fitLogLine,
  lineCrossing,
  percentileInterval,
  quantile,
  type Replicate,
  Study,
  verdictOf,
} from "../stats/mod.ts";
import { Rng } from "../util/rng.ts";

/** A replicate with one accuracy component whose examples are right (1) or wrong (0), ids 0, 1, ... */
function correctness(pretrainSeed: number, seed: number, right: number[], component = "t|dev|accuracy"): Replicate {
  return {
    pretrainSeed,
    seed,
    components: [{
      component,
      metric: "accuracy",
      value: right.reduce((a, b) => a + b, 0) / right.length,
      examples: right.map((r, i) => ({ id: String(i), prediction: r, label: 1, loglik: NaN, count: NaN })),
    }],
  };
}

/** A replicate known by its value only. */
const valueOnly = (pretrainSeed: number, seed: number, value: number): Replicate => ({
  pretrainSeed,
  seed,
  components: [{ component: "t|dev|accuracy", metric: "accuracy", value }],
});

Deno.test("quantile: the inverse empirical CDF (type 1): the smallest value whose share at or below it reaches p", () => {
  const sorted = [1, 2, 3, 4];
  assertEquals([0.01, 0.25, 0.26, 0.5, 0.75, 0.76, 1].map((p) => quantile(sorted, p)), [1, 1, 2, 2, 3, 4, 4]);
  // p·B = 0.025·1000 is 25 in exact arithmetic (25.000000000000004 in floating point): the 25th value.
  const thousand = Array.from({ length: 1000 }, (_, i) => i);
  assertEquals(percentileInterval(thousand), { low: 24, high: 974 });
  assertEquals(percentileInterval([NaN, 3, 1, Infinity, 2]), { low: 1, high: Infinity });
});

Deno.test("paired bootstrap of an accuracy difference: the seeded interval equals the enumerated exact one", () => {
  // Five examples; the candidate gets all right, the baseline examples 3 and 4. Per-example differences
  // d = 1 1 1 0 0, so a resample's difference is k/5 with k ~ Binomial(5, 0.6) ones drawn.
  // P(k = 0) = 0.4⁵ = 0.01024 < 0.025 ≤ P(k ≤ 1) = 0.01024 + 5·0.6·0.4⁴ = 0.08704: the 2.5% point is 1/5.
  // P(k ≤ 4) = 1 − 0.6⁵ = 0.92224 < 0.975: the 97.5% point is 5/5. Exact interval [0.2, 1].
  const d = [1, 1, 1, 0, 0];
  const enumerated: number[] = [];
  for (let code = 0; code < 5 ** 5; code++) {
    let sum = 0;
    for (let i = 0, c = code; i < 5; i++, c = Math.floor(c / 5)) sum += d[c % 5];
    enumerated.push(sum / 5);
  }
  assertEquals(percentileInterval(enumerated), { low: 0.2, high: 1 });

  const study = new Study([
    { replicates: [correctness(0, 0, [0, 0, 0, 1, 1])] },
    { replicates: [correctness(0, 0, [1, 1, 1, 1, 1])] },
  ]);
  const diff = difference(study, 0, 1, true, { resamples: 20000, seed: 7 });
  assertAlmostEquals(diff.estimate, 0.6, 1e-12);
  assertAlmostEquals(diff.interval!.low, 0.2, 1e-12); // 1 − 4/5 in floating point
  assertAlmostEquals(diff.interval!.high, 1, 1e-12);
  assertEquals(diff.verdict, "better");
  // Lower is better (as for perplexity): the same interval says "worse".
  assertEquals(difference(study, 0, 1, false, { resamples: 2000 }).verdict, "worse");
});

Deno.test("pairing: two arms with the same outputs differ by exactly 0 on every resample; unpaired they would not", () => {
  const right = [1, 0, 1, 1, 0, 0, 1, 0];
  const study = new Study([{ replicates: [correctness(0, 0, right)] }, { replicates: [correctness(0, 0, right)] }]);
  const diff = difference(study, 0, 1, true, { resamples: 500 });
  assertEquals([diff.estimate, diff.interval], [0, { low: 0, high: 0 }]);
  assertEquals(diff.verdict, "no detectable difference");
  // The same outputs under another component name are drawn independently: the difference spreads.
  const unpaired = new Study([
    { replicates: [correctness(0, 0, right)] },
    { replicates: [correctness(0, 0, right, "other|dev|accuracy")] },
  ]);
  const spread = difference(unpaired, 0, 1, true, { resamples: 500 }).interval!;
  assert(spread.low < 0 && spread.high > 0, JSON.stringify(spread));
});

Deno.test("seed level: three pretraining seeds known by value; the interval matches the 27 enumerated resamples", () => {
  // Means of three draws from {0.5, 0.6, 0.7}: 0.5 has probability 1/27 = 3.7% ≥ 2.5% (the low point);
  // everything below 0.7 has 26/27 = 96.3% < 97.5% (the high point is 0.7).
  const values = [0.5, 0.6, 0.7];
  const enumerated: number[] = [];
  for (const a of values) for (const b of values) for (const c of values) enumerated.push((a + b + c) / 3);
  const exact = percentileInterval(enumerated);
  assertAlmostEquals(exact.low, 0.5, 1e-12);
  assertAlmostEquals(exact.high, 0.7, 1e-12);
  const study = new Study([{ replicates: values.map((v, p) => valueOnly(p, p, v)) }]);
  const e = cellEstimate(study, 0, { resamples: 20000, seed: 3 });
  assertAlmostEquals(e.estimate, 0.6, 1e-12);
  assertAlmostEquals(e.interval!.low, exact.low, 1e-12);
  assertAlmostEquals(e.interval!.high, exact.high, 1e-12);
  assert(Math.abs(e.stderr - Math.sqrt(2 / 300 / 3)) < 0.002, `stderr ${e.stderr}`); // σ/√3, σ² = 0.02/3
  // One or two replicates known by value only: no interval (resampling two values gives their range).
  const single = new Study([{ replicates: [valueOnly(0, 0, 0.5)] }]);
  assertEquals(cellEstimate(single, 0).interval, null);
  const two = new Study([{ replicates: [valueOnly(0, 0, 0.5), valueOnly(1, 1, 0.7)] }]);
  assertEquals([cellEstimate(two, 0).estimate, cellEstimate(two, 0).interval], [0.6, null]);
  assertEquals(verdictOf(null, true), "undetermined");
});

Deno.test("hierarchy: a cell is the mean over pretraining seeds of the mean over their fine-tuning seeds", () => {
  // (p0, f0) 0.2, (p0, f1) 0.4, (p1, f0) 0.9: (0.3 + 0.9) / 2 = 0.6, not the flat mean 0.5.
  const cell: Cell = { replicates: [valueOnly(0, 0, 0.2), valueOnly(0, 1, 0.4), valueOnly(1, 0, 0.9)] };
  const study = new Study([cell]);
  assertAlmostEquals(study.score(0), 0.6, 1e-12);
  assertEquals(study.describe(0), "2 pretraining seeds × 2 fine-tuning seeds × no per-example outputs");
  // A resample never leaves the range of the per-seed means.
  for (const v of study.resample((d) => study.score(0, d), { resamples: 200 })) assert(v >= 0.2 && v <= 0.9);
  // Two components average: (accuracy 3/4 + value 0.25) / 2.
  const two = new Study([{
    replicates: [{
      pretrainSeed: 0,
      seed: 0,
      components: [
        ...correctness(0, 0, [1, 1, 1, 0]).components,
        { component: "u|dev|accuracy", metric: "accuracy", value: 0.25 },
      ],
    }],
  }]);
  assertAlmostEquals(two.score(0), 0.5, 1e-12);
  assertEquals(two.describe(0), "1 pretraining seed × 1 fine-tuning seed × 4 examples");
});

Deno.test("metrics from examples: perplexity exp(−Σ loglik / Σ count), bits per byte −Σ loglik / (ln 2 · Σ count)", () => {
  const o = {
    prediction: new Float64Array([1, 0]),
    label: new Float64Array([1, 1]),
    loglik: new Float64Array([-2, -4]),
    count: new Float64Array([1, 2]),
  };
  assertAlmostEquals(exampleMetric("perplexity")!(o), Math.exp(2), 1e-12); // exp(6 / 3)
  assertAlmostEquals(exampleMetric("bits_per_byte")!(o), 2 / Math.LN2, 1e-12); // 6 / (ln 2 · 3)
  assertEquals(exampleMetric("accuracy")!(o), 0.5);
  assertEquals(exampleMetric("paper_avg"), undefined);
});

Deno.test("the bootstrap's fast paths (sums for accuracy, perplexity, bits per byte; counted ranks for Spearman) give the gathered metric's bits on every resample", () => {
  const rng = new Rng(7);
  // Cell 0 has ids 0..59, cell 1 only the even ones: a draw's positions then land on absent ids too.
  const records = (every: number) =>
    Array.from({ length: 60 }, (_, i) => i).filter((i) => i % every === 0).map((i) => ({
      id: `x${i}`,
      prediction: rng.int(3),
      label: rng.int(3),
      loglik: -5 * rng.next(),
      count: 1 + rng.int(9),
    }));
  // Predictions and labels from three values: many ties, as Spearman's average ranks must handle.
  for (const metric of ["accuracy", "perplexity", "bits_per_byte", "spearman"]) {
    const examples = [records(1), records(2)];
    const cells: Cell[] = examples.map((ex) => ({
      replicates: [{ pretrainSeed: 0, seed: 0, components: [{ component: "c", metric, value: NaN, examples: ex }] }],
    }));
    const study = new Study(cells);
    const ids = [...new Set(examples.flat().map((e) => e.id))].sort();
    for (const cell of [0, 1]) {
      const byId = new Map(examples[cell].map((e) => [e.id, e]));
      study.resample((draw) => {
        const got = study.score(cell, draw);
        const drawn = [...draw.examples("c", ids.length)].flatMap((j) => byId.get(ids[j]) ?? []);
        const column = (k: "prediction" | "label" | "loglik" | "count") => Float64Array.from(drawn, (e) => e[k]);
        const want = exampleMetric(metric)!({
          prediction: column("prediction"),
          label: column("label"),
          loglik: column("loglik"),
          count: column("count"),
        });
        assertEquals(got, want, `${metric}, cell ${cell}`);
      }, { resamples: 50 });
    }
  }
});

Deno.test("fitLogLine: points on y = 0.1 + 0.2·log10(x) give the line back; its crossing is hand-computed", () => {
  const points = [1e9, 1e10, 1e11].map((x) => ({ x, y: 0.1 + 0.2 * Math.log10(x) }));
  const line = fitLogLine(points);
  assertAlmostEquals(line.slope, 0.2, 1e-12);
  assertAlmostEquals(line.intercept, 0.1, 1e-9);
  // 2.0 = 0.1 + 0.2·log10(x): x = 10^9.5.
  assertAlmostEquals(lineCrossing(line, 2.0, true, 1e9) / 10 ** 9.5, 1, 1e-9);
  // Least squares through scattered points: (1, 1), (10, 3), (100, 2): slope 0.5, intercept 1.5.
  const scattered = fitLogLine([{ x: 1, y: 1 }, { x: 10, y: 3 }, { x: 100, y: 2 }]);
  assertAlmostEquals(scattered.slope, 0.5, 1e-12);
  assertAlmostEquals(scattered.intercept, 1.5, 1e-12);
  // Lower is better: perplexity 100 − 10·log10(x) reaches 10 at x = 10^9.
  assertAlmostEquals(lineCrossing({ intercept: 100, slope: -10 }, 10, false, 1) / 1e9, 1, 1e-9);
  // A line that does not improve: never reached, or already there at the first checkpoint.
  assertEquals(lineCrossing({ intercept: 0.5, slope: -0.01 }, 0.6, true, 1e9), Infinity);
  assertEquals(lineCrossing({ intercept: 0.9, slope: 0 }, 0.6, true, 1e9), 0);
  assertThrows(() => fitLogLine([{ x: 5, y: 1 }, { x: 5, y: 2 }]), Error, "two distinct x");
});

Deno.test("computeMatch: the share of the baseline's compute where the fitted candidate line reaches its score", () => {
  // Candidate at 1e9, 1e10 FLOPs scores 1.9, 2.1 (on y = 0.1 + 0.2·log10 x); baseline reaches 2.0 at 1e10.
  const study = new Study([
    { replicates: [valueOnly(0, 0, 1.9)] },
    { replicates: [valueOnly(0, 0, 2.1)] },
    { replicates: [valueOnly(0, 0, 2.0)] },
  ]);
  const m = computeMatch(study, [{ cell: 0, x: 1e9 }, { cell: 1, x: 1e10 }], { cell: 2, x: 1e10 }, true);
  assertAlmostEquals(m.share, 10 ** -0.5, 1e-9);
  assertEquals([m.interval, m.range, m.extrapolated], [null, [0.1, 1], false]);
  // With three pretraining seeds per checkpoint the share gets an interval around the same point.
  const seeds = (...v: number[]): Cell => ({ replicates: v.map((x, p) => valueOnly(p, p, x)) });
  const noisy = new Study([seeds(1.85, 1.9, 1.95), seeds(2.05, 2.1, 2.15), seeds(1.98, 2.0, 2.02)]);
  const n = computeMatch(noisy, [{ cell: 0, x: 1e9 }, { cell: 1, x: 1e10 }], { cell: 2, x: 1e10 }, true, {
    resamples: 400,
  });
  assertAlmostEquals(n.share, 10 ** -0.5, 1e-9);
  assert(n.interval!.low < n.share && n.share < n.interval!.high, JSON.stringify(n));
});
